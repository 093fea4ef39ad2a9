import type { BootstrapOptions } from "../metrics/bootstrap.js";
import { comparePairedBinary, type PairedBinaryComparison } from "../metrics/paired-binary.js";
import type { BestOfNTaskResult, BudgetUnit } from "./best-of-n.js";
import type { TreeSummary } from "./tree-summary.js";

/** MCTS against best-of-N at the same budget, on the tasks both ran. */
export interface SearchVsBestOfN {
  unit: BudgetUnit;
  tasks: number;
  /** a = best-of-N, b = MCTS: `difference` is MCTS − best-of-N in solved rate, with a paired interval. */
  comparison: PairedBinaryComparison;
  /** Tasks only one side has (left out of the comparison). */
  unmatched: string[];
  /** Tasks left out because one side stopped on a failure (incomplete: a resume completes them). */
  incomplete: string[];
}

/** Pairs a search run's trees with a best-of-N run by task id and compares the solved rates, on the tasks both completed. */
export function compareSearchWithBestOfN(trees: readonly TreeSummary[], baseline: readonly BestOfNTaskResult[], options: BootstrapOptions = {}): SearchVsBestOfN {
  const byTask = new Map(baseline.map((b) => [b.taskId, b]));
  const a: boolean[] = [];
  const b: boolean[] = [];
  const unmatched: string[] = [];
  const incomplete: string[] = [];
  for (const tree of trees) {
    const base = byTask.get(tree.task_id);
    if (base === undefined) {
      unmatched.push(tree.task_id);
      continue;
    }
    byTask.delete(tree.task_id);
    if (tree.failure !== null || base.failure !== null) {
      incomplete.push(tree.task_id);
      continue;
    }
    a.push(base.solved);
    b.push(tree.solved);
  }
  unmatched.push(...byTask.keys());
  return { unit: baseline[0]?.budget.unit ?? "calls", tasks: a.length, comparison: comparePairedBinary(a, b, options), unmatched, incomplete };
}
