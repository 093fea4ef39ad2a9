import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { OpenAIApi } from "../models/openai-compatible.js";
import { createBusyClock } from "./busy-clock.js";
import { openSearchLog, readSearchLog, type SearchLogWriter } from "./event-log.js";
import { createExpansionRequests } from "./expansion-request.js";
import { forEachLimited } from "./limited.js";
import type { StepPolicy } from "./policy.js";
import { indexSearchLog, type SearchLogIndex } from "./replay.js";
import type { RewardJudge } from "./reward.js";
import { createRewardCache, type RewardCache } from "./reward-cache.js";
import { searchIdentityHash } from "./search-config.js";
import type { SearchInputs } from "./search-inputs.js";
import type { SearchTask } from "./search-task.js";
import { searchTask, type TaskSearchCounts } from "./task-search.js";
import { summarizeTree, writeTreeSummary, type TreeSummary } from "./tree-summary.js";

/**
 * The search driver: runs (or resumes) the MCTS of many tasks into one run directory.
 *
 * Throughput: every task's search is its own sequence (a rollout needs the previous one's
 * backup), so the trees of many tasks advance side by side: at any moment each task in flight
 * waits on exactly one thing, an expansion or a reward, and the pending expansions of all of
 * them are at the model server together while the rewards of others are in the sandbox pool.
 * Unlike rStar-Math's lockstep batches there is no barrier at the end of a wave: an HTTP
 * server batches concurrent requests itself (continuous batching), and a barrier would only
 * let the slowest request of a wave idle both sides. The concurrency limits are the
 * provider's (requests in flight) and the judge's (sandbox workers).
 */

/** The files of a search run directory. */
export const SEARCH_FILES = { log: "nodes.jsonl", trees: "trees" } as const;

/** Everything a search needs: the inputs, and where its run directory is. */
export interface SearchRunOptions extends SearchInputs {
  dir: string;
  /** More that decides the trees (benchmark, split, where the tests come from): part of the identity a resume must match. */
  identity?: Record<string, unknown>;
  /** Called with each task's tree as it is written. */
  onTask?: (tree: TreeSummary) => void;
}

/** Counters of a search run (all tasks). */
export interface SearchRunStats extends TaskSearchCounts {
  tasks: number;
  finished: number;
  solved: number;
  nodes: number;
  /** Programs the judge ran, and rewards the reward cache answered (across tasks). */
  judged: number;
  cacheHits: number;
  seconds: number;
  /** Seconds during which at least one request was at the model / one program at the judge. */
  modelBusySeconds: number;
  judgeBusySeconds: number;
  maxModelInFlight: number;
  maxJudgeInFlight: number;
}

/** What a search run produced. */
export interface SearchRunResult {
  /** One tree per task, in task order. */
  trees: TreeSummary[];
  identitySha256: string;
  /** Bytes of a torn last log line cut off before resuming (0 when none). */
  tornBytes: number;
  stats: SearchRunStats;
}

/** Runs the search of every task, resuming from the run directory's log when it has one. */
export async function runSearch(opts: SearchRunOptions): Promise<SearchRunResult> {
  const started = performance.now();
  const api = opts.api ?? "completions";
  const seen = new Set<string>();
  for (const t of opts.tasks) {
    if (seen.has(t.taskId)) throw new InputError(`task ${t.taskId} is listed twice`);
    seen.add(t.taskId);
  }
  const identity = { format: 1, settings: opts.settings, api, prompt: opts.prompt ?? {}, ...opts.identity };
  const identitySha256 = searchIdentityHash(identity);
  const logPath = join(opts.dir, SEARCH_FILES.log);
  const { events, tornBytes } = readSearchLog(logPath, { repair: true });
  const index = indexSearchLog(events, logPath);
  if (index.start !== undefined && index.start.identity_sha256 !== identitySha256) {
    throw new InputError(
      `this run was started with other settings (identity ${index.start.identity_sha256.slice(0, 12)}, now ${identitySha256.slice(0, 12)}); resume with the config it was started with, or start a new run`,
      logPath,
    );
  }
  const log = openSearchLog(logPath);
  try {
    log.append({ kind: "start", format: 1, identity_sha256: identitySha256, identity, policy: opts.policy.id(), started_at: new Date().toISOString() });
    return await searchAll(opts, api, index, log, identitySha256, tornBytes, started);
  } finally {
    log.close();
  }
}

