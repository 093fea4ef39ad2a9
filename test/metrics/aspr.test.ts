import { describe, expect, it } from "vitest";
import {
  ASPR_DEFINITIONS,
  computeAspr,
  computeSearchAspr,
  definedMeanCi,
  SEARCH_ASPR_DEFINITIONS,
  taskAspr,
  type AsprFinal,
  type AsprSearchTask,
  type AsprTask,
} from "../../src/metrics/aspr.js";
import { bootstrapMeanCi, pairedBootstrapCi } from "../../src/metrics/bootstrap.js";

const pass: AsprFinal = { passed: true, passFraction: 1 };
const fail: AsprFinal = { passed: false, passFraction: 0 };
const third: AsprFinal = { passed: false, passFraction: 1 / 3 };

const tasks: AsprTask[] = [
  // Two correct paths: 3 of 4 finals pass.
  { taskId: "a", paths: [{ correct: true, finals: [pass, pass] }, { correct: true, finals: [pass, fail] }] },
  // One correct path, whose finals fail (one passes a third of the tests); the wrong path's finals do not count.
  { taskId: "b", paths: [{ correct: true, finals: [fail, third] }, { correct: false, finals: [pass, pass] }] },
  // No correct path: the task does not count.
  { taskId: "c", paths: [{ correct: false, finals: [pass, pass] }, { correct: false, finals: [] }] },
  // A correct path with no finals (none sampled): no evidence, the task does not count.
  { taskId: "d", paths: [{ correct: true, finals: [] }] },
];

describe("ASPR", () => {
  it.each([
    ["A", 0.75, 0],
    ["B", 0.75, 1 / 6],
  ] as const)("definition %s scores each task over the finals of its correct paths", (definition, a, b) => {
    expect(taskAspr(tasks[0] as AsprTask, definition)).toEqual({ taskId: "a", value: a, correctPaths: 2, finals: 4 });
    expect(taskAspr(tasks[1] as AsprTask, definition)).toEqual({ taskId: "b", value: b, correctPaths: 1, finals: 2 });
    expect(taskAspr(tasks[2] as AsprTask, definition).value).toBeNull();
    expect(taskAspr(tasks[3] as AsprTask, definition).value).toBeNull();
  });

  it("averages over the tasks that have a correct path, and says how many", () => {
    expect(computeAspr(tasks, "A")).toMatchObject({ definition: "A", value: (0.75 + 0) / 2, tasks: 4, tasksCounted: 2, paths: 7, correctPaths: 4, finalsCounted: 6 });
    expect(computeAspr(tasks, "B").value).toBeCloseTo((0.75 + 1 / 6) / 2, 15);
    expect(computeAspr(tasks).definition).toBe("A");
  });

  it("is null, not zero, when no task has a correct path", () => {
    expect(computeAspr([tasks[2] as AsprTask]).value).toBeNull();
    expect(computeAspr([]).value).toBeNull();
  });

  it("differs from the pass rate of the same samples (the paper's vanilla ASPR can sit below its Pass@1)", () => {
    // Every task has a correct path, but finals drawn at a higher temperature pass less often.
    const t: AsprTask[] = [
      { taskId: "x", paths: [{ correct: true, finals: [pass, fail, fail, fail] }] },
      { taskId: "y", paths: [{ correct: true, finals: [fail, fail, pass, fail] }] },
    ];
    expect(computeAspr(t).value).toBe(0.25);
  });

  it("rejects a pass fraction outside [0, 1]", () => {
    expect(() => taskAspr({ taskId: "z", paths: [{ correct: true, finals: [{ passed: true, passFraction: 1.5 }] }] }, "B")).toThrow(RangeError);
  });

  it("names every definition it offers", () => {
    expect(Object.keys(ASPR_DEFINITIONS)).toEqual(["A", "B"]);
    expect(ASPR_DEFINITIONS.A).toMatch(/^ASPR \(A\)/);
  });
});

