import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { BootstrapOptions } from "../metrics/bootstrap.js";
import { compareSearchWithBestOfN, type SearchVsBestOfN } from "../search/baseline-comparison.js";
import { runBestOfN, searchBudgets, type BestOfNTaskResult, type BudgetUnit } from "../search/best-of-n.js";
import type { SearchInputs } from "../search/search-inputs.js";
import type { TreeSummary } from "../search/tree-summary.js";
import { openJsonlAppender, readJsonlFile } from "../util/jsonl-file.js";

/**
 * `verdict search --baseline best-of-n`: per task, the budget the search spent (its model
 * calls, or its completion tokens) goes to independent pseudocode paths (src/search/best-of-n.ts),
 * and the solved rates are compared pairwise. Each task's result is a line of
 * `<model>/best-of-n.jsonl` as soon as it is done, so an interrupted baseline resumes where it
 * stopped; a task whose baseline failed (a request that failed for good) is run again.
 */

/** The file of a model's baseline results. */
export const BEST_OF_N_FILE = "best-of-n.jsonl";

const pathSchema = z.looseObject({
  steps: z.array(z.string()),
  stoppedBy: z.enum(["terminal", "step_limit", "budget", "dead_end", "failed"]),
  programSha256: z.string().nullable(),
  score: z.looseObject({ compiles: z.boolean(), passed: z.int().min(0), total: z.int().min(0) }).nullable(),
  reward: z.number(),
  correct: z.boolean(),
});

const resultSchema = z.looseObject({
  taskId: z.string(),
  budget: z.strictObject({ unit: z.enum(["calls", "tokens"]), amount: z.number().min(0) }),
  calls: z.int().min(0),
  completionTokens: z.int().min(0),
  paths: z.array(pathSchema),
  solved: z.boolean(),
  failure: z.string().nullable(),
});

/** A model's baseline and its comparison with the search. */
export interface BaselineOutcome {
  results: BestOfNTaskResult[];
  comparison: SearchVsBestOfN;
  /** Tasks whose result came from the file (an earlier run of the baseline). */
  reused: number;
}

/** Runs (or resumes) the baseline of one model's search into `dir`, on the tasks whose trees finished. */
export async function runSearchBaseline(
  dir: string,
  inputs: SearchInputs,
  trees: readonly TreeSummary[],
  unit: BudgetUnit,
  ci: BootstrapOptions,
): Promise<BaselineOutcome> {
  const file = join(dir, BEST_OF_N_FILE);
  const finished = trees.filter((t) => t.finished);
  const budgets = searchBudgets(finished);
  const done = new Map<string, BestOfNTaskResult>();
  for (const { line, text } of readJsonlFile(file, { repair: true }).lines) {
    const parsed = resultSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new InputError(`not a best-of-N result: ${parsed.error.issues[0]?.message ?? "invalid"}`, file, line);
    const r = parsed.data as BestOfNTaskResult;
    // A result made for another budget (a different unit, or a tree that grew since) is made again.
    const budget = budgets.get(r.taskId);
    const amount = unit === "calls" ? budget?.calls : budget?.completionTokens;
    if (r.failure === null && r.budget.unit === unit && r.budget.amount === amount) done.set(r.taskId, r);
  }
  const todo = inputs.tasks.filter((t) => budgets.has(t.taskId) && !done.has(t.taskId));
  const out = openJsonlAppender(file);
  let fresh: BestOfNTaskResult[];
  try {
    fresh = await runBestOfN({ ...inputs, tasks: todo, budgets, unit, onTask: (r) => out.append(r) });
  } finally {
    out.close();
  }
  const byTask = new Map([...done, ...fresh.map((r) => [r.taskId, r] as const)]);
  const results = finished.flatMap((t) => byTask.get(t.task_id) ?? []);
  return { results, comparison: compareSearchWithBestOfN(finished, results, ci), reused: results.length - fresh.length };
}
