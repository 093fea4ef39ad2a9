import { SandboxFault } from "../core/errors.js";
import { InputError } from "../core/errors.js";
import { programDigest } from "../judge/program-identity.js";
import { programFromSteps } from "../prompts/pseudocode.js";
import { sha256 } from "../util/hash.js";
import { childrenFromCandidates } from "./candidates.js";
import type { JudgedCode, NodeRecord, SearchEvent } from "./event-log.js";
import type { ExpansionRequest, StepPolicy } from "./policy.js";
import type { ExpansionRequests } from "./expansion-request.js";
import type { TaskLog } from "./replay.js";
import { rewardValue, type RewardScore } from "./reward.js";
import type { RewardCache } from "./reward-cache.js";
import type { SearchSettings } from "./search-config.js";
import type { SearchTask } from "./search-task.js";
import { expandNode, stepsTo, type ChildSpec, type SearchNode, type SearchTree } from "./tree.js";

/**
 * Expanding a node and judging code steps, each answered from the log on a resume or by the
 * outside world (the policy, the judge) and then logged. Under the paper's rule
 * (`code_children: best`) the code steps among an expansion's candidates are judged together
 * before the expansion is logged, and only the best-scoring one becomes a child; the others
 * stay in the log (and the stored tree) as dropped. A request that fails after the provider's
 * retries, or a program the sandbox cannot judge, stops the task (TaskStopped): it is
 * incomplete, never a dead end baked into the tree, and a resume asks again.
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

/** Why a task stopped before its rollouts were done. */
export interface TaskFailure {
  /** The node being expanded, or the code step being judged. */
  node: number;
  what: "expansion" | "reward";
  requestId: string | null;
  error: string;
}

/** Thrown inside a task's search when the model or the sandbox failed for good; the task is incomplete. */
export class TaskStopped extends Error {
  constructor(readonly failure: TaskFailure) {
    super(failure.error);
  }
}

/** A code step an expansion produced but did not keep (a better one of the same expansion was). */
export interface DroppedCode {
  parent: number;
  step: string;
  samples: number;
  programSha256: string;
  score: RewardScore;
  reward: number;
}

/** The hash a log keeps of what a request sends (prompt, or messages for chat). */
function promptHash(request: ExpansionRequest): string {
  return sha256(request.prompt ?? JSON.stringify(request.messages ?? []));
}

/** Expands a node from the log, or by asking the policy (and logging the answer). */
export async function expandWithLog(deps: TaskSearchDeps, tree: SearchTree, node: SearchNode, counts: TaskSearchCounts, dropped: DroppedCode[]): Promise<void> {
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
    const children = expandNode(tree, node, logged.children.map(specOf), logged.request_id);
    for (const j of logged.judged ?? []) {
      counts.replayedRewards++;
      const score = scoreOf(j);
      if (j.node === null) {
        dropped.push({ parent: node.id, step: j.step ?? "", samples: j.samples, programSha256: j.program_sha256, score, reward: j.reward });
        continue;
      }
      const child = children.find((c) => c.id === j.node);
      if (child === undefined || child.programSha256 !== j.program_sha256) throw diverged(deps, logged.line, `judged code step of node ${node.id}`);
      child.score = score;
      child.reward = j.reward;
    }
    return;
  }
  const proposal = await deps.policy.propose(request);
  if (proposal.error !== undefined) stop(deps, { node: node.id, what: "expansion", requestId: request.requestId, error: `request ${request.requestId} failed: ${proposal.error}` });
  counts.expansions++;
  counts.calls++;
  counts.promptTokens += proposal.usage.promptTokens;
  counts.completionTokens += proposal.usage.completionTokens;
  let specs = childrenFromCandidates(proposal.candidates, node.depth + 1, deps.settings.max_depth);
  const code = deps.settings.code_children === "best" ? specs.filter((s) => s.terminal === "code") : [];
  // Judged together: the pool takes an expansion's programs at once.
  const scores = await Promise.all(code.map((s) => scoreStep(deps, s.step, s.programSha256, node.id, counts)));
  const best = scores.reduce((b, s, i) => (s.reward > (scores[b]?.reward ?? -1) ? i : b), 0);
  if (code.length > 1) specs = renormalizedPriors(specs.filter((s) => s.terminal !== "code" || s === code[best]));
  const children = expandNode(tree, node, specs, request.requestId);
  const judged: JudgedCode[] = code.map((spec, i) => {
    const s = scores[i] as ScoredStep;
    const kept = i === best ? children.find((c) => c.step === spec.step) : undefined;
    if (kept !== undefined) {
      kept.score = s.score;
      kept.reward = s.reward;
    } else dropped.push({ parent: node.id, step: spec.step, samples: spec.samples, programSha256: s.programSha256, score: s.score, reward: s.reward });
    return { node: kept?.id ?? null, step: kept === undefined ? spec.step : null, samples: spec.samples, ...scoreFields(s) };
  });
  deps.append({
    kind: "expand",
    task_id: deps.task.taskId,
    node: node.id,
    request_id: request.requestId,
    prompt_sha256: promptSha256,
    seed: request.seed ?? 0,
    candidates: proposal.candidates.length,
    usage: { prompt_tokens: proposal.usage.promptTokens, completion_tokens: proposal.usage.completionTokens },
    children: children.map(recordOf),
    ...(judged.length > 0 ? { judged } : {}),
  });
}

