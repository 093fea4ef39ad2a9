import { describe, expect, it } from "vitest";
import { asprSearchTasks, searchAspr } from "../../src/search/search-aspr.js";
import { searchSmallTrees } from "../helpers/search-doubles.js";

describe("ASPR C and D of a search run", () => {
  it("read the value of the step before each correct code step", async () => {
    const [tree] = await searchSmallTrees();
    if (!tree) throw new Error("no tree");
    // The only correct terminal is C, under P (Q 3/3).
    expect(asprSearchTasks([tree])).toEqual([{ taskId: "t", lastStepValues: [1] }]);
    // A code step straight from the root reads the root's value; an unsolved tree has no correct path.
    const fromRoot = { ...tree, task_id: "r", nodes: tree.nodes.map((n) => (n.id === 3 ? { ...n, correct: true } : n)) };
    const unsolved = { ...tree, task_id: "u", nodes: tree.nodes.map((n) => ({ ...n, correct: n.correct === true ? false : n.correct })) };
    expect(asprSearchTasks([fromRoot, unsolved])).toEqual([
      { taskId: "r", lastStepValues: [4 / 6, 1] },
      { taskId: "u", lastStepValues: [] },
    ]);
    expect(searchAspr([tree, fromRoot, unsolved], "C").value).toBeCloseTo((1 + (4 / 6 + 1) / 2) / 2, 12);
    expect(searchAspr([tree, fromRoot, unsolved], "D").value).toBeCloseTo(2 / 3, 12);
  });
});
