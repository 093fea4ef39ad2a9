import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { OpenAIApi } from "../models/openai-compatible.js";
import { openSearchLog, readSearchLog, SEARCH_LOG_FORMAT, type SearchEvent, type SearchLogWriter } from "./event-log.js";
import { createExpansionRequests } from "./expansion-request.js";
import { forEachLimited } from "./limited.js";
import type { StepPolicy } from "./policy.js";
import { indexSearchLog, type SearchLogIndex } from "./replay.js";
import type { RewardJudge } from "./reward.js";
import { createRewardCache, type RewardCache } from "./reward-cache.js";
import { SCHEDULING_SETTINGS, searchIdentityHash, type SearchSettings } from "./search-config.js";
import type { SearchInputs } from "./search-inputs.js";
import type { SearchTask } from "./search-task.js";
import { searchTask, type TaskSearchCounts } from "./task-search.js";
import { summarizeTree, writeTreeSummary, type TreeSummary } from "./tree-summary.js";
import { createWaitMeter, type WaitReport } from "./wait-meter.js";
import { createWavePolicy } from "./wave-policy.js";

/**
 * The search driver: runs (or resumes) the MCTS of many tasks into one run directory.
 *
 * Throughput: every task's search is its own sequence (a rollout needs the previous one's
 * backup), so the trees of many tasks advance side by side: at any moment each task in flight
 * waits on exactly one thing, an expansion or a reward, and the pending expansions of all of
 * them are at the model server together while the rewards of others are in the sandbox pool.
 * By default (`schedule: async`) there is no barrier as in rStar-Math's lockstep batches: an
 * HTTP server batches concurrent requests itself (continuous batching), and a barrier would only
 * let the slowest request of a wave idle both sides; `schedule: waves` (wave-policy.ts) gives
 * the lockstep batches for comparison. The concurrency limits are the provider's (requests in
 * flight) and the judge's (sandbox workers).
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
  /** Called with each event as it is logged (progress). */
  onEvent?: (event: SearchEvent) => void;
  /** Programs the judge runs at once (the pool's workers): what "the pool was busy" is measured against (default 1). */
  judgeWorkers?: number;
}

/** Counters of a search run (all tasks). */
export interface SearchRunStats extends TaskSearchCounts, WaitReport {
  tasks: number;
  finished: number;
  solved: number;
  /** Tasks stopped by a request or a judgement that failed for good: incomplete, a resume retries them. */
  failed: number;
  nodes: number;
  /** Programs the judge ran, and rewards the reward cache answered (across tasks). */
  judged: number;
  cacheHits: number;
  /** Waves sent (`schedule: waves`; 0 otherwise) and the largest one. */
  waves: number;
  largestWave: number;
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
  const identity = { format: SEARCH_LOG_FORMAT, settings: decidingSettings(opts.settings), api, prompt: opts.prompt ?? {}, ...opts.identity };
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
    log.append({ kind: "start", format: SEARCH_LOG_FORMAT, identity_sha256: identitySha256, identity, policy: opts.policy.id(), started_at: new Date().toISOString() });
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
  const meter = createWaitMeter(opts.judgeWorkers ?? 1);
  const metered: StepPolicy = { id: () => opts.policy.id(), propose: (req) => meter.model(() => opts.policy.propose(req)) };
  const waves = opts.settings.schedule === "waves" ? createWavePolicy(metered) : undefined;
  const policy = waves ?? metered;
  const rewards = preloadedCache({ judge: (task, program) => meter.judge(() => opts.judge.judge(task, program)) }, opts.tasks, index);
  const append = (event: SearchEvent): void => {
    log.append(event);
    opts.onEvent?.(event);
  };
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
      append,
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
  const waits = meter.report();
  return {
    trees: done,
    identitySha256,
    tornBytes,
    stats: {
      ...totals,
      tasks: done.length,
      finished: done.filter((t) => t.finished).length,
      solved: done.filter((t) => t.solved).length,
      failed: done.filter((t) => t.failure !== null).length,
      nodes: done.reduce((s, t) => s + t.nodes.length, 0),
      judged: rewards.stats.judged,
      cacheHits: rewards.stats.hits,
      ...waits,
      seconds: (performance.now() - started) / 1000,
      waves: waves?.waves ?? 0,
      largestWave: waves?.largestWave ?? 0,
    },
  };
}

/** A reward cache that already knows every score the log holds, so a resume never judges a program twice. */
function preloadedCache(judge: RewardJudge, tasks: readonly SearchTask[], index: SearchLogIndex): RewardCache {
  const cache = createRewardCache(judge);
  for (const task of tasks) {
    const log = index.tasks.get(task.taskId);
    const scores = [...(log?.rewards.values() ?? []), ...[...(log?.expansions.values() ?? [])].flatMap((e) => e.judged ?? [])];
    for (const r of scores) cache.remember(task.testsDigest, r.program_sha256, { compiles: r.compiles, passed: r.passed, total: r.total, ...(r.tests !== undefined ? { tests: r.tests } : {}) });
  }
  return cache;
}

/** The settings that decide the trees (the identity a resume must match): all but the scheduling ones. */
function decidingSettings(settings: SearchSettings): Record<string, unknown> {
  const deciding: Record<string, unknown> = { ...settings };
  for (const key of SCHEDULING_SETTINGS) delete deciding[key];
  return deciding;
}

function emptyCounts(): TaskSearchCounts {
  return { expansions: 0, replayedExpansions: 0, rewards: 0, replayedRewards: 0, cachedRewards: 0, calls: 0, promptTokens: 0, completionTokens: 0 };
}

function addCounts(into: TaskSearchCounts, more: TaskSearchCounts): void {
  for (const key of Object.keys(into) as (keyof TaskSearchCounts)[]) into[key] += more[key];
}
