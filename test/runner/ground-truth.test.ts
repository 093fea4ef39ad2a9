import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BenchmarkSpec, TaskSpec, TestSpec } from "../../src/core/task.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import { resolveBenchmark, type ResolvedBenchmark } from "../../src/runner/ground-truth.js";
import { describeReferenceFailure, explainUnscorable, failuresByTask } from "../../src/runner/reference-failures.js";
import { DEFAULT_LIMITS, RUNNER_HEADROOM_MB, REFERENCE_LIMITS } from "../../src/sandbox/limits.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { testImage } from "../helpers/sandbox-image.js";

let root: string;
let image: { tag: string; id: string };
const label = { "verdict.test": `ground-truth-${randomBytes(4).toString("hex")}` };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "verdict-ground-truth-"));
  image = await testImage();
  vi.stubEnv("VERDICT_CACHE_DIR", join(root, "cache"));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

const pool = (hashSeed: number, memoryMb: number) =>
  createDockerSandbox(connectDocker(), { image: image.tag, isolation: "pool", workers: 1, memoryMb, cpus: 1, pidsLimit: 64, tmpfsMb: 32, hashSeed, labels: label });

/** Expected values of `spec` computed (or read from the cache) with PYTHONHASHSEED=`hashSeed`. */
const resolveWith = (spec: BenchmarkSpec, hashSeed: number) =>
  resolveBenchmark(spec, { imageId: image.id, hashSeed, noCache: false, openPool: (memoryMb) => pool(hashSeed, memoryMb) });

describe("expected values cached by hash seed", () => {
  it("a --hash-seed 1 run computes its own expected values instead of reusing those of seed 0", async () => {
    // The expected side is evaluated by trusted code in the reference's sandbox: the order of a
    // set of strings, turned into a list, depends on PYTHONHASHSEED.
    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
    const set = `{${words.map((w) => `'${w}'`).join(", ")}}`;
    const file = join(root, "tasks.jsonl");
    const task = { task_id: 1, text: "The words.", code: `def words():\n    return list(${set})\n`, test_list: [`assert words() == list(${set})`], test_setup_code: "" };
    writeFileSync(file, `${JSON.stringify(task)}\n`);
    const spec = await loadBenchmark(file, { split: "all", challenge: false });

    const seed0 = await resolveWith(spec, 0);
    expect(seed0.cached).toBe(false);
    expect((await resolveWith(spec, 0)).cached).toBe(true);
    const seed1 = await resolveWith(spec, 1);
    expect(seed1.cached).toBe(false);
    const expected = (r: typeof seed0) => r.benchmark.tasks[0]?.tests[0]?.expect?.expected;
    expect(expected(seed1)).not.toEqual(expected(seed0));

    // The reference itself, run as a candidate under seed 1, passes against seed 1's values.
    const sample = { taskId: "1", sampleIndex: 0, program: task.code };
    const judgeWith = async (resolved: typeof seed0.benchmark) => {
      const candidates = await openJudgingSession({
        resolved,
        workers: 1,
        limits: DEFAULT_LIMITS,
        hashSeed: 1,
        verdictCache: false,
        containerMemoryMb: REFERENCE_LIMITS.memoryMb + RUNNER_HEADROOM_MB,
        container: { pidsLimit: 64, tmpfsMb: 32 },
        labels: label,
      });
      try {
        return (await candidates.judgeSample(sample)).verdict;
      } finally {
        await candidates.close();
      }
    };
    expect((await judgeWith(seed1.benchmark)).status).toBe("pass");
    expect((await judgeWith(seed0.benchmark)).status, "seed 0's values would fail it: the test shows something").toBe("wrong_answer");
  });
});

/*
 * Tests the reference solution itself fails, run for real in the sandbox: each is reported with
 * why, and with what really becomes of it; a task left with no test is unscorable.
 */

const fromReference = (id: string, arg: number): TestSpec => ({
  id,
  group: "plus",
  input: { kind: "call", fn: "f", args: [arg] },
  expect: { from: "reference", comparator: { kind: "eq" } },
});
const assertTest = (id: string, src: string): TestSpec => ({ id, group: "test", input: { kind: "assert", src }, expect: null });

function refTask(taskId: string, tests: TestSpec[]): TaskSpec {
  // f(0) raises: the reference fails every input of "broken" and one of "half".
  return { taskId, text: "", prompt: "", reference: "def f(x):\n    return 10 // x\n", setup: "", entryPoint: "f", tests };
}

const FAILING: BenchmarkSpec = {
  name: "reference-failures",
  split: "all",
  dataSha256: {},
  groups: ["plus"],
  tasks: [
    refTask("fine", [fromReference("plus/0", 1), fromReference("plus/1", 2)]),
    refTask("half", [fromReference("plus/0", 0), fromReference("plus/1", 5)]),
    refTask("broken", [fromReference("plus/0", 0), fromReference("plus/1", 0)]),
    // The expected side fails: the assert then runs whole inside the job. The candidate side
    // fails (the reference's own run of f(0)): the test keeps its value, uncalibrated.
    refTask("asserts", [assertTest("test/0", "assert f(1) == 1 // 0"), assertTest("test/1", "assert f(0) == 5"), assertTest("test/2", "assert f(2) == 5")]),
  ],
};
const ZERO = "raised ZeroDivisionError: integer division or modulo by zero";