/** Searches the tasks, a bounded number at once; the first fault stops the others at their next rollout and is rethrown. */
async function searchAll(
  opts: SearchRunOptions,
  api: OpenAIApi,
  index: SearchLogIndex,
  log: SearchLogWriter,
  identitySha256: string,
  tornBytes: number,
  started: number,
): Promise<SearchRunResult> {
  const modelClock = createBusyClock();
  const judgeClock = createBusyClock();
  const policy: StepPolicy = { id: () => opts.policy.id(), propose: (req) => modelClock.track(() => opts.policy.propose(req)) };
  const rewards = preloadedCache({ judge: (task, program) => judgeClock.track(() => opts.judge.judge(task, program)) }, opts.tasks, index);
  const trees: (TreeSummary | undefined)[] = new Array<TreeSummary | undefined>(opts.tasks.length);
  const totals = emptyCounts();
  const searchOne = async (task: SearchTask, at: number, signal: AbortSignal): Promise<void> => {
    const requests = createExpansionRequests(task, opts.settings, api, opts.prompt);
    const result = await searchTask({
      task,
      settings: opts.settings,
      requests,
      policy,
      rewards,
      log: index.tasks.get(task.taskId),
      logPath: log.path,
      append: (event) => log.append(event),
      signal,
    });
    const summary = summarizeTree(result, requests.header, identitySha256);
    writeTreeSummary(join(opts.dir, SEARCH_FILES.trees), summary);
    trees[at] = summary;
    addCounts(totals, result.counts);
    opts.onTask?.(summary);
  };
  await forEachLimited(opts.tasks, opts.tasksInFlight ?? opts.tasks.length, searchOne, opts.signal);
  const done = trees.filter((t): t is TreeSummary => t !== undefined);
  return {
    trees: done,
    identitySha256,
    tornBytes,
    stats: {
      ...totals,
      tasks: done.length,
      finished: done.filter((t) => t.finished).length,
      solved: done.filter((t) => t.solved).length,
      nodes: done.reduce((s, t) => s + t.nodes.length, 0),
      judged: rewards.stats.judged,
      cacheHits: rewards.stats.hits,
      seconds: (performance.now() - started) / 1000,
      modelBusySeconds: modelClock.busyMs() / 1000,
      judgeBusySeconds: judgeClock.busyMs() / 1000,
      maxModelInFlight: modelClock.maxInFlight,
      maxJudgeInFlight: judgeClock.maxInFlight,
    },
  };
}

/** A reward cache that already knows every score the log holds, so a resume never judges a program twice. */
function preloadedCache(judge: RewardJudge, tasks: readonly SearchTask[], index: SearchLogIndex): RewardCache {
  const cache = createRewardCache(judge);
  for (const task of tasks) {
    for (const r of index.tasks.get(task.taskId)?.rewards.values() ?? []) {
      cache.remember(task.testsDigest, r.program_sha256, { compiles: r.compiles, passed: r.passed, total: r.total });
    }
  }
  return cache;
}

function emptyCounts(): TaskSearchCounts {
  return { expansions: 0, replayedExpansions: 0, rewards: 0, replayedRewards: 0, cachedRewards: 0, calls: 0, promptTokens: 0, completionTokens: 0 };
}

function addCounts(into: TaskSearchCounts, more: TaskSearchCounts): void {
  for (const key of Object.keys(into) as (keyof TaskSearchCounts)[]) into[key] += more[key];
}
