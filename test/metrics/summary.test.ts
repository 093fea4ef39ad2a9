import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import type { Outcome } from "../../src/core/outcome.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { summarize } from "../../src/metrics/summary.js";

function verdict(taskId: string, index: number, status: Outcome, extra: Partial<SampleVerdict> = {}): SampleVerdict {
  return {
    task_id: taskId,
    sample_index: index,
    status,
    tests: [],
    weak: false,
    seconds: 0.1,
    cached: false,
    program_sha256: "00",
    ...extra,
  };
}

const BASE = { benchmark: "mbpp", split: "test", seconds: 12.5 };

describe("summarize", () => {
  // Task A: 2 of 5 pass; task B: 0 of 5.
  const verdicts = [
    verdict("A", 0, "pass"),
    verdict("A", 1, "wrong_answer"),
    verdict("A", 2, "pass", { weak: true }),
    verdict("A", 3, "timeout"),
    verdict("A", 4, "wrong_answer"),
    ...[0, 1, 2, 3, 4].map((i) => verdict("B", i, i === 0 ? "syntax_error" : "wrong_answer")),
  ];

  it("counts tasks, samples, outcomes and weak passes", () => {
    const s = summarize({ ...BASE, verdicts, ks: [1], groups: [] });
    const { pass_at_k: passAtK, ...rest } = s;
    expect(rest).toEqual({
      benchmark: "mbpp",
      split: "test",
      tasks: 2,
      samples: 10,
      outcomes: { pass: 2, wrong_answer: 6, timeout: 1, syntax_error: 1 },
      weak_passes: 1,
      seconds: 12.5,
      tasks_total: 2,
      partial: false,
      tasks_missing: [],
      tasks_unscorable: [],
      reference_failures: {},
      cached: { verdicts: 0 },
      timing_bound: [],
    });
    expect(Object.keys(passAtK)).toEqual(["1"]);
    expect(passAtK["1"]).toBeCloseTo(0.2, 15);
  });

  it("reports each k asked for, keyed by string", () => {
    const s = summarize({ ...BASE, verdicts, ks: [5, 1, 2, 2], groups: [] });
    expect(Object.keys(s.pass_at_k)).toEqual(["1", "2", "5"]);
    expect(s.pass_at_k["2"]).toBeCloseTo((0.7 + 0) / 2, 15);
    expect(s.pass_at_k["5"]).toBeCloseTo(0.5, 15);
  });

  it("refuses a k above some task's sample count instead of leaving the column out", () => {
    expect(() => summarize({ ...BASE, verdicts, ks: [1, 10], groups: [] })).toThrow(
      /pass@10 needs at least 10 samples of every task, but 2 task\(s\) have fewer \(task A has 5\)/,
    );
    expect(() => summarize({ ...BASE, verdicts: [...verdicts, verdict("C", 0, "pass")], ks: [1, 2], groups: [] })).toThrow(InputError);
  });

  it("with plus tests, pass@k needs base and plus, and base_pass_at_k needs base only", () => {
    const plus = [
      verdict("Mbpp/2", 0, "pass", { base_status: "pass", plus_status: "pass" }),
      verdict("Mbpp/3", 0, "wrong_answer", { base_status: "pass", plus_status: "wrong_answer" }),
      verdict("Mbpp/4", 0, "timeout", { base_status: "timeout", plus_status: "pass" }),
      verdict("Mbpp/5", 0, "wrong_answer", { base_status: "wrong_answer", plus_status: "wrong_answer" }),
    ];
    const s = summarize({ ...BASE, verdicts: plus, ks: [1], groups: ["base", "plus"] });
    expect(s.pass_at_k["1"]).toBeCloseTo(0.25, 15);
    expect(s.base_pass_at_k?.["1"]).toBeCloseTo(0.5, 15);
  });

  it("has no base pass@k for benchmarks without plus tests", () => {
    expect(summarize({ ...BASE, verdicts, ks: [1], groups: ["test"] })).not.toHaveProperty("base_pass_at_k");
  });

  it("summarizes an empty run without pass@k", () => {
    const s = summarize({ ...BASE, verdicts: [], ks: [1], groups: [] });
    expect(s).toMatchObject({ tasks: 0, samples: 0, pass_at_k: {}, outcomes: {}, weak_passes: 0 });
  });

  it("refuses a sample judged twice instead of counting it twice", () => {
    expect(() => summarize({ ...BASE, verdicts: [...verdicts, verdict("A", 0, "pass")], ks: [1], groups: [] })).toThrow(InputError);
  });
});

