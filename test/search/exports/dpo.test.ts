import { describe, expect, it } from "vitest";
import { dpoExport } from "../../../src/search/exports/dpo.js";
import { searchSmallTrees } from "../../helpers/search-doubles.js";

describe("DPO export", () => {
  it("pairs sibling steps whose values differ by the margin, with the shared prefix as the prompt", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    const step = (id: number) => ` ${tree.nodes[id]?.step}<Step_End>`;
    const prompt = `${tree.header}<Step_Begin>\n### Step 1:`;
    // Root's children: P (Q 1), H (Q 0.5), W (Q 0); P's only child C makes no pair.
    const { rows, manifest } = dpoExport([tree]);
    expect(rows).toEqual([
      { prompt, chosen: step(1), rejected: step(3) },
      { prompt, chosen: step(1), rejected: step(2) },
      { prompt, chosen: step(3), rejected: step(2) },
    ]);
    for (const row of rows) expect(Object.keys(row)).toEqual(["prompt", "chosen", "rejected"]);
    expect(manifest).toMatchObject({ format: "dpo", rows: 3, options: { margin: 0.5, min_visits: 1 }, skipped: { identical_steps: 0 } });
    expect(dpoExport([tree], { margin: 0.6 }).rows).toEqual([{ prompt, chosen: step(1), rejected: step(2) }]);
    // H has 2 visits, W 1: with two visits required only P and H remain.
    expect(dpoExport([tree], { minVisits: 2 }).rows).toEqual([{ prompt, chosen: step(1), rejected: step(3) }]);
  });

  it("never pairs identical chosen and rejected texts", async () => {
    const trees = await searchSmallTrees(["a", "b"]);
    // Make H's text the same as P's, as a search that did not merge duplicates would have.
    const forged = trees.map((t) => ({ ...t, nodes: t.nodes.map((n) => (n.id === 3 ? { ...n, step: t.nodes[1]?.step ?? "" } : n)) }));
    const { rows, manifest } = dpoExport(forged);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.chosen).not.toBe(row.rejected);
    expect(manifest.skipped.identical_steps).toBe(2);
    expect(() => dpoExport(trees, { margin: 0 })).toThrow(RangeError);
  });
});
