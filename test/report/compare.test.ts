import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { InputError } from "../../src/core/index.js";
import type { Outcome } from "../../src/core/index.js";
import { compareRuns } from "../../src/report/compare.js";
import { renderCompareMarkdown, renderCompareText } from "../../src/report/compare-markdown.js";
import type { CompareResult } from "../../src/report/compare.js";
import { readRunDir } from "../../src/report/run-dir.js";
import type { RunDir } from "../../src/report/run-dir.js";
import { taskIds, writeRun } from "../fixtures/runs/write-run.js";
import type { RunSpec } from "../fixtures/runs/write-run.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-compare-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
async function run(spec: Omit<RunSpec, "runId"> & { runId?: string }): Promise<RunDir> {
  return readRunDir(await writeRun(root, { runId: `run-${++counter}`, ...spec }));
}

/** Two-sided exact McNemar p by BigInt summation of binomial coefficients. */
function mcnemarP(b: number, c: number): number {
  const n = b + c;
  let coeff = 1n;
  let tail = 0n;
  for (let i = 0; i <= Math.min(b, c); i++) {
    tail += coeff;
    coeff = (coeff * BigInt(n - i)) / BigInt(i + 1);
  }
  return Math.min(1, Number(2n * tail * 10n ** 18n / (1n << BigInt(n))) / 1e18);
}

/** 1 − C(n−c, k)/C(n, k) as a ratio of products, computed without the estimator's product form. */
function passAtKDirect(n: number, c: number, k: number): number {
  const choose = (m: number, r: number): number => {
    if (r > m) return 0;
    let v = 1;
    for (let i = 0; i < r; i++) v = (v * (m - i)) / (i + 1);
    return v;
  };
  return 1 - choose(n - c, k) / choose(n, k);
}

/**
 * One sample per task, 60 tasks: A passes the first 40. B loses 8 to wrong answers and 4 to
 * timeouts, and gains tasks 51 and 52: A 40/60, B 30/60.
 */
function singleSampleRuns(): { a: Record<string, Outcome[]>; b: Record<string, Outcome[]> } {
  const a: Record<string, Outcome[]> = {};
  const b: Record<string, Outcome[]> = {};
  taskIds(60).forEach((id, i) => {
    const outA: Outcome = i < 40 ? "pass" : "wrong_answer";
    let outB: Outcome = outA;
    if (i < 8) outB = "wrong_answer";
    else if (i < 12) outB = "timeout";
    else if (i === 40 || i === 41) outB = "pass";
    a[id] = [outA];
    b[id] = [outB];
  });
  return { a, b };
}

