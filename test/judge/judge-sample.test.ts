import { describe, expect, it } from "vitest";
import { SandboxFault } from "../../src/core/errors.js";
import type { RawJobResult, RawLoad, RawTestResult } from "../../src/core/job.js";
import type { Outcome } from "../../src/core/outcome.js";
import type { Sample } from "../../src/core/sample.js";
import type { Expectation, Task, Test } from "../../src/core/task.js";
import { judgeSample, sandboxErrorVerdict } from "../../src/judge/judge-sample.js";

const OPTS = { seconds: 0.25, cached: false, programSha256: "ab".repeat(32), groups: [] as string[] };
const SAMPLE: Sample = { taskId: "T/1", sampleIndex: 3, program: "def f(x): return x" };

function callTest(id: string, group: string, expect: Expectation | null, extra: Partial<Test> = {}): Test {
  return { id, group, input: { kind: "call", fn: "f", args: [1] }, expect, ...extra };
}

const eq = (expected: Expectation["expected"]): Expectation => ({ expected, comparator: { kind: "eq" } });

function makeTask(tests: Test[]): Task {
  return { taskId: "T/1", text: "", prompt: "", reference: "", setup: "", entryPoint: "f", tests };
}

function rawResult(tests: Omit<RawTestResult, "i">[], load: RawLoad = { st: "ok" }): RawJobResult {
  return {
    id: "job",
    load,
    tests: tests.map((t, i) => ({ i, ...t })),
    stdout: "",
    stderr: "",
    maxRssKb: 1000,
    wallSeconds: 0.1,
  };
}

describe("judgeSample: one test's raw status", () => {
  const task = makeTask([callTest("test/0", "test", eq(3n))]);

  it.each<[string, Omit<RawTestResult, "i">, Outcome, string | undefined]>([
    ["the right value", { st: "value", v: 3 }, "pass", undefined],
    ["the right value as a float", { st: "value", v: { f: 3 } }, "pass", undefined],
    ["a wrong value", { st: "value", v: 4 }, "wrong_answer", "expected 3 got 4"],
    ["a wrong type", { st: "value", v: { t: [3] } }, "wrong_answer", "expected 3 got (3,)"],
    ["a string shows Python quoting", { st: "value", v: "it's" }, "wrong_answer", `expected 3 got "it's"`],
    ["a forged tagged value", { st: "value", v: { x: 1 } }, "unserializable", 'unserializable value: unknown tag "x"'],
    ["a value frame with no value", { st: "value" }, "unserializable", "unserializable value: not a JSON value (undefined)"],
    ["an exception", { st: "raised", exc: "ValueError", msg: "bad input" }, "runtime_error", "ValueError: bad input"],
    ["an exception without message", { st: "raised", exc: "ZeroDivisionError" }, "runtime_error", "ZeroDivisionError"],
    ["an exception with no type", { st: "raised" }, "runtime_error", "exception"],
    ["a MemoryError", { st: "raised", exc: "MemoryError", msg: "" }, "memory_exceeded", "MemoryError"],
    ["an AssertionError inside the program", { st: "raised", exc: "AssertionError" }, "runtime_error", "AssertionError"],
    ["a timeout", { st: "timeout", t: 4.1 }, "timeout", "time limit exceeded"],
    ["the memory limit", { st: "memory" }, "memory_exceeded", "memory limit exceeded"],
    ["a segfault", { st: "killed", sig: 11 }, "killed", "killed by signal 11 (SIGSEGV)"],
    ["an unnamed signal", { st: "killed", sig: 40 }, "killed", "killed by signal 40"],
    ["exit(0) during the test", { st: "exited", code: 0 }, "runtime_error", "exited with code 0"],
    ["exit(3) during the test", { st: "exited", code: 3 }, "runtime_error", "exited with code 3"],
    ["the output limit", { st: "output_limit" }, "output_limit", "output limit exceeded"],
    ["a non-plain value", { st: "unserializable", msg: "generator is not a plain value" }, "unserializable", "generator is not a plain value"],
    ["a corrupted result channel", { st: "protocol" }, "runtime_error", "result channel corrupted"],
  ])("%s", (_name, result, outcome, detail) => {
    const v = judgeSample(task, SAMPLE, rawResult([result]), OPTS);
    expect(v.status).toBe(outcome);
    expect(v.tests).toHaveLength(1);
    expect(v.tests[0]?.outcome).toBe(outcome);
    expect(v.tests[0]?.detail).toBe(detail);
  });

  it("bounds untrusted exception text", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "raised", exc: "E".repeat(500), msg: "m".repeat(5000) }]), OPTS);
    expect(v.tests[0]?.detail?.length).toBeLessThan(420);
  });

  it("bounds the expected/actual diff", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: "x".repeat(10_000) }]), OPTS);
    expect(v.tests[0]?.detail).toMatch(/^expected 3 got 'x+…$/);
    expect(v.tests[0]?.detail?.length).toBeLessThan(150);
  });

  it("fills the verdict's identity and timing", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: 3, t: 0.002 }]), { ...OPTS, cached: true });
    expect(v).toEqual({
      task_id: "T/1",
      sample_index: 3,
      status: "pass",
      tests: [{ id: "test/0", outcome: "pass", seconds: 0.002 }],
      weak: false,
      seconds: 0.25,
      cached: true,
      program_sha256: OPTS.programSha256,
    });
  });

  it("ignores a test duration that is not a non-negative number", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: 3, t: -1 }]), OPTS);
    expect(v.tests[0]?.seconds).toBeUndefined();
  });
});

