import type { SearchTask } from "./search-task.js";

/**
 * Rewards: a terminal step's program is judged on every test of its task (never stopping at
 * the first failure: the reward needs the passed fraction) and scored
 * v = α·compiles + (1 − α)·passed/total (o1-Coder, §3.2; α = 0 in its public code).
 */

/** One test's outcome, as the judge saw it (the tree view shows them). */
export interface RewardTestOutcome {
  id: string;
  /** An Outcome of src/core/outcome.ts (pass, wrong_answer, timeout, ...). */
  outcome: string;
  /** Why it did not pass, cut short. */
  detail?: string;
}

/** What the judge reports for one program. */
export interface RewardScore {
  /** The program loaded (compiled and ran its top level) without an error. */
  compiles: boolean;
  /** Tests passed, out of `total`. */
  passed: number;
  total: number;
  /** Each test's outcome, in the tests' order, when the judge reports them. */
  tests?: RewardTestOutcome[];
}

/**
 * The sandbox side of the search: judges a program on every test of a task. Verdicts of
 * hostile programs (timeouts, crashes, forged output) are expected outcomes, reported as
 * scores; only infrastructure faults reject.
 */
export interface RewardJudge {
  judge(task: SearchTask, program: string): Promise<RewardScore>;
}

/** The reward of a score: α·compiles + (1 − α)·passed/total (0 for a task without tests). */
export function rewardValue(score: RewardScore, alpha: number): number {
  const fraction = score.total > 0 ? score.passed / score.total : 0;
  return alpha * (score.compiles ? 1 : 0) + (1 - alpha) * fraction;
}

/** A program is correct when it passes every test of a task that has tests. */
export function isCorrectScore(score: Pick<RewardScore, "passed" | "total">): boolean {
  return score.total > 0 && score.passed === score.total;
}

/** Throws when a judge breaks its contract (the search would otherwise store a nonsense reward). */
export function checkScore(score: RewardScore, taskId: string): RewardScore {
  const { passed, total } = score;
  if (!Number.isInteger(total) || total < 0 || !Number.isInteger(passed) || passed < 0 || passed > total || typeof score.compiles !== "boolean") {
    throw new Error(`internal: the reward judge returned ${JSON.stringify(score)} for task ${taskId}; expected 0 <= passed <= total, integers`);
  }
  return score;
}