describe("compareRuns with one sample per task", () => {
  let result: CompareResult;
  let a: RunDir;
  let b: RunDir;
  beforeAll(async () => {
    const o = singleSampleRuns();
    a = await run({ outcomes: o.a });
    b = await run({ outcomes: o.b });
    result = compareRuns(a, b, { seed: 7 });
  });

  it("computes pass@1 of each run and the difference", () => {
    expect(result.benchmark).toBe("mbpp");
    expect(result.split).toBe("test");
    expect(result.k).toEqual([1]);
    expect(result.a.pass_at_k["1"]).toBeCloseTo(40 / 60, 12);
    expect(result.b.pass_at_k["1"]).toBeCloseTo(30 / 60, 12);
    expect(result.difference.pass_at_k["1"]).toBeCloseTo(-10 / 60, 12);
    expect(result.matched).toEqual({ tasks: 60, samples: 60, samples_per_task: { min: 1, max: 1 } });
    expect(result.a.outcomes).toEqual({ pass: 40, wrong_answer: 20 });
    expect(result.b.outcomes).toEqual({ pass: 30, wrong_answer: 26, timeout: 4 });
  });

  it("uses the exact McNemar test on the discordant pairs", () => {
    expect(result.test.name).toBe("mcnemar_exact");
    if (result.test.name !== "mcnemar_exact") return;
    expect([result.test.b, result.test.c]).toEqual([12, 2]);
    expect(result.test.p_value).toBeCloseTo(mcnemarP(12, 2), 12);
    expect(result.test.p_value).toBeCloseTo((2 * (1 + 14 + 91)) / 2 ** 14, 12);
  });

  it("flags B as significantly worse at 0.05 but not at 0.01", () => {
    expect(result.worse).toBe(true);
    expect(result.better).toBe(false);
    const strict = compareRuns(a, b, { alpha: 0.01, seed: 7 });
    expect(strict.worse).toBe(false);
    const reversed = compareRuns(b, a, { seed: 7 });
    expect([reversed.worse, reversed.better]).toEqual([false, true]);
  });

  it("gives a paired bootstrap interval around the difference, reproducible by seed", () => {
    const ci = result.difference.pass_at_1_ci;
    expect(ci.low).toBeLessThan(-10 / 60);
    expect(ci.high).toBeGreaterThan(-10 / 60);
    expect(ci.high).toBeLessThan(0);
    expect([ci.resamples, ci.seed, ci.confidence]).toEqual([10_000, 7, 0.95]);
    expect(compareRuns(a, b, { seed: 7 }).difference).toEqual(result.difference);
    expect(result.a.pass_at_1_ci.method).toBe("wilson");
    expect(result.a.pass_at_1_ci.low).toBeLessThan(40 / 60);
    expect(result.a.pass_at_1_ci.high).toBeGreaterThan(40 / 60);
  });

  it("lists the flips each way with their outcome kinds", () => {
    expect(result.flips.regressions[0]?.detail).toBe("test/0: wrong_answer detail");
    expect(result.flips.regressions.map((f) => [f.task_id, f.kind])).toEqual([
      ...taskIds(8).map((id) => [id, "pass → wrong_answer"]),
      ...taskIds(4, 19).map((id) => [id, "pass → timeout"]),
    ]);
    expect(result.flips.improvements).toEqual([
      { task_id: "51", sample_index: 0, a: "wrong_answer", b: "pass", kind: "wrong_answer → pass", detail: "test/0: wrong_answer detail" },
      { task_id: "52", sample_index: 0, a: "wrong_answer", b: "pass", kind: "wrong_answer → pass", detail: "test/0: wrong_answer detail" },
    ]);
    expect(result.flips.kinds).toEqual({ "pass → wrong_answer": 8, "pass → timeout": 4, "wrong_answer → pass": 2 });
  });

  it("has no warnings for runs made the same way", () => {
    expect(result.warnings).toEqual([]);
  });

  it("is a JSON object that survives a round trip", () => {
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe("compareRuns with several samples per task", () => {
  // Passing samples per task (of 5): B loses 2 on four tasks and 1 on a fifth.
  const passesA = [5, 4, 3, 2, 1, 0, 5, 4, 3, 2, 1, 0];
  const passesB = [3, 2, 1, 0, 0, 0, 5, 4, 3, 2, 1, 0];
  const outcomes = (passes: number[], fail: Outcome) =>
    Object.fromEntries(taskIds(12).map((id, i) => [id, Array.from({ length: 5 }, (_, s): Outcome => (s < (passes[i] ?? 0) ? "pass" : fail))]));
  let result: CompareResult;
  beforeAll(async () => {
    const a = await run({ outcomes: outcomes(passesA, "wrong_answer"), k: [1, 2, 5, 10] });
    const b = await run({ outcomes: outcomes(passesB, "timeout"), k: [1, 2, 5, 10, 20] });
    result = compareRuns(a, b);
  });

  it("reports every common pass@k that the sample count allows", () => {
    expect(result.k).toEqual([1, 2, 5]);
    for (const k of [1, 2, 5]) {
      const want = (passes: number[]) => passes.reduce((s, c) => s + passAtKDirect(5, c, k), 0) / passes.length;
      expect(result.a.pass_at_k[String(k)]).toBeCloseTo(want(passesA), 12);
      expect(result.b.pass_at_k[String(k)]).toBeCloseTo(want(passesB), 12);
      expect(result.difference.pass_at_k[String(k)]).toBeCloseTo(want(passesB) - want(passesA), 12);
    }
    expect(result.a.pass_at_k["1"]).toBeCloseTo(0.5, 12);
    expect(result.b.pass_at_k["1"]).toBeCloseTo(0.35, 12);
  });

  it("uses the exact paired permutation test on per-task pass rates", () => {
    expect(result.test.name).toBe("paired_permutation");
    if (result.test.name !== "paired_permutation") return;
    expect(result.test.method).toBe("exact");
    expect(result.test.non_zero).toBe(5);
    expect(result.test.permutations).toBe(32);
    // Differences −0.4 ×4 and −0.2: only all-negative and all-positive reach |sum| = 1.8.
    expect(result.test.p_value).toBe(2 / 32);
    expect(result.worse).toBe(false);
    expect(result.a.pass_at_1_ci.method).toBe("bootstrap");
  });

  it("lists flips per sample", () => {
    expect(result.matched.samples_per_task).toEqual({ min: 5, max: 5 });
    expect(result.flips.regressions).toHaveLength(9);
    expect(result.flips.regressions.slice(0, 2)).toEqual([
      { task_id: "11", sample_index: 3, a: "pass", b: "timeout", kind: "pass → timeout", detail: "test/0: timeout detail" },
      { task_id: "11", sample_index: 4, a: "pass", b: "timeout", kind: "pass → timeout", detail: "test/0: timeout detail" },
    ]);
    expect(result.flips.improvements).toEqual([]);
  });
});

describe("compareRuns on runs over different tasks", () => {
  // A 399-task baseline against a 10-task candidate that passes all of its 10.
  const baseline = Object.fromEntries(taskIds(399).map((id, i): [string, Outcome[]] => [id, [i % 2 === 0 ? "pass" : "wrong_answer"]]));
  const ten = Object.fromEntries(taskIds(10).map((id): [string, Outcome[]] => [id, ["pass"]]));

  it("refuses them by default, saying how many tasks only one run has", async () => {
    const a = await run({ outcomes: baseline });
    const b = await run({ outcomes: ten });
    expect(() => compareRuns(a, b)).toThrow(InputError);
    expect(() => compareRuns(a, b)).toThrow(/cannot be compared: 389 task\(s\) only in A \(21, 22, .*\); .*--tasks intersection/);
  });

  it("with tasks: intersection, compares the shared tasks and says the figures are partial", async () => {
    const a = await run({ outcomes: baseline, summaryExtra: { tasks_total: 399, partial: false } });
    const b = await run({ outcomes: ten, summaryExtra: { tasks_total: 399, partial: true, missing_policy: "skip", tasks_missing: taskIds(399).slice(10) } });
    const r = compareRuns(a, b, { tasks: "intersection" });
    expect(r.tasks_policy).toBe("intersection");
    expect(r.coverage).toBe("partial: compared on 10 of 399 tasks");
    expect(r.matched.tasks).toBe(10);
    expect(r.b).toMatchObject({ tasks_total: 10, tasks_benchmark: 399, partial: "partial: 10 of 399 tasks" });
    expect(r.warnings.join("\n")).toContain("run B is partial: 10 of 399 tasks: 389 task(s) have no sample (21, 22,");
    expect(renderCompareText(r)).toContain("(partial: compared on 10 of 399 tasks)");
    expect(renderCompareText(r)).toMatch(/│ tasks\s+│ 399\s+│ 10 of 399 \(partial\)\s+│ partial: compared on 10 of 399 tasks │/);
  });

  it("shows each run's reference failures and unscorable tasks", async () => {
    const o = singleSampleRuns();
    const failures = { "Mbpp/255": [{ test: "plus/86", why: "memory limit exceeded", handling: "left_out" as const }] };
    const a = await run({ outcomes: o.a, summaryExtra: { tasks_total: 61, partial: true, tasks_unscorable: ["Mbpp/255"], reference_failures: failures } });
    const b = await run({ outcomes: o.b, summaryExtra: { tasks_total: 60, reference_failures: {}, tasks_unscorable: [] } });
    const r = compareRuns(a, b);
    expect(r.a).toMatchObject({ reference_failures: 1, tasks_unscorable: 1 });
    expect(r.b).toMatchObject({ reference_failures: 0, tasks_unscorable: 0 });
    expect(r.warnings.join("\n")).toContain("run A: the reference solution failed 1 test(s) in 1 task(s), 1 task(s) unscorable");
    expect(renderCompareMarkdown(r)).toMatch(/\| reference failures \| 1 test\(s\) \(1 task\(s\) unscorable\) \| none \|/);
  });
});

describe("compareRuns on runs that differ", () => {
  it("refuses different benchmarks or splits, saying which", async () => {
    const a = await run({ outcomes: { "11": ["pass"] } });
    const plus = await run({ outcomes: { "11": ["pass"] }, benchmark: "mbpp-plus" });
    const validation = await run({ outcomes: { "11": ["pass"] }, split: "validation" });
    expect(() => compareRuns(a, plus)).toThrow(InputError);
    expect(() => compareRuns(a, plus)).toThrow("benchmark (A: mbpp, B: mbpp-plus)");
    expect(() => compareRuns(a, validation)).toThrow("split (A: test, B: validation)");
    expect(() => compareRuns(a, validation)).not.toThrow(/benchmark \(/);
  });

  it("refuses runs with no sample in common", async () => {
    const a = await run({ outcomes: { "11": ["pass"] } });
    const b = await run({ outcomes: { "12": ["pass"] } });
    expect(() => compareRuns(a, b, { tasks: "intersection" })).toThrow(/no \(task_id, sample_index\) in common/);
  });

  it("warns about sandbox image, limits, hash seed, data and unmatched tasks and samples", async () => {
    const a = await run({ outcomes: { "11": ["pass"], "12": ["pass"], "13": ["pass"], "14": ["wrong_answer"] } });
    const b = await run({
      outcomes: { "11": ["pass", "pass"], "12": ["timeout"], "14": ["sandbox_error"], "15": ["pass"] },
      imageId: "sha256:2222",
      hashSeed: 1,
      limits: { testSeconds: 2, memoryMb: 1024 },
      status: "interrupted",
    });
    const r = compareRuns(a, b, { tasks: "intersection" });
    const text = r.warnings.join("\n");
    expect(text).toContain("different sandbox images: A sha256:1111, B sha256:2222");
    expect(text).toContain("different limits: testSeconds A 4, B 2");
    expect(text).not.toContain("memoryMb");
    expect(text).toContain("different PYTHONHASHSEED: A 0, B 1");
    expect(text).toContain("1 task(s) only in A (13), 1 task(s) only in B (15)");
    expect(text).toContain("0 only in A, 1 only in B");
    expect(text).toContain("run B is interrupted");
    expect(text).toContain("run B has 1 sandbox_error");
    expect(r.unmatched).toEqual({ tasks_only_in_a: ["13"], tasks_only_in_b: ["15"], samples_only_in_a: 0, samples_only_in_b: 1 });
    expect(r.matched.tasks).toBe(3);
    expect(r.test.name).toBe("mcnemar_exact");
  });

  it("finds nothing between identical runs", async () => {
    const o = singleSampleRuns();
    const a = await run({ outcomes: o.a });
    const b = await run({ outcomes: o.a });
    const r = compareRuns(a, b);
    expect(r.test.p_value).toBe(1);
    expect([r.worse, r.better]).toEqual([false, false]);
    expect(r.flips.regressions).toEqual([]);
    expect(r.difference.pass_at_1_ci).toMatchObject({ low: 0, high: 0 });
  });

  it("orders task ids numerically and switches to the permutation test when any task has two samples", async () => {
    const a = await run({ outcomes: { "Mbpp/10": ["pass"], "Mbpp/2": ["pass", "pass"], "Mbpp/9": ["pass"] } });
    const b = await run({ outcomes: { "Mbpp/10": ["timeout"], "Mbpp/2": ["memory_exceeded", "pass"], "Mbpp/9": ["syntax_error"] } });
    const r = compareRuns(a, b);
    expect(r.flips.regressions.map((f) => f.task_id)).toEqual(["Mbpp/2", "Mbpp/9", "Mbpp/10"]);
    expect(r.test.name).toBe("paired_permutation");
    expect(r.matched.samples_per_task).toEqual({ min: 1, max: 2 });
    expect(r.k).toEqual([1]);
  });
});

describe("compareRuns: time limits and timing-bound tasks", () => {
  const digest = (tests: number, total: number, sha: string) => ({ tests, total_s: total, max_s: 4, sha256: sha.repeat(64) });

  it("never warns about the reference's own time (an input of the limits, not a limit)", async () => {
    const outcomes = { "11": ["pass"], "12": ["wrong_answer"] } as Record<string, Outcome[]>;
    const a = await run({ outcomes, limits: { testSeconds: 4, memoryMb: 1024, reference_seconds: 45.654, test_limits: digest(2, 8, "a") } });
    const b = await run({ outcomes, limits: { testSeconds: 4, memoryMb: 1024, reference_seconds: 39.473, test_limits: digest(2, 8, "a") } });
    expect(compareRuns(a, b).warnings).toEqual([]);
  });

  it("warns when the runs derived different per-test limits, naming the tests both ran under different ones", async () => {
    const outcomes = { "11": ["pass"], "12": ["pass"], "13": ["wrong_answer"] } as Record<string, Outcome[]>;
    const limit = (l: number) => (taskId: string) => ({ limit_s: taskId === "12" ? l : 4 });
    const a = await run({ outcomes, limits: { testSeconds: 4, memoryMb: 1024, reference_seconds: 45, test_limits: digest(3, 12, "a") }, testExtra: limit(4) });
    const b = await run({ outcomes, limits: { testSeconds: 4, memoryMb: 1024, reference_seconds: 39, test_limits: digest(3, 13.2, "b") }, testExtra: limit(5.2) });
    const warnings = compareRuns(a, b).warnings;
    expect(warnings).toEqual([
      "different per-test time limits: A 3 tests, 12.0 s in all, B 3 tests, 13.2 s in all; the reference timings they derive from differ (a run with --no-cache on a busier machine, or another expected-value cache); on the tests both ran, 1 differ (12 test/0: A 4.0 s, B 5.2 s)",
    ]);
    expect(warnings.join("\n")).not.toContain("reference_seconds");
  });

  it("lists flips on timing-bound tasks apart from regressions and improvements", async () => {
    // Task 12: A's sample finished in 3.5 s of a 4 s limit (within 25%), B's timed out: a busier machine alone can do that.
    const times = (run: "a" | "b") => (taskId: string) => (taskId === "12" && run === "a" ? { seconds: 3.5, limit_s: 4 } : { seconds: 0.1, limit_s: 4 });
    const a = await run({ outcomes: { "11": ["pass"], "12": ["pass"], "13": ["wrong_answer"] }, testExtra: times("a") });
    const b = await run({ outcomes: { "11": ["wrong_answer"], "12": ["timeout"], "13": ["pass"] }, testExtra: times("b") });
    const r = compareRuns(a, b);
    expect(r.flips.regressions.map((f) => f.task_id)).toEqual(["11"]);
    expect(r.flips.improvements.map((f) => f.task_id)).toEqual(["13"]);
    expect(r.flips.timing_bound).toEqual([{ task_id: "12", sample_index: 0, a: "pass", b: "timeout", kind: "pass → timeout", detail: "test/0: timeout detail" }]);
    expect(r.flips.kinds).toEqual({ "pass → wrong_answer": 1, "pass → timeout": 1, "wrong_answer → pass": 1 });
    const text = renderCompareText(r);
    expect(text).toContain("Flips on timing-bound tasks (1): a sample ran within 25% of a time limit, so a busier machine alone may flip it:");
    expect(text).toMatch(/│ flips\s+│ 1 pass → fail\s+│ 1 fail → pass\s+│ 1 on timing-bound tasks\s+│/);
    const md = renderCompareMarkdown(r);
    expect(md).toContain("Flips on timing-bound tasks (1)");
    expect(md).toContain("| 12 | pass | timeout | test/0: timeout detail |");
  });

  it("has no timing-bound section when no task ran near its limit", async () => {
    const a = await run({ outcomes: { "11": ["pass"] } });
    const b = await run({ outcomes: { "11": ["timeout"] } });
    const r = compareRuns(a, b);
    expect(r.flips.timing_bound).toEqual([]);
    expect(renderCompareText(r)).not.toContain("timing-bound");
    expect(renderCompareMarkdown(r)).not.toContain("timing-bound");
  });
});
