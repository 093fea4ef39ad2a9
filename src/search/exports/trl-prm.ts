import type { TrlPrmRow } from "../../training/trl-rows.js";
import type { TreeSummary } from "../tree-summary.js";
import { finishExport, type ExportResult } from "./manifest.js";
import { markedStep, visitedLeafPaths } from "./tree-paths.js";

export type { TrlPrmRow } from "../../training/trl-rows.js";

/**
 * Process-reward data for TRL's PRMTrainer: one row per visited leaf of a tree (a code step,
 * a step at the depth limit, or a dead end), its steps as completions (with their markers,
 * as the policy wrote them) and each step labelled value ≥ threshold. TRL casts labels to
 * int, so soft labels go to the OpenRLHF export instead.
 */
export function trlPrmExport(trees: readonly TreeSummary[], options: { threshold?: number } = {}): ExportResult<TrlPrmRow> {
  const threshold = options.threshold ?? 0.5;
  const rowsByTask = trees.map((tree) =>
    visitedLeafPaths(tree).map((path) => ({
      prompt: tree.header,
      completions: path.map((n, k) => markedStep(k + 1, n.step)),
      labels: path.map((n) => (n.q ?? 0) >= threshold),
    })),
  );
  return finishExport("prm", 'TRL PRMTrainer (stepwise supervision; step_separator "\\n")', trees, rowsByTask, { threshold });
}
