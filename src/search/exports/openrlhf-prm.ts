import type { TreeSummary } from "../tree-summary.js";
import { finishExport, type ExportResult } from "./manifest.js";
import { markedStep, visitedLeafPaths } from "./tree-paths.js";

/** An OpenRLHF process-reward row: the text with one placeholder token after each step, and one label per placeholder. */
export interface OpenRlhfPrmRow {
  input: string;
  label: number[];
}

/**
 * The placeholder token of Math-Shepherd's data, OpenRLHF's documented default. OpenRLHF
 * puts each label on the position of the n-th placeholder token in the tokenized input, so
 * the token must be one token of the reward model's tokenizer and appear nowhere else.
 */
export const OPENRLHF_PLACEHOLDER = "ки";

/**
 * Soft process labels for OpenRLHF's PRM trainer (`openrlhf.cli.train_prm --input_key input
 * --label_key label --placeholder_token ки`; float labels are taken as they are): one row per
 * visited leaf, the header then each step followed by ` ки\n`, and the steps' values (Q) as
 * floats. A row whose text already holds the placeholder would misplace every label after it,
 * so it is left out and counted.
 */
export function openRlhfPrmExport(trees: readonly TreeSummary[], options: { placeholder?: string } = {}): ExportResult<OpenRlhfPrmRow> {
  const placeholder = options.placeholder ?? OPENRLHF_PLACEHOLDER;
  if (placeholder.trim() === "") throw new RangeError("the placeholder token cannot be blank");
  let holdsPlaceholder = 0;
  const rowsByTask = trees.map((tree) =>
    visitedLeafPaths(tree).flatMap((path) => {
      const input = tree.header + path.map((n, k) => `${markedStep(k + 1, n.step)} ${placeholder}\n`).join("");
      if (tree.header.includes(placeholder) || path.some((n) => n.step.includes(placeholder))) {
        holdsPlaceholder++;
        return [];
      }
      return [{ input, label: path.map((n) => n.q ?? 0) }];
    }),
  );
  return finishExport(
    "openrlhf-prm",
    `OpenRLHF train_prm (--input_key input --label_key label --placeholder_token ${placeholder})`,
    trees,
    rowsByTask,
    { placeholder },
    { text_holds_placeholder: holdsPlaceholder },
  );
}