/** Sets a code terminal's score and reward from the log, or by judging its program (and logging it); `code_children: all` only. */
export async function rewardWithLog(deps: TaskSearchDeps, node: SearchNode, counts: TaskSearchCounts): Promise<void> {
  const logged = deps.log?.rewards.get(node.id);
  if (logged !== undefined) {
    if (logged.program_sha256 !== node.programSha256) throw diverged(deps, logged.line, `reward of node ${node.id}`);
    counts.replayedRewards++;
    node.score = scoreOf(logged);
    node.reward = logged.reward;
    return;
  }
  const s = await scoreStep(deps, node.step, node.programSha256, node.id, counts);
  node.score = s.score;
  node.reward = s.reward;
  deps.append({ kind: "reward", task_id: deps.task.taskId, node: node.id, ...scoreFields(s) });
}

interface ScoredStep {
  programSha256: string;
  score: RewardScore;
  reward: number;
  cached: boolean;
}

/** Judges a code step's program through the reward cache; the sandbox failing for good stops the task. */
async function scoreStep(deps: TaskSearchDeps, step: string, sha: string | null, node: number, counts: TaskSearchCounts): Promise<ScoredStep> {
  const program = programFromSteps([step]) ?? "";
  const programSha256 = sha ?? programDigest(program);
  let score: RewardScore;
  let cached = false;
  if (program.trim() === "") {
    // A python fence with nothing in it: nothing to run, and nothing to reward.
    score = { compiles: false, passed: 0, total: 0 };
  } else {
    try {
      ({ score, cached } = await deps.rewards.score(deps.task, program, programSha256));
    } catch (err) {
      if (!(err instanceof SandboxFault)) throw err;
      stop(deps, { node, what: "reward", requestId: null, error: err.message });
    }
  }
  counts.rewards++;
  if (cached) counts.cachedRewards++;
  return { programSha256, score, reward: rewardValue(score, deps.settings.alpha), cached };
}

/** Priors normalised again over the children that were kept (PUCT compares siblings). */
function renormalizedPriors(specs: ChildSpec[]): ChildSpec[] {
  const total = specs.reduce((sum, s) => sum + (s.prior ?? 0), 0);
  if (total <= 0 || specs.some((s) => s.prior === null)) return specs;
  for (const s of specs) s.prior = (s.prior ?? 0) / total;
  return specs;
}

/** Logs a failure and stops the task. */
function stop(deps: TaskSearchDeps, failure: TaskFailure): never {
  deps.append({ kind: "failure", task_id: deps.task.taskId, node: failure.node, what: failure.what, request_id: failure.requestId, error: failure.error });
  throw new TaskStopped(failure);
}

function scoreFields(s: ScoredStep): Omit<JudgedCode, "node" | "step" | "samples"> {
  const { tests, ...counts } = s.score;
  return { program_sha256: s.programSha256, ...counts, reward: s.reward, cached: s.cached, ...(tests !== undefined ? { tests } : {}) };
}

function scoreOf(logged: Pick<JudgedCode, "compiles" | "passed" | "total" | "tests">): RewardScore {
  return { compiles: logged.compiles, passed: logged.passed, total: logged.total, ...(logged.tests !== undefined ? { tests: logged.tests } : {}) };
}

/** The error of a log that does not match the search replaying it. */
export function diverged(deps: TaskSearchDeps, line: number, what: string): InputError {
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
