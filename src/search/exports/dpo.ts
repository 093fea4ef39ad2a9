import type { DpoRow } from "../../training/trl-rows.js";
import type { TreeSummary } from "../tree-summary.js";
import { finishExport, type ExportResult } from "./manifest.js";
import { nodeOf, promptAfter, stepCompletion } from "./tree-paths.js";

export type { DpoRow } from "../../training/trl-rows.js";

/** How step pairs are chosen. */
export interface DpoOptions {
  /** Least difference of value (Q) between the chosen and the rejected step (default 0.5). */
  margin?: number;
  /** Least visits a step needs for its value to count (default 1). */
  minVisits?: number;
}

/**
 * Step-level preference pairs: for every expanded node, each pair of its children whose
 * values differ by at least `margin` (both visited at least `minVisits` times). The prompt is
 * the problem and the shared prefix (the prompt that asked for these siblings); chosen and
 * rejected are the two steps, each up to its `<Step_End>`. Siblings are distinct texts (the
 * search merges duplicates), and a pair with identical texts is skipped all the same.
 */
export function dpoExport(trees: readonly TreeSummary[], options: DpoOptions = {}): ExportResult<DpoRow> {
  const margin = options.margin ?? 0.5;
  const minVisits = options.minVisits ?? 1;
  if (!(margin > 0)) throw new RangeError(`the DPO margin must be above 0 (a pair needs a preference), got ${margin}`);
  let identical = 0;
  const rowsByTask = trees.map((tree) => {
    const rows: DpoRow[] = [];
    for (const parent of tree.nodes) {
      const ranked = parent.children
        .map((id) => nodeOf(tree, id))
        .filter((c) => c.n >= minVisits && c.q !== null)
        .sort((a, b) => (b.q ?? 0) - (a.q ?? 0) || a.id - b.id);
      if (ranked.length < 2) continue;
      const prompt = promptAfter(tree, parent.id);
      ranked.forEach((chosen, i) => {
        for (const rejected of ranked.slice(i + 1)) {
          if ((chosen.q ?? 0) - (rejected.q ?? 0) < margin) continue;
          if (chosen.step === rejected.step) {
            identical++;
            continue;
          }
          rows.push({ prompt, chosen: stepCompletion(chosen.step), rejected: stepCompletion(rejected.step) });
        }
      });
    }
    return rows;
  });
  return finishExport("dpo", "TRL DPOTrainer (--chosen_key chosen --rejected_key rejected for OpenRLHF)", trees, rowsByTask, { margin, min_visits: minVisits }, { identical_steps: identical });
}
