import { describe, expect, it } from "vitest";
import { SandboxFault } from "../../src/core/errors.js";
import type { Job } from "../../src/core/job.js";
import {
  JOB_VALUE_FACTOR,
  maxResultFrameBytes,
  parseHello,
  parseResult,
  perTestSeconds,
  sampleBudgetSeconds,
  toWireJob,
} from "../../src/sandbox/wire.js";

const job: Job = {
  id: "task-1/0",
  program: "def f(x):\n    return x\n",
  setup: "import math",
  tests: [
    { kind: "call", fn: "f", args: [1, { t: [2] }], project: "not_none" },
    { kind: "expr", src: "f(2)" },
    { kind: "stdio", stdin: "1\n" },
  ],
  limits: { testSeconds: [1, 2, 3], loadSeconds: 4, memoryMb: 256, outputBytes: 1000, valueBytes: 500 },
  continueAfterCrash: true,
};

const result = {
  op: "result",
  id: "task-1/0",
  load: { st: "ok" },
  tests: [
    { i: 0, st: "value", v: null, t: 0.01 },
    { i: 1, st: "raised", exc: "ValueError", msg: "bad", t: 0.02 },
    { i: 2, st: "skipped" },
  ],
  stdout: "hi\n",
  stderr: "",
  max_rss_kb: 9000,
  wall_s: 0.05,
};

describe("toWireJob", () => {
  it("renames the limits to snake_case and keeps the tests as they are", () => {
    expect(toWireJob(job)).toEqual({
      op: "job",
      id: "task-1/0",
      program: job.program,
      setup: "import math",
      tests: job.tests,
      limits: { test_s: [1, 2, 3], load_s: 4, memory_mb: 256, output_bytes: 1000, value_bytes: 500, sample_s: null },
      continue_after_crash: true,
    });
  });

  it("refuses per-test limits that do not match the tests", () => {
    expect(() => toWireJob({ ...job, limits: { ...job.limits, testSeconds: [1, 2] } })).toThrow(RangeError);
  });
});

describe("perTestSeconds", () => {
  it("expands one number to every test", () => {
    expect(perTestSeconds({ ...job.limits, testSeconds: 0.5 }, 3)).toEqual([0.5, 0.5, 0.5]);
  });
});

describe("parseHello", () => {
  it("accepts the runner's hello, ignoring extra fields", () => {
    expect(parseHello({ op: "hello", protocol: 2, python: "3.11.2", pid: 1, uid: 0, host_mode: false })).toEqual({
      protocol: 2,
      python: "3.11.2",
      pid: 1,
      uid: 0,
    });
  });

  it("refuses another protocol version and anything that is not a hello", () => {
    expect(() => parseHello({ op: "hello", protocol: 1, python: "3", pid: 1, uid: 0 })).toThrow(/protocol 1/);
    expect(() => parseHello({ op: "pong" })).toThrow(SandboxFault);
    expect(() => parseHello("hello")).toThrow(SandboxFault);
  });
});

