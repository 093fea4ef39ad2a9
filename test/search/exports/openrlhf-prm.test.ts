import { describe, expect, it } from "vitest";
import { OPENRLHF_PLACEHOLDER, openRlhfPrmExport } from "../../../src/search/exports/openrlhf-prm.js";
import { searchSmallTrees } from "../../helpers/search-doubles.js";

describe("OpenRLHF PRM export", () => {
  it("puts one placeholder after each step and the step values as float labels", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const marked = (k: number, id: number) => `<Step_Begin>\n### Step ${k}: ${tree.nodes[id]?.step}<Step_End> ки\n`;
    const { rows, manifest } = openRlhfPrmExport([tree]);
    expect(OPENRLHF_PLACEHOLDER).toBe("ки");
    expect(rows).toEqual([
      { input: tree.header + marked(1, 2), label: [0] },
      { input: tree.header + marked(1, 3), label: [0.5] },
      { input: tree.header + marked(1, 1) + marked(2, 4), label: [1, 1] },
    ]);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(["input", "label"]);
      expect(row.input.split(OPENRLHF_PLACEHOLDER).length - 1).toBe(row.label.length);
    }
    expect(manifest).toMatchObject({ format: "openrlhf-prm", rows: 3, options: { placeholder: "ки" }, reader: expect.stringContaining("--placeholder_token ки") });
  });

  it("leaves out a path whose text already holds the placeholder, and counts it", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const withToken = { ...tree, nodes: tree.nodes.map((n) => (n.id === 3 ? { ...n, step: `${n.step} ки` } : n)) };
    const { rows, manifest } = openRlhfPrmExport([withToken]);
    expect(rows).toHaveLength(2);
    expect(manifest.skipped).toEqual({ text_holds_placeholder: 1 });
  });
});
