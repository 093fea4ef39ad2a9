import { InputError } from "../core/errors.js";
import { createRng } from "../metrics/rng.js";
import { programFromSteps } from "../prompts/pseudocode.js";
import { sha256 } from "../util/hash.js";
import { childrenFromCandidates } from "./candidates.js";
import { programDigest } from "../judge/program-identity.js";
import type { NodeRecord, SearchEvent } from "./event-log.js";
import type { ExpansionRequest, StepPolicy } from "./policy.js";
import type { ExpansionRequests } from "./expansion-request.js";
import type { TaskLog } from "./replay.js";
import { isCorrectScore, rewardValue, type RewardScore } from "./reward.js";
import type { RewardCache } from "./reward-cache.js";
import type { SearchSettings } from "./search-config.js";
import { taskSeed, type SearchTask } from "./search-task.js";
import { selectChild } from "./selection.js";
import { backup, createTree, expandNode, nodeAt, pathTo, stepsTo, type ChildSpec, type SearchNode, type SearchTree } from "./tree.js";

/**
 * One task's MCTS: `rollouts` descents from the root. Each descent expands the nodes it meets
 * unexpanded (one policy request with n candidates each), picks a child by the selection rule,
 * and goes on until a terminal step; a code terminal is judged the first time it is reached;
 * the reward is backed up the path (N += 1, W += v). The task's random choices all come from
 * one RNG seeded by (search seed, task id), so the tree depends only on the model's and the
 * judge's answers, which the log holds for a resume.
 */

/** What one task's search needs. */
export interface TaskSearchDeps {
  task: SearchTask;
  settings: SearchSettings;
  requests: ExpansionRequests;
  policy: StepPolicy;
  rewards: RewardCache;
  /** What an earlier run of this search logged for the task (a resume), replayed instead of asked again. */
  log: TaskLog | undefined;
  /** The log file, named in errors. */
  logPath: string;
  append(event: SearchEvent): void;
  /** Stops before the next rollout; the log keeps what was done, a resume goes on from there. */
  signal?: AbortSignal;
}

