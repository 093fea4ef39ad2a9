import { computeSearchAspr, type AsprSearchResult, type AsprSearchTask, type SearchAsprDefinition } from "../metrics/aspr.js";
import { nodeOf } from "./exports/tree-paths.js";
import type { TreeSummary } from "./tree-summary.js";

/** What ASPR C and D read from a search run: per task, Q/N of the step before each correct code step the search reached. */
export function asprSearchTasks(trees: readonly TreeSummary[]): AsprSearchTask[] {
  return trees.map((tree) => ({
    taskId: tree.task_id,
    lastStepValues: tree.nodes
      .filter((n) => n.correct === true && n.n > 0 && n.parent !== null)
      .map((n) => nodeOf(tree, n.parent ?? 0).q ?? 0),
  }));
}

/** ASPR C or D of a search run's trees. */
export function searchAspr(trees: readonly TreeSummary[], definition: SearchAsprDefinition): AsprSearchResult {
  return computeSearchAspr(asprSearchTasks(trees), definition);
}