describe("parseResult", () => {
  it("turns a result frame into a RawJobResult", () => {
    expect(parseResult(result, job)).toEqual({
      id: "task-1/0",
      load: { st: "ok" },
      tests: result.tests,
      stdout: "hi\n",
      stderr: "",
      maxRssKb: 9000,
      wallSeconds: 0.05,
    });
  });

  it("keeps a None value (null) as a value", () => {
    expect(parseResult(result, job).tests[0]).toHaveProperty("v", null);
  });

  it("reads the job's CPU seconds, absent where the runner's clock cannot count every process (null)", () => {
    expect(parseResult({ ...result, cpu_s: 0.25 }, job).cpuSeconds).toBe(0.25);
    expect(parseResult({ ...result, cpu_s: null }, job)).not.toHaveProperty("cpuSeconds");
    expect(parseResult(result, job)).not.toHaveProperty("cpuSeconds");
    expect(() => parseResult({ ...result, cpu_s: -1 }, job)).toThrow(/cpu_s/);
  });

  const broken: [string, unknown, RegExp][] = [
    ["not an object", "result", /malformed result/],
    ["another job's result", { ...result, id: "task-2/0" }, /result for job task-2\/0 while job task-1\/0/],
    ["an unknown test status", { ...result, tests: [{ i: 0, st: "passed" }, ...result.tests.slice(1)] }, /tests\.0\.st/],
    ["an unknown load status", { ...result, load: { st: "fine" } }, /load\.st/],
    ["a missing field", { ...result, wall_s: undefined }, /wall_s/],
    ["a string where a number goes", { ...result, max_rss_kb: "9000" }, /max_rss_kb/],
    ["a fractional test index", { ...result, tests: [{ i: 0.5, st: "skipped" }] }, /tests\.0\.i/],
    ["too few tests", { ...result, tests: result.tests.slice(0, 2) }, /2 test results for job task-1\/0, which has 3/],
    ["tests out of order", { ...result, tests: [result.tests[1], result.tests[0], result.tests[2]] }, /index 1 at position 0/],
    ["a non-string message", { ...result, tests: [{ i: 0, st: "raised", msg: 5 }, ...result.tests.slice(1)] }, /tests\.0\.msg/],
  ];

  it.each(broken)("faults on %s", (_name, frame, message) => {
    expect(() => parseResult(frame, job)).toThrow(SandboxFault);
    expect(() => parseResult(frame, job)).toThrow(message);
  });
});

describe("sampleBudgetSeconds", () => {
  it("is EvalPlus's min(cap, the sum of the tests' limits) + 1, or none", () => {
    expect(sampleBudgetSeconds(job.limits, 3)).toBeUndefined();
    expect(sampleBudgetSeconds({ ...job.limits, sampleSeconds: 60 }, 3)).toBe(7); // 1 + 2 + 3 < 60
    expect(sampleBudgetSeconds({ ...job.limits, sampleSeconds: 4 }, 3)).toBe(5);
    expect(sampleBudgetSeconds({ ...job.limits, testSeconds: 4, sampleSeconds: 60 }, 100)).toBe(61);
  });

  it("travels in the job frame as sample_s", () => {
    expect(toWireJob({ ...job, limits: { ...job.limits, sampleSeconds: 4 } }).limits.sample_s).toBe(5);
    expect(toWireJob(job).limits.sample_s).toBeNull();
  });
});

describe("maxResultFrameBytes", () => {
  it("grows with the tests, the job's value budget and the output limit", () => {
    const small = maxResultFrameBytes(job);
    expect(maxResultFrameBytes({ ...job, tests: [...job.tests, { kind: "expr", src: "1" }], limits: { ...job.limits, testSeconds: 1 } })).toBe(
      small + 4096,
    );
    // Below 128 KiB a value's room stays 128 KiB: an exception's message must fit whatever the limit.
    expect(maxResultFrameBytes({ ...job, limits: { ...job.limits, valueBytes: 1500 } })).toBe(small);
    const big = { ...job, limits: { ...job.limits, valueBytes: 1 << 20 } };
    expect(maxResultFrameBytes({ ...big, limits: { ...big.limits, valueBytes: (1 << 20) + 1000 } })).toBe(maxResultFrameBytes(big) + JOB_VALUE_FACTOR * 1000);
    expect(maxResultFrameBytes({ ...job, limits: { ...job.limits, outputBytes: 2000 } })).toBe(small + 6 * 1000);
  });

  it("fits a result whose values together cost the job's whole value budget, as ensure_ascii JSON", () => {
    // The runner charges a non-ASCII str 12 per character: a 500-byte budget holds 41 of them,
    // and a job's values together may cost JOB_VALUE_FACTOR budgets.
    const worst = "\u{1F600}".repeat(41);
    const tests = Array.from({ length: 3 * JOB_VALUE_FACTOR }, (_, i) => ({ i, st: "value", v: worst }));
    const frame = {
      ...result,
      tests,
      stdout: "\u{1F600}".repeat(16384),
      stderr: "\u{1F600}".repeat(16384),
    };
    const asciiJson = JSON.stringify(frame).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    expect(Buffer.byteLength(asciiJson)).toBeLessThan(maxResultFrameBytes(job));
  });
});