/** Counters of one task's search. */
export interface TaskSearchCounts {
  /** Requests sent to the policy now, and expansions taken from the log. */
  expansions: number;
  replayedExpansions: number;
  /** Programs judged now (reward cache hits included), and rewards taken from the log. */
  rewards: number;
  replayedRewards: number;
  /** Rewards of this task the reward cache answered without the judge. */
  cachedRewards: number;
  /** Model usage over every expansion of the tree, logged ones included. */
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

/** One task's search result. */
export interface TaskSearchResult {
  tree: SearchTree;
  rollouts: number;
  /** All rollouts done (false: stopped by the signal). */
  finished: boolean;
  /** A code terminal passed every test. */
  solved: boolean;
  counts: TaskSearchCounts;
}

/** Runs (or resumes) one task's search. */
export async function searchTask(deps: TaskSearchDeps): Promise<TaskSearchResult> {
  const { task, settings, log } = deps;
  const tree = createTree(task.taskId);
  const rng = createRng(taskSeed(settings.seed, task.taskId));
  const counts: TaskSearchCounts = { expansions: 0, replayedExpansions: 0, rewards: 0, replayedRewards: 0, cachedRewards: 0, calls: 0, promptTokens: 0, completionTokens: 0 };
  const expand = (node: SearchNode) => expandWithLog(deps, tree, node, counts);
  let rollouts = 0;
  for (let r = 1; r <= settings.rollouts; r++) {
    if (deps.signal?.aborted) break;
    let node = nodeAt(tree, 0);
    while (node.terminal === null) {
      if (!node.expanded) await expand(node);
      if (node.terminal !== null) break; // the expansion gave no step: a dead end
      node = selectChild(tree, node, settings.selection, settings.c, rng);
    }
    if (node.terminal === "code" && node.reward === null) await rewardWithLog(deps, node, counts);
    recordBackup(deps, tree, r, node);
    rollouts = r;
  }
  const solved = tree.nodes.some((n) => n.score !== null && isCorrectScore(n.score));
  const finished = rollouts === settings.rollouts;
  if (finished && log?.done === undefined) deps.append({ kind: "done", task_id: task.taskId, rollouts, solved });
  return { tree, rollouts, finished, solved, counts };
}

/** The hash a log keeps of what a request sends (prompt, or messages for chat). */
function promptHash(request: ExpansionRequest): string {
  return sha256(request.prompt ?? JSON.stringify(request.messages ?? []));
}

/** Expands a node from the log, or by asking the policy (and logging the answer). */
async function expandWithLog(deps: TaskSearchDeps, tree: SearchTree, node: SearchNode, counts: TaskSearchCounts): Promise<void> {
  const request = deps.requests.request(node.id, stepsTo(tree, node.id));
  const promptSha256 = promptHash(request);
  const logged = deps.log?.expansions.get(node.id);
  if (logged !== undefined) {
    const firstId = tree.nodes.length;
    const fits = logged.prompt_sha256 === promptSha256 && logged.children.every((c, i) => c.id === firstId + i && c.parent === node.id && c.depth === node.depth + 1);
    if (!fits) throw diverged(deps, logged.line, `expansion of node ${node.id}`);
    counts.replayedExpansions++;
    counts.calls++;
    counts.promptTokens += logged.usage.prompt_tokens;
    counts.completionTokens += logged.usage.completion_tokens;
    expandNode(tree, node, logged.children.map(specOf), logged.request_id);
    return;
  }
  const proposal = await deps.policy.propose(request);
  counts.expansions++;
  counts.calls++;
  counts.promptTokens += proposal.usage.promptTokens;
  counts.completionTokens += proposal.usage.completionTokens;
  const specs = childrenFromCandidates(proposal.candidates, node.depth + 1, deps.settings.max_depth);
  const children = expandNode(tree, node, specs, request.requestId);
  deps.append({
    kind: "expand",
    task_id: deps.task.taskId,
    node: node.id,
    request_id: request.requestId,
    prompt_sha256: promptSha256,
    seed: request.seed ?? 0,
    candidates: proposal.candidates.length,
    usage: { prompt_tokens: proposal.usage.promptTokens, completion_tokens: proposal.usage.completionTokens },
    ...(proposal.error !== undefined ? { error: proposal.error } : {}),
    children: children.map(recordOf),
  });
}

/** Sets a code terminal's score and reward from the log, or by judging its program (and logging it). */
async function rewardWithLog(deps: TaskSearchDeps, node: SearchNode, counts: TaskSearchCounts): Promise<void> {
  const logged = deps.log?.rewards.get(node.id);
  if (logged !== undefined) {
    if (logged.program_sha256 !== node.programSha256) throw diverged(deps, logged.line, `reward of node ${node.id}`);
    counts.replayedRewards++;
    node.score = { compiles: logged.compiles, passed: logged.passed, total: logged.total };
    node.reward = logged.reward;
    return;
  }
  const program = programFromSteps([node.step]) ?? "";
  const programSha256 = node.programSha256 ?? programDigest(program);
  let score: RewardScore;
  let cached = false;
  if (program.trim() === "") {
    // A python fence with nothing in it: nothing to run, and nothing to reward.
    score = { compiles: false, passed: 0, total: 0 };
  } else {
    ({ score, cached } = await deps.rewards.score(deps.task, program, programSha256));
  }
  counts.rewards++;
  if (cached) counts.cachedRewards++;
  node.score = score;
  node.reward = rewardValue(score, deps.settings.alpha);
  deps.append({ kind: "reward", task_id: deps.task.taskId, node: node.id, program_sha256: programSha256, ...score, reward: node.reward, cached });
}

/** Backs a rollout's value up its path; logs it, or checks it against the log on a replay. */
function recordBackup(deps: TaskSearchDeps, tree: SearchTree, rollout: number, leaf: SearchNode): void {
  const path = pathTo(tree, leaf.id);
  const value = leaf.reward ?? 0;
  backup(tree, path, value);
  const logged = deps.log?.backups.get(rollout);
  if (logged !== undefined) {
    if (logged.leaf !== leaf.id || logged.value !== value) throw diverged(deps, logged.line, `rollout ${rollout}`);
    return;
  }
  deps.append({
    kind: "backup",
    task_id: deps.task.taskId,
    rollout,
    leaf: leaf.id,
    value,
    path: path.map((id) => {
      const n = nodeAt(tree, id);
      return { id, n: n.n, w: n.w, q: n.w / n.n };
    }),
  });
}

function diverged(deps: TaskSearchDeps, line: number, what: string): InputError {
  return new InputError(
    `the ${what} of task ${deps.task.taskId} does not match this search (a different prompt, settings or harness version wrote it); resume with the same config, or start a new run`,
    deps.logPath,
    line,
  );
}

function specOf(r: NodeRecord): ChildSpec {
  return { step: r.step, action: r.action, logprob: r.logprob, prior: r.prior, samples: r.samples, terminal: r.terminal, programSha256: r.program_sha256 };
}

function recordOf(n: SearchNode): NodeRecord {
  const terminal = n.terminal === "code" || n.terminal === "depth_limit" ? n.terminal : null;
  return { id: n.id, parent: n.parent ?? 0, depth: n.depth, step: n.step, action: n.action, logprob: n.logprob, prior: n.prior, samples: n.samples, terminal, program_sha256: n.programSha256 };
}
