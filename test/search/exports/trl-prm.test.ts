import { describe, expect, it } from "vitest";
import { trlPrmExport } from "../../../src/search/exports/trl-prm.js";
import { searchSmallTrees } from "../../helpers/search-doubles.js";

describe("TRL PRM export", () => {
  it("writes one row per visited leaf: the problem, the marked steps, and value ≥ threshold per step", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const marked = (k: number, id: number) => `<Step_Begin>\n### Step ${k}: ${tree.nodes[id]?.step}<Step_End>`;
    const { rows, manifest } = trlPrmExport([tree]);
    // Leaves W (Q 0), H (Q 0.5), C (Q 1, under P with Q 1).
    expect(rows).toEqual([
      { prompt: tree.header, completions: [marked(1, 2)], labels: [false] },
      { prompt: tree.header, completions: [marked(1, 3)], labels: [true] },
      { prompt: tree.header, completions: [marked(1, 1), marked(2, 4)], labels: [true, true] },
    ]);
    for (const row of rows) expect(Object.keys(row)).toEqual(["prompt", "completions", "labels"]);
    expect(manifest).toMatchObject({ format: "prm", rows: 3, options: { threshold: 0.5 } });
    expect(trlPrmExport([tree], { threshold: 0.6 }).rows.map((r) => r.labels)).toEqual([[false], [false], [true, true]]);
  });
});