describe("judgeSample: in-job asserts (expect null)", () => {
  const task = makeTask([callTest("test/0", "test", null, { input: { kind: "exec", src: "assert f(1) == 1" }, weak: true })]);

  it.each<[string, Omit<RawTestResult, "i">, Outcome]>([
    ["finishing without an exception passes", { st: "value", v: null }, "pass"],
    ["any value passes: the assert ran in the job", { st: "value", v: { x: 1 } }, "pass"],
    ["a failing assert is a wrong answer", { st: "raised", exc: "AssertionError", msg: "" }, "wrong_answer"],
    ["another exception is a runtime error", { st: "raised", exc: "TypeError", msg: "no" }, "runtime_error"],
    ["exit(0) before the assert is not a pass", { st: "exited", code: 0 }, "runtime_error"],
  ])("%s", (_name, result, outcome) => {
    expect(judgeSample(task, SAMPLE, rawResult([result]), OPTS).status).toBe(outcome);
  });

  it("marks a pass that rests on an in-job assert as weak", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: null }]), OPTS);
    expect(v.weak).toBe(true);
    expect(v.tests[0]?.weak).toBe(true);
  });

  it("a failing weak test does not make the sample weak", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "raised", exc: "AssertionError" }]), OPTS);
    expect(v.weak).toBe(false);
  });
});

describe("judgeSample: load failures", () => {
  const task = makeTask([callTest("test/0", "test", eq(3n)), callTest("test/1", "test", eq(3n))]);

  it.each<[string, RawLoad, Outcome, string]>([
    ["a syntax error", { st: "syntax_error", exc: "SyntaxError", msg: "invalid syntax", line: 3 }, "syntax_error", "SyntaxError: invalid syntax (line 3)"],
    ["an indentation error", { st: "syntax_error", exc: "IndentationError", msg: "unexpected indent" }, "syntax_error", "IndentationError: unexpected indent"],
    ["an exception at import", { st: "raised", exc: "NameError", msg: "name 'x' is not defined" }, "runtime_error", "NameError: name 'x' is not defined"],
    ["a MemoryError at import", { st: "raised", exc: "MemoryError" }, "memory_exceeded", "MemoryError"],
    ["a timeout while loading", { st: "timeout" }, "timeout", "time limit exceeded while loading"],
    ["the memory limit while loading", { st: "memory" }, "memory_exceeded", "memory limit exceeded while loading"],
    ["a signal while loading", { st: "killed", sig: 9 }, "killed", "killed by signal 9 (SIGKILL)"],
    ["exit(0) at import", { st: "exited", code: 0 }, "runtime_error", "exited with code 0"],
    ["the output limit while loading", { st: "output_limit" }, "output_limit", "output limit exceeded"],
    ["a corrupted channel while loading", { st: "protocol" }, "runtime_error", "result channel corrupted"],
  ])("%s gives every test the load's outcome", (_name, load, outcome, detail) => {
    const v = judgeSample(task, SAMPLE, rawResult([], load), OPTS);
    expect(v.status).toBe(outcome);
    expect(v.load_detail).toBe(detail);
    expect(v.tests.map((t) => [t.id, t.outcome])).toEqual([
      ["test/0", outcome],
      ["test/1", outcome],
    ]);
  });

  it("ignores test results reported after a failed load", () => {
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: 3 }], { st: "raised", exc: "E" }), OPTS);
    expect(v.tests.every((t) => t.outcome === "runtime_error")).toBe(true);
  });
});