describe("tests the reference fails", () => {
  let resolved: ResolvedBenchmark;
  beforeAll(async () => {
    resolved = await resolveBenchmark(FAILING, { imageId: image.id, hashSeed: 0, noCache: true, openPool: (memoryMb) => pool(0, memoryMb) });
  }, 180_000);

  it("are each reported with why and what becomes of the test", () => {
    expect(failuresByTask(resolved.failures)).toEqual({
      half: [{ test: "plus/0", why: ZERO, handling: "left_out" }],
      broken: [
        { test: "plus/0", why: ZERO, handling: "left_out" },
        { test: "plus/1", why: ZERO, handling: "left_out" },
      ],
      asserts: [
        { test: "test/0", why: ZERO, handling: "unverified" },
        { test: "test/1", why: ZERO, handling: "uncalibrated" },
      ],
    });
  });

  it("get what their warning says", () => {
    const tests = (id: string) => resolved.benchmark.tasks.find((t) => t.taskId === id)?.tests ?? [];
    // Left out: no expected value.
    expect(tests("half").map((t) => t.id)).toEqual(["plus/1"]);
    expect(tests("broken")).toEqual([]);
    const [unverified, uncalibrated, fine] = tests("asserts");
    // Unverified: the whole assert runs in the job, and a pass on it is weak.
    expect(unverified).toMatchObject({ id: "test/0", input: { kind: "exec", src: "assert f(1) == 1 // 0" }, expect: null, weak: true });
    // Uncalibrated: judged against its expected value, with no time limit of its own.
    expect(uncalibrated).toMatchObject({ id: "test/1", input: { kind: "expr" }, expect: { expected: 5n } });
    expect(uncalibrated).not.toHaveProperty("seconds");
    expect(fine).toMatchObject({ id: "test/2", input: { kind: "expr" }, seconds: expect.any(Number) });
    expect(resolved.failures.map(describeReferenceFailure)).toEqual([
      `half: the reference solution failed test plus/0 (${ZERO}): the test is left out (it has no expected value)`,
      `broken: the reference solution failed test plus/0 (${ZERO}): the test is left out (it has no expected value)`,
      `broken: the reference solution failed test plus/1 (${ZERO}): the test is left out (it has no expected value)`,
      `asserts: the reference solution failed test test/0 (${ZERO}): the assert runs whole inside the job, unverified (a pass on it is weak)`,
      `asserts: the reference solution failed test test/1 (${ZERO}): the test is kept, judged against its expected value with the run's own time limit`,
    ]);
  });

  it("leave a task with no test unscorable, and say why", () => {
    expect(resolved.unscorable).toEqual(["broken"]);
    const text = explainUnscorable(resolved.unscorable, resolved.failures);
    expect(text).toContain(`1 task(s) have no test left and cannot be scored: broken (the reference solution failed all 2 of its tests; plus/0: ${ZERO})`);
    expect(text).toContain("A task with no test is never counted as a pass.");
    expect(text).toContain("The benchmark's data or its reference solutions are at fault.");
  });
});

describe("explainUnscorable", () => {
  it("names too little memory as the usual cause when the reference ran out of it", () => {
    const failures = [
      { taskId: "Mbpp/255", test: "plus/86", why: "memory", handling: "left_out" as const },
      { taskId: "Mbpp/255", test: "plus/87", why: "killed by signal 9", handling: "left_out" as const },
    ];
    const text = explainUnscorable(["Mbpp/255"], failures);
    expect(text).toContain("Mbpp/255 (the reference solution failed all 2 of its tests; plus/86: memory)");
    expect(text).toContain("The usual cause is too little memory for the reference solution (Mbpp/255's needs more than 4 GiB on plus input #86)");
  });
});

describe("reference timings under --no-cache", () => {
  it("a recomputed record keeps the first measurement of the reference's times, from which the per-test limits derive", async () => {
    const file = join(root, "timed.jsonl");
    const task = { task_id: 7, text: "Square.", code: "def sq(x):\n    return x * x\n", test_list: ["assert sq(3) == 9", "assert sq(4) == 16"], test_setup_code: "" };
    writeFileSync(file, `${JSON.stringify(task)}\n`);
    const spec = await loadBenchmark(file, { split: "all", challenge: false });
    const first = await resolveWith(spec, 0);
    expect(first.cached).toBe(false);
    // Stand in for a first measurement on a quiet machine: 0.5 s per test, as the cache keeps it.
    const dir = join(root, "cache", "ground-truth");
    type Record7 = { references: Record<string, { tests: { t?: number }[] }> };
    // The record of this task (other tests of this file cached records of their own).
    const path = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => join(dir, f))
      .find((p) => (JSON.parse(readFileSync(p, "utf8")) as Record7).references["7"] !== undefined);
    if (path === undefined) throw new Error("no cached record of task 7");
    const record = JSON.parse(readFileSync(path, "utf8")) as Record7;
    for (const raw of Object.values(record.references)) for (const t of raw.tests) t.t = 0.5;
    writeFileSync(path, JSON.stringify(record));

    const logs: string[] = [];
    const again = await resolveBenchmark(spec, { imageId: image.id, hashSeed: 0, noCache: true, log: (l) => logs.push(l), openPool: (memoryMb) => pool(0, memoryMb) });
    expect(again.cached).toBe(false);
    expect(again.benchmark.tasks[0]?.tests.map((t) => [t.seconds, t.calibration])).toEqual([
      [2, { factor: 4, referenceSeconds: 0.5, floorSeconds: 0 }],
      [2, { factor: 4, referenceSeconds: 0.5, floorSeconds: 0 }],
    ]);
    expect(logs).toContainEqual(expect.stringContaining(`time limits keep the first measurement of the reference's times (${path}; delete it to measure again)`));
    const kept = (JSON.parse(readFileSync(path, "utf8")) as Record7).references["7"]?.tests.map((t) => t.t) ?? [];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((t) => t === 0.5)).toBe(true);
  }, 120_000);
});
