import { formatStep } from "../../prompts/pseudocode.js";
import type { SftRow } from "../../training/trl-rows.js";
import type { TreeSummary } from "../tree-summary.js";
import { finishExport, type ExportResult } from "./manifest.js";
import { promptAfter, stepPath } from "./tree-paths.js";

export type { SftRow } from "../../training/trl-rows.js";

/**
 * SFT data (the paper's D⁺): one row per correct terminal the search reached (its program
 * passed every test, reward 1 with α = 0). The prompt is the step-1 prompt (instruction,
 * example, task, `<Step_Begin>\n### Step 1:`); the completion is the path's steps as the
 * policy writes them, ending at the last `<Step_End>`, so prompt + completion is the exact
 * text of the path.
 */
export function sftExport(trees: readonly TreeSummary[]): ExportResult<SftRow> {
  const rowsByTask = trees.map((tree) =>
    tree.nodes
      .filter((n) => n.correct === true && n.n > 0)
      .map((leaf) => {
        const prompt = promptAfter(tree, 0);
        const text = tree.header + stepPath(tree, leaf.id).map((n, k) => formatStep(k + 1, n.step)).join("");
        // The prompt is a prefix of the path's text; what follows it, up to the last <Step_End>, is the completion.
        return { prompt, completion: text.slice(prompt.length).trimEnd() };
      }),
  );
  return finishExport("sft", "TRL SFTTrainer (prompt-completion dataset)", trees, rowsByTask, {});
}