describe("judgeSample: several tests", () => {
  const tests = [0, 1, 2, 3].map((i) => callTest(`test/${i}`, "test", eq(3n)));
  const task = makeTask(tests);

  it("passes only when every test passes", () => {
    const all = rawResult(tests.map(() => ({ st: "value" as const, v: 3 })));
    expect(judgeSample(task, SAMPLE, all, OPTS).status).toBe("pass");
  });

  it("never passes a task with no tests: it refuses to judge it", () => {
    // Every test left out (the reference failed them all) must not pass any program that loads.
    expect(() => judgeSample(makeTask([]), SAMPLE, rawResult([]), OPTS)).toThrow(/task T\/1 has no tests: it is unscorable/);
    expect(() => judgeSample(makeTask([]), SAMPLE, rawResult([], { st: "syntax_error" }), OPTS)).toThrow(/unscorable/);
  });

  it("takes the first non-passing outcome in test order", () => {
    const raw = rawResult([
      { st: "value", v: 3 },
      { st: "value", v: 1 },
      { st: "raised", exc: "KeyError" },
      { st: "value", v: 3 },
    ]);
    const v = judgeSample(task, SAMPLE, raw, OPTS);
    expect(v.status).toBe("wrong_answer");
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "wrong_answer", "runtime_error", "pass"]);
  });

  it("gives skipped tests the outcome of the test that ended the process", () => {
    const raw = rawResult([{ st: "value", v: 3 }, { st: "timeout" }, { st: "skipped" }, { st: "skipped" }]);
    const v = judgeSample(task, SAMPLE, raw, OPTS);
    expect(v.status).toBe("timeout");
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "timeout", "timeout", "timeout"]);
    expect(v.tests[2]?.detail).toBe("not run: test test/1 ended the process");
  });

  it("accepts results reported out of order", () => {
    const raw = rawResult(tests.map(() => ({ st: "value" as const, v: 3 })));
    raw.tests.reverse();
    expect(judgeSample(task, SAMPLE, raw, OPTS).status).toBe("pass");
  });

  it.each<[string, (raw: RawJobResult) => void, RegExp]>([
    ["a missing result", (raw) => raw.tests.pop(), /no result for test 3/],
    ["a duplicated result", (raw) => raw.tests.push({ i: 0, st: "value", v: 3 }), /test 0 reported twice/],
    ["an index out of range", (raw) => raw.tests.push({ i: 4, st: "value", v: 3 }), /out of range/],
    ["a fractional index", (raw) => ((raw.tests[0] as RawTestResult).i = 0.5), /out of range/],
    ["a skip with nothing before it", (raw) => ((raw.tests[0] as RawTestResult).st = "skipped"), /skipped but nothing ended/],
    ["a skip right after a returned value", (raw) => ((raw.tests[1] as RawTestResult).st = "skipped"), /skipped but nothing ended/],
    ["an unknown test status", (raw) => ((raw.tests[0] as { st: string }).st = "won"), /unknown test status "won"/],
    ["an unknown load status", (raw) => ((raw.load as { st: string }).st = "fine"), /unknown load status "fine"/],
    ["no load report", (raw) => ((raw as { load: unknown }).load = undefined), /no load report/],
  ])("%s is a sandbox fault, never a verdict", (_name, corrupt, message) => {
    const raw = rawResult(tests.map(() => ({ st: "value" as const, v: 3 })));
    corrupt(raw);
    expect(() => judgeSample(task, SAMPLE, raw, OPTS)).toThrow(SandboxFault);
    expect(() => judgeSample(task, SAMPLE, raw, OPTS)).toThrow(message);
  });
});

