import { SandboxFault, SetupError } from "../core/errors.js";
import { isTerminalStep, parseStep, programFromSteps } from "../prompts/pseudocode.js";
import { createExpansionRequests, type ExpansionRequests } from "./expansion-request.js";
import { forEachLimited } from "./limited.js";
import { isCorrectScore, rewardValue, type RewardScore } from "./reward.js";
import { createRewardCache, type RewardCache } from "./reward-cache.js";
import { programDigest } from "../judge/program-identity.js";
import type { SearchInputs } from "./search-inputs.js";
import type { SearchTask } from "./search-task.js";
import type { TreeSummary } from "./tree-summary.js";

/**
 * The fair baseline of a search: per task, the same model budget the search spent (its calls,
 * or its completion tokens) goes to independent pseudocode paths, one step per request
 * (n = 1, the search's sampling), each path judged like a search terminal. MCTS that does not
 * beat this at the same budget is not worth its bookkeeping (OpenR #49, #95).
 *
 * With a budget in calls, the search's requests draw n candidates each, so it sees more tokens
 * than the baseline; a budget in tokens gives both the same number of generated tokens.
 */

/** What the budget counts. */
export type BudgetUnit = "calls" | "tokens";

/** What one task's search spent. */
export interface TaskBudget {
  calls: number;
  completionTokens: number;
}

/** Seeds of baseline requests start here, far from the search's own (seed + node id), so a response cache never mixes them. */
export const BEST_OF_N_SEED_OFFSET = 1_000_000;

/** Everything the baseline needs: the search's inputs, and what each task's search spent. */
export interface BestOfNOptions extends SearchInputs {
  /** Per task id: what the search spent there (searchBudgets). A task without one gets no paths. */
  budgets: ReadonlyMap<string, TaskBudget>;
  unit?: BudgetUnit;
  /** Called with each task's result as it finishes (a caller that keeps them on disk). */
  onTask?: (result: BestOfNTaskResult) => void;
}

/** One independent path. */
export interface BestOfNPath {
  steps: string[];
  /** terminal: a code step; step_limit: max_depth steps without code; budget: cut when the budget ran out (not judged); dead_end: an empty answer; failed: a request (or judgement) that failed for good (the task is incomplete). */
  stoppedBy: "terminal" | "step_limit" | "budget" | "dead_end" | "failed";
  programSha256: string | null;
  score: RewardScore | null;
  reward: number;
  correct: boolean;
}

/** One task's baseline. */
export interface BestOfNTaskResult {
  taskId: string;
  budget: { unit: BudgetUnit; amount: number };
  calls: number;
  completionTokens: number;
  paths: BestOfNPath[];
  /** A path's program passed every test. */
  solved: boolean;
  /** Why the task's baseline stopped before its budget was spent (a request or judgement failed for good); null when complete. */
  failure: string | null;
}

/** The budgets a search run's trees spent, by task id. */
export function searchBudgets(trees: readonly TreeSummary[]): Map<string, TaskBudget> {
  return new Map(trees.map((t) => [t.task_id, { calls: t.usage.calls, completionTokens: t.usage.completion_tokens }]));
}

/** Runs the baseline for every task (tasks side by side, each task's paths one after another). */
export async function runBestOfN(opts: BestOfNOptions): Promise<BestOfNTaskResult[]> {
  const rewards = createRewardCache(opts.judge);
  const results: BestOfNTaskResult[] = [];
  await forEachLimited(
    opts.tasks,
    opts.tasksInFlight ?? opts.tasks.length,
    async (task, at, signal) => {
      const result = await bestOfNTask(opts, task, rewards, signal);
      results[at] = result;
      opts.onTask?.(result);
    },
    opts.signal,
  );
  return results.filter((r): r is BestOfNTaskResult => r !== undefined);
}

async function bestOfNTask(opts: BestOfNOptions, task: SearchTask, rewards: RewardCache, signal: AbortSignal): Promise<BestOfNTaskResult> {
  const unit = opts.unit ?? "calls";
  const budget = opts.budgets.get(task.taskId) ?? { calls: 0, completionTokens: 0 };
  const amount = unit === "calls" ? budget.calls : budget.completionTokens;
  const requests = createExpansionRequests(task, opts.settings, opts.api ?? "completions", opts.prompt);
  const spent = { calls: 0, completionTokens: 0 };
  const left = () => (unit === "calls" ? spent.calls : spent.completionTokens) < amount;
  const paths: BestOfNPath[] = [];
  let failure: string | null = null;
  for (let p = 0; left() && !signal.aborted && failure === null; p++) {
    const { path, error } = await samplePath(opts, task, requests, p, spent, left);
    if (path.stoppedBy === "terminal") {
      const program = programFromSteps(path.steps) ?? "";
      path.programSha256 = programDigest(program);
      try {
        path.score = program.trim() === "" ? { compiles: false, passed: 0, total: 0 } : (await rewards.score(task, program, path.programSha256)).score;
        path.reward = rewardValue(path.score, opts.settings.alpha);
        path.correct = isCorrectScore(path.score);
      } catch (err) {
        if (!(err instanceof SandboxFault)) throw err;
        path.stoppedBy = "failed";
        failure = err.message;
      }
    }
    failure ??= error ?? null;
    paths.push(path);
  }
  return { taskId: task.taskId, budget: { unit, amount }, ...spent, paths, solved: paths.some((p) => p.correct), failure };
}

/** Samples one path a step at a time, stopping at a code step, the depth limit, or the end of the budget. */
async function samplePath(
  opts: BestOfNOptions,
  task: SearchTask,
  requests: ExpansionRequests,
  p: number,
  spent: { calls: number; completionTokens: number },
  left: () => boolean,
): Promise<{ path: BestOfNPath; error?: string }> {
  const steps: string[] = [];
  const end = (stoppedBy: BestOfNPath["stoppedBy"], error?: string) => ({
    path: { steps, stoppedBy, programSha256: null, score: null, reward: 0, correct: false },
    ...(error !== undefined ? { error } : {}),
  });
  for (let k = 1; k <= opts.settings.max_depth; k++) {
    if (!left()) return end("budget");
    const base = requests.request(0, steps);
    const seed = opts.settings.seed + BEST_OF_N_SEED_OFFSET + p * opts.settings.max_depth + (k - 1);
    const requestId = `${task.taskId}#bon-${p}-${k}`;
    const proposal = await opts.policy.propose({ ...base, n: 1, seed, requestId });
    // A request that failed after the provider's retries is no answer of the model: the task is incomplete, not given a dead end.
    if (proposal.error !== undefined) return end("failed", `request ${requestId} failed: ${proposal.error}`);
    spent.calls++;
    spent.completionTokens += proposal.usage.completionTokens;
    if ((opts.unit ?? "calls") === "tokens" && proposal.usage.completionTokens === 0 && proposal.candidates.some((c) => c.text !== "")) {
      // Without usage a token budget never runs out.
      throw new SetupError(`the model server reported no completion tokens for request ${task.taskId}#bon-${p}-${k}; give the baseline a budget in calls`);
    }
    const step = parseStep(proposal.candidates[0]?.text ?? "");
    if (step === "") return end("dead_end");
    steps.push(step);
    if (isTerminalStep(step)) return end("terminal");
  }
  return end("step_limit");
}
