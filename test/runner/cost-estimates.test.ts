import { describe, expect, it } from "vitest";
import type { Sample } from "../../src/core/sample.js";
import { createCostEstimates } from "../../src/runner/cost-estimates.js";

const sample = (taskId: string, sampleIndex = 0): Sample => ({ taskId, sampleIndex, program: "" });

describe("createCostEstimates", () => {
  const tasks = [
    { taskId: "a", costSeconds: 1 },
    { taskId: "b", costSeconds: 3 },
    { taskId: "c", costSeconds: 2 },
    { taskId: "d" },
  ];

  it("orders by the reference's time before anything ran, ties in the given order", () => {
    const costs = createCostEstimates(tasks);
    const ids = [...costs.order([sample("d"), sample("a"), sample("c"), sample("b"), sample("a", 1)])].map((s) => `${s.taskId}${s.sampleIndex}`);
    expect(ids).toEqual(["b0", "c0", "a0", "a1", "d0"]);
  });

  it("corrects a task by what its earlier samples took, and the others by how samples compared with references", () => {
    const costs = createCostEstimates(tasks);
    // A candidate of "a" took 10 s where the reference took 1 s.
    costs.observe("a", 10);
    expect(costs.estimate("a")).toBe(10);
    expect(costs.estimate("b")).toBe(30);
    costs.observe("a", 2);
    expect(costs.estimate("a")).toBe(6);
    // Candidates so far took 12 s against 2 s of reference: 6x.
    expect(costs.estimate("c")).toBe(12);
    expect(costs.estimate("d")).toBe(0);
    costs.observe("x", Number.NaN);
    expect(costs.estimate("a")).toBe(6);
  });

  it("draws the order as samples are taken: what the first ones took reorders the rest", () => {
    const costs = createCostEstimates(tasks);
    const order = costs.order([sample("b"), sample("b", 1), sample("c"), sample("a"), sample("a", 1)])[Symbol.iterator]();
    expect(order.next().value).toMatchObject({ taskId: "b", sampleIndex: 0 });
    // b's first sample failed at once; a's samples turn out slow.
    costs.observe("b", 0.01);
    costs.observe("a", 50);
    const rest = [];
    for (let n = order.next(); n.done !== true; n = order.next()) rest.push(`${n.value.taskId}${n.value.sampleIndex}`);
    expect(rest).toEqual(["a0", "a1", "c0", "b1"]);
  });
});