describe("judgeSample: groups (MBPP+ base and plus)", () => {
  const task = makeTask([
    callTest("base/0", "base", eq(1n)),
    callTest("base/1", "base", eq(2n)),
    callTest("plus/0", "plus", eq(3n)),
    callTest("plus/1", "plus", eq(4n)),
  ]);
  const groups = ["base", "plus"];

  it.each<[string, unknown[], Outcome, Outcome, Outcome]>([
    ["all pass", [1, 2, 3, 4], "pass", "pass", "pass"],
    ["plus fails", [1, 2, 3, 5], "wrong_answer", "pass", "wrong_answer"],
    ["base fails", [1, 0, 3, 4], "wrong_answer", "wrong_answer", "pass"],
  ])("%s", (_name, values, status, base, plus) => {
    const v = judgeSample(task, SAMPLE, rawResult(values.map((x) => ({ st: "value", v: x }))), { ...OPTS, groups });
    expect([v.status, v.base_status, v.plus_status]).toEqual([status, base, plus]);
  });

  it("takes each group's first failure", () => {
    const raw = rawResult([{ st: "value", v: 1 }, { st: "raised", exc: "E" }, { st: "timeout" }, { st: "skipped" }]);
    const v = judgeSample(task, SAMPLE, raw, { ...OPTS, groups });
    expect([v.status, v.base_status, v.plus_status]).toEqual(["runtime_error", "runtime_error", "timeout"]);
  });

  it("a group without tests passes", () => {
    const baseOnly = makeTask([callTest("base/0", "base", eq(1n))]);
    const v = judgeSample(baseOnly, SAMPLE, rawResult([{ st: "value", v: 1 }]), { ...OPTS, groups });
    expect([v.base_status, v.plus_status]).toEqual(["pass", "pass"]);
  });

  it("a failed load fails every group", () => {
    const v = judgeSample(task, SAMPLE, rawResult([], { st: "syntax_error" }), { ...OPTS, groups });
    expect([v.status, v.base_status, v.plus_status]).toEqual(["syntax_error", "syntax_error", "syntax_error"]);
  });

  it("leaves group statuses out for benchmarks without groups", () => {
    const v = judgeSample(task, SAMPLE, rawResult([1, 2, 3, 4].map((x) => ({ st: "value", v: x }))), OPTS);
    expect(v).not.toHaveProperty("base_status");
    expect(v).not.toHaveProperty("plus_status");
  });
});

describe("judgeSample: EvalPlus's atol carries over within a group", () => {
  const ep: Expectation["comparator"] = { kind: "evalplus", atol: 0 };
  // The expected value of the second test is not float-like, so on its own it is compared
  // exactly; after a float-like one has returned, EvalPlus compares it with atol 1e-6.
  const floatTest = (group: string) => callTest(`${group}/f`, group, { expected: 1.5, comparator: ep });
  const mixedTest = (group: string) => callTest(`${group}/m`, group, { expected: [1n, 2], comparator: ep });
  const closeButNotEqual = { st: "value" as const, v: [1, { f: 2.0000001 }] };

  it("compares exactly when nothing float-like came before", () => {
    const v = judgeSample(makeTask([mixedTest("base")]), SAMPLE, rawResult([closeButNotEqual]), OPTS);
    expect(v.status).toBe("wrong_answer");
  });

  it("uses atol 1e-6 after a float-like expected value returned", () => {
    const task = makeTask([floatTest("base"), mixedTest("base")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: { f: 1.5 } }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "pass"]);
  });

  it("also after a float-like test that returned a wrong value", () => {
    const task = makeTask([floatTest("base"), mixedTest("base")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: { f: 9 } }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["wrong_answer", "pass"]);
  });

  it("not after a float-like test that raised (EvalPlus never reached its atol update)", () => {
    const task = makeTask([floatTest("base"), mixedTest("base")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "raised", exc: "E" }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["runtime_error", "wrong_answer"]);
  });

  it("not across groups (base and plus are separate EvalPlus runs)", () => {
    const task = makeTask([floatTest("base"), mixedTest("plus")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: { f: 1.5 } }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "wrong_answer"]);
  });

  const setTest = (group: string) => callTest(`${group}/s`, group, { expected: [1.5], comparator: { kind: "set_eq", atol: 0 } });

  it("after a set-equality oracle with a float-like expected value", () => {
    const task = makeTask([setTest("base"), mixedTest("base")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: { s: [{ f: 1.5 }] } }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "pass"]);
  });

  it("not after a set-equality oracle whose set(output) raised", () => {
    const task = makeTask([setTest("base"), mixedTest("base")]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: 5 }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["wrong_answer", "wrong_answer"]);
  });

  it("a set oracle falls back to allclose within its group (Mbpp/769)", () => {
    const diff = callTest("base/d", "base", { expected: [1n, 2n], comparator: { kind: "set_eq", atol: 0 } });
    const task = makeTask([setTest("base"), diff]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: [{ f: 1.5 }] }, closeButNotEqual]), OPTS);
    expect(v.tests.map((t) => t.outcome)).toEqual(["pass", "pass"]);
  });
});

