import { describe, expect, it } from "vitest";
import { sftExport } from "../../../src/search/exports/sft.js";
import { toJsonl } from "../../../src/search/exports/manifest.js";
import { sha256 } from "../../../src/util/hash.js";
import { searchSmallTrees } from "../../helpers/search-doubles.js";

describe("SFT export", () => {
  it("writes one {prompt, completion} per correct terminal, continuing the step-1 prompt to the last <Step_End>", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const { rows, manifest } = sftExport([tree]);
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(Object.keys(row ?? {})).toEqual(["prompt", "completion"]);
    expect(row?.prompt).toBe(`${tree.header}<Step_Begin>\n### Step 1:`);
    const p = tree.nodes[1]?.step;
    const c = tree.nodes[4]?.step;
    expect(row?.completion).toBe(` ${p}<Step_End>\n\n<Step_Begin>\n### Step 2: ${c}<Step_End>`);
    expect(manifest).toEqual({
      format: "sft",
      reader: expect.stringContaining("TRL"),
      rows: 1,
      tasks: 1,
      tasks_with_rows: 1,
      options: {},
      skipped: {},
      identity_sha256: [tree.identity_sha256],
      sha256: sha256(toJsonl(rows)),
    });
  });

  it("writes nothing for a tree without a correct terminal", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const unsolved = { ...tree, nodes: tree.nodes.map((n) => ({ ...n, correct: n.correct === true ? false : n.correct })) };
    expect(sftExport([unsolved]).manifest).toMatchObject({ rows: 0, tasks: 1, tasks_with_rows: 0 });
  });
});