describe("summarize: how much of the benchmark the figures cover", () => {
  const TASKS = ["A", "B", "C", "D"];

  it("says a run over fewer tasks than the benchmark has is partial, and which tasks have no sample", () => {
    const s = summarize({ ...BASE, verdicts: [verdict("A", 0, "pass"), verdict("C", 0, "wrong_answer")], ks: [1], groups: [], taskIds: TASKS, missingPolicy: "skip" });
    expect(s).toMatchObject({ tasks: 2, tasks_total: 4, partial: true, missing_policy: "skip", tasks_missing: ["B", "D"], tasks_unscorable: [] });
    expect(s.pass_at_k["1"]).toBe(0.5);
  });

  it("scores a task whose only verdict is missing as a failure at every k, and is complete", () => {
    const s = summarize({
      ...BASE,
      verdicts: [verdict("A", 0, "pass"), verdict("A", 1, "pass"), verdict("B", 0, "missing"), verdict("C", 0, "pass"), verdict("C", 1, "wrong_answer"), verdict("D", 0, "missing")],
      ks: [1, 2],
      groups: ["base", "plus"],
      taskIds: TASKS,
      missingPolicy: "fail",
    });
    expect(s).toMatchObject({ tasks: 4, tasks_total: 4, partial: false, tasks_missing: ["B", "D"], outcomes: { pass: 3, missing: 2, wrong_answer: 1 } });
    expect(s.pass_at_k["1"]).toBeCloseTo((1 + 0 + 0.5 + 0) / 4, 15);
    expect(s.pass_at_k["2"]).toBeCloseTo((1 + 0 + 1 + 0) / 4, 15);
    expect(s.base_pass_at_k?.["1"]).toBeCloseTo((1 + 0 + 0.5 + 0) / 4, 15);
  });

  it("leaves unscorable tasks out of the figures, lists them and the reference failures", () => {
    const failures = { D: [{ test: "plus/0", why: "memory", handling: "left_out" as const }], B: [{ test: "test/1", why: "raised ValueError", handling: "unverified" as const }] };
    const s = summarize({ ...BASE, verdicts: ["A", "B", "C"].map((id) => verdict(id, 0, "pass")), ks: [1], groups: [], taskIds: TASKS, missingPolicy: "skip", unscorable: ["D"], referenceFailures: failures });
    expect(s).toMatchObject({ tasks: 3, tasks_total: 4, partial: true, tasks_missing: [], tasks_unscorable: ["D"], reference_failures: failures });
    expect(s.pass_at_k["1"]).toBe(1);
  });

  it("refuses a verdict for a task the benchmark does not have", () => {
    expect(() => summarize({ ...BASE, verdicts: [verdict("Z", 0, "pass")], ks: [1], groups: [], taskIds: TASKS })).toThrow(/task Z, which is not a task of mbpp/);
  });
});

describe("summarize: what came from the caches, and what is timing-bound", () => {
  const verdicts = [0, 1, 2, 3, 4, 5, 6].map((i) => verdict(i < 4 ? "A" : "B", i, "pass"));

  it("counts the verdicts reused from the verdict cache, and records whether the expected values were cached", () => {
    const mixed = verdicts.map((v, i) => (i % 3 === 0 ? { ...v, cached: true } : v));
    expect(summarize({ ...BASE, verdicts: mixed, ks: [1], groups: [], expectedValuesCached: true }).cached).toEqual({ verdicts: 3, expected_values: true });
    expect(summarize({ ...BASE, verdicts, ks: [1], groups: [], expectedValuesCached: false }).cached).toEqual({ verdicts: 0, expected_values: false });
    expect(summarize({ ...BASE, verdicts, ks: [1], groups: [] }).cached).toEqual({ verdicts: 0 });
  });

  it("lists the timing-bound tasks: a sample finished a test (not a timeout) within 25% of its limit", () => {
    const test = (seconds: number, limit: number, outcome: Outcome = "pass") => ({ id: "plus/0", outcome, seconds, limit_s: limit });
    const timed = [
      verdict("A", 0, "pass", { tests: [test(1, 4)] }),
      verdict("B", 0, "pass", { tests: [test(0.5, 4), test(3.1, 4)] }),
      verdict("C", 0, "timeout", { tests: [test(12, 4, "timeout")] }),
      verdict("D", 0, "pass", { tests: [test(3.5, 4)] }),
      verdict("D", 1, "pass", { tests: [test(3.9, 4)] }),
      verdict("E", 0, "pass", { tests: [{ id: "test/0", outcome: "pass", seconds: 3.9 }] }),
    ];
    expect(summarize({ ...BASE, verdicts: timed, ks: [1], groups: [] }).timing_bound).toEqual(["B", "D"]);
  });
});