describe("sandboxErrorVerdict", () => {
  const task = makeTask([callTest("base/0", "base", eq(1n)), callTest("plus/0", "plus", eq(2n))]);

  it("marks every test and every group sandbox_error, never pass or fail", () => {
    const v = sandboxErrorVerdict(task, SAMPLE, "container died twice", { seconds: 1.5, programSha256: "cd" });
    expect(v).toEqual({
      task_id: "T/1",
      sample_index: 3,
      status: "sandbox_error",
      base_status: "sandbox_error",
      plus_status: "sandbox_error",
      tests: [
        { id: "base/0", outcome: "sandbox_error", detail: "container died twice" },
        { id: "plus/0", outcome: "sandbox_error", detail: "container died twice" },
      ],
      weak: false,
      seconds: 1.5,
      cached: false,
      program_sha256: "cd",
    });
  });

  it("sets group statuses only for the groups asked for", () => {
    const v = sandboxErrorVerdict(task, SAMPLE, "x", { seconds: 0, programSha256: "cd", groups: [] });
    expect(v).not.toHaveProperty("base_status");
    expect(v).not.toHaveProperty("plus_status");
  });
});

describe("judgeSample: a timeout says its limit and how it was counted", () => {
  const calibrated = (seconds: number, referenceSeconds: number, floorSeconds = 0): Partial<Test> => ({ seconds, calibration: { factor: 4, referenceSeconds, floorSeconds } });
  it.each<[string, Partial<Test>, number, Omit<RawTestResult, "i">, string]>([
    ["a limit of 4 × the reference's time", calibrated(3.6, 0.9), 3.6, { st: "timeout", t: 9 }, "3.6 s CPU limit (4 × reference 0.9 s), 9.0 s wall"],
    ["the run's --timeout, above 4 × the reference's", calibrated(0.4, 0.1), 4, { st: "timeout", t: 4.2 }, "4.0 s CPU limit (--timeout; 4 × reference 0.1 s is less), 4.2 s wall"],
    ["the benchmark's floor (MBPP+: 4 s)", calibrated(4, 0.012, 4), 4, { st: "timeout", t: 4.05 }, "4.0 s CPU limit (the benchmark's floor; 4 × reference 0.012 s is less), 4.0 s wall"],
    ["no calibration at all", {}, 2, { st: "timeout", t: 6 }, "2.0 s CPU limit (--timeout), 6.0 s wall (the wall-clock backstop, 3 × the limit)"],
    [
      "the sample's whole budget spent",
      calibrated(3.6, 0.9),
      3.6,
      { st: "timeout", t: 2, msg: "the sample's time budget of 61 s is spent" },
      "the sample's time budget of 61 s is spent; 3.6 s CPU limit (4 × reference 0.9 s), 2.0 s wall",
    ],
  ])("%s", (_name, extra, limit, result, detail) => {
    const task = makeTask([callTest("plus/3", "plus", eq(3n), extra)]);
    const v = judgeSample(task, SAMPLE, rawResult([result]), { ...OPTS, testSeconds: [limit] });
    expect(v.tests[0]).toMatchObject({ outcome: "timeout", limit_s: limit, detail });
  });

  it("every test that ran records its limit; one that did not run records none", () => {
    const task = makeTask([callTest("test/0", "test", eq(3n)), callTest("test/1", "test", eq(3n)), callTest("test/2", "test", eq(3n))]);
    const v = judgeSample(task, SAMPLE, rawResult([{ st: "value", v: 3, t: 0.5 }, { st: "timeout", t: 1.1 }, { st: "skipped" }]), { ...OPTS, testSeconds: [1, 1, 1] });
    expect(v.tests.map((t) => t.limit_s)).toEqual([1, 1, undefined]);
  });
});

describe("judgeSample: a syntax error names its line once", () => {
  it.each<[string, RawLoad, string]>([
    ["Python's message names the line", { st: "syntax_error", exc: "SyntaxError", msg: "invalid syntax (<program>, line 22)", line: 22 }, "SyntaxError: invalid syntax (<program>, line 22)"],
    ["it does not", { st: "syntax_error", exc: "SyntaxError", msg: "invalid syntax", line: 22 }, "SyntaxError: invalid syntax (line 22)"],
  ])("%s", (_name, load, detail) => {
    const v = judgeSample(makeTask([callTest("test/0", "test", eq(3n))]), SAMPLE, rawResult([], load), OPTS);
    expect(v.load_detail).toBe(detail);
    expect(v.load_detail?.match(/line 22/g)).toHaveLength(1);
  });
});