describe("definedMeanCi", () => {
  it("is the plain bootstrap when every value is defined", () => {
    const values = [1, 0, 1, 1, 0, 0.5, 1, 0];
    const ours = definedMeanCi(values, undefined, { resamples: 2000, seed: 3 });
    const plain = bootstrapMeanCi(values, { resamples: 2000, seed: 3 });
    expect(ours).toEqual(plain);
  });

  it("is the paired bootstrap of the difference when both sides are defined everywhere", () => {
    const a = [1, 0, 1, 0, 1];
    const b = [1, 1, 1, 0, 0.5];
    const ours = definedMeanCi(a, b, { resamples: 2000, seed: 1 });
    const paired = pairedBootstrapCi(a, b, { resamples: 2000, seed: 1 });
    // Same draws; only the order of the additions differs (mean(b) - mean(a) vs mean(b - a)).
    for (const key of ["estimate", "low", "high"] as const) expect(ours[key]).toBeCloseTo(paired[key], 12);
  });

  it("takes the mean over defined values and resamples every task", () => {
    const ci = definedMeanCi([1, null, 0, null, 1, 1], undefined, { resamples: 4000, seed: 7 });
    expect(ci.estimate).toBe(0.75);
    expect(ci.low).toBeGreaterThanOrEqual(0);
    expect(ci.high).toBeLessThanOrEqual(1);
    expect(ci.low).toBeLessThan(0.75);
    expect(ci.high).toBe(1);
  });

  it("gives the difference of means over each side's own defined values", () => {
    const ci = definedMeanCi([1, 0, null, 1], [null, 1, 1, 0.5], { resamples: 500, seed: 0 });
    expect(ci.estimate).toBeCloseTo(2.5 / 3 - 2 / 3, 15);
  });

  it("is NaN with nothing defined, and reproducible with a seed", () => {
    expect(definedMeanCi([null, null]).estimate).toBeNaN();
    expect(definedMeanCi([]).low).toBeNaN();
    const v = [0.2, 0.4, null, 0.9, 0.1];
    expect(definedMeanCi(v, undefined, { seed: 11, resamples: 300 })).toEqual(definedMeanCi(v, undefined, { seed: 11, resamples: 300 }));
    expect(() => definedMeanCi([1], [1, 2])).toThrow(RangeError);
  });
});

describe("ASPR C and D (search runs)", () => {
  const searched: AsprSearchTask[] = [
    // Two correct paths, whose last steps before the code have Q/N 0.5 and 1.
    { taskId: "a", lastStepValues: [0.5, 1] },
    // One correct path from a step with Q/N 0.25.
    { taskId: "b", lastStepValues: [0.25] },
    // The search never reached a correct terminal.
    { taskId: "c", lastStepValues: [] },
  ];

  it("C averages Q/N of the last step over correct paths, then over the tasks that have one", () => {
    const c = computeSearchAspr(searched, "C");
    expect(c.perTask.map((t) => t.value)).toEqual([0.75, 0.25, null]);
    expect(c).toMatchObject({ definition: "C", value: 0.5, tasks: 3, tasksCounted: 2, correctPaths: 3 });
  });

  it("D is the fraction of all tasks whose search reached a correct terminal", () => {
    const d = computeSearchAspr(searched, "D");
    expect(d.perTask.map((t) => t.value)).toEqual([1, 1, 0]);
    expect(d).toMatchObject({ definition: "D", value: 2 / 3, tasks: 3, tasksCounted: 3 });
    expect(computeSearchAspr([], "D").value).toBeNull();
  });

  it("rejects a value outside [0, 1] and names both definitions", () => {
    expect(() => computeSearchAspr([{ taskId: "x", lastStepValues: [1.5] }], "C")).toThrow(RangeError);
    expect(Object.keys(SEARCH_ASPR_DEFINITIONS)).toEqual(["C", "D"]);
    expect(SEARCH_ASPR_DEFINITIONS.D).toMatch(/^ASPR \(D\)/);
  });
});
