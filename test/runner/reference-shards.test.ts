import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Job, RawJobResult, RawTestResult } from "../../src/core/job.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { resolveBenchmark } from "../../src/runner/ground-truth.js";
import { joinShards, shardReferenceJob, shardSeconds } from "../../src/runner/reference-shards.js";
import { REFERENCE_LIMITS } from "../../src/sandbox/limits.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { testImage } from "../helpers/sandbox-image.js";

const job = (n: number): Job => ({
  id: "reference:t",
  program: "def f(x):\n    return x\n",
  setup: "",
  tests: Array.from({ length: n }, (_, i) => ({ kind: "expr" as const, src: `f(${i})` })),
  limits: REFERENCE_LIMITS,
  continueAfterCrash: true,
});

const value = (i: number): RawTestResult => ({ i, st: "value", v: { t: "int", v: String(i) } as unknown as RawTestResult["v"], t: 0.1 });
const raw = (tests: RawTestResult[], more: Partial<RawJobResult> = {}): RawJobResult => ({ id: "x", load: { st: "ok" }, tests, stdout: "", stderr: "", maxRssKb: 100, wallSeconds: 1, ...more });

describe("shardReferenceJob", () => {
  it("cuts a long job into contiguous ranges of at most the shard's seconds, a longer test alone", () => {
    const shards = shardReferenceJob(job(6), [0.1, 0.1, 0.1, 2, 0.2, 0.1], 0.3);
    expect(shards.map((s) => [s.start, s.stop])).toEqual([[0, 3], [3, 4], [4, 6]]);
    expect(shards.map((s) => s.job.tests)).toEqual([job(6).tests.slice(0, 3), job(6).tests.slice(3, 4), job(6).tests.slice(4)]);
    expect(shards[1]?.cost).toBe(2);
    expect(new Set(shards.map((s) => s.job.id)).size).toBe(3);
    expect(shards.every((s) => s.job.limits === REFERENCE_LIMITS && s.job.continueAfterCrash)).toBe(true);
  });

  it("keeps the job whole when its cost is unknown, is for other tests, or is within one shard", () => {
    const whole = job(3);
    for (const costs of [undefined, [1, 1], [0.1, 0.1, 0.05]]) {
      const shards = shardReferenceJob(whole, costs, 0.3);
      expect(shards).toHaveLength(1);
      expect(shards[0]?.job).toBe(whole);
    }
  });

  it("sizes shards by the floor of the whole computation", () => {
    expect(shardSeconds(32, 2)).toBe(2);
    expect(shardSeconds(0.4, 2)).toBe(0.25);
  });
});

describe("joinShards", () => {
  it("gives the whole job's result: tests in input order, the first load, the peak and the run time", () => {
    const joined = joinShards(job(4), [
      { start: 2, stop: 4, raw: raw([value(0), { i: 1, st: "raised", exc: "ValueError", msg: "no", t: 0.1 }], { maxRssKb: 300, wallSeconds: 2, stdout: "b" }) },
      { start: 0, stop: 2, raw: raw([value(0), value(1)], { stdout: "a" }) },
    ]);
    expect(joined.ok).toBe(true);
    if (!joined.ok) return;
    expect(joined.raw.tests.map((t) => [t.i, t.st])).toEqual([[0, "value"], [1, "value"], [2, "value"], [3, "raised"]]);
    expect(joined.raw).toMatchObject({ id: "reference:t", load: { st: "ok" }, stdout: "ab", maxRssKb: 300, wallSeconds: 3 });
  });

  it("refuses what it cannot reproduce exactly, so the task runs again whole", () => {
    const two = (second: RawJobResult) => joinShards(job(2), [{ start: 0, stop: 1, raw: raw([value(0)]) }, { start: 1, stop: 2, raw: second }]);
    expect(two(raw([value(0)], { load: { st: "raised", exc: "MemoryError" } }))).toMatchObject({ ok: false, why: expect.stringMatching(/did not load/) });
    expect(two(raw([{ i: 0, st: "skipped" }]))).toMatchObject({ ok: false, why: expect.stringMatching(/skipped/) });
    expect(two(raw([{ i: 0, st: "protocol" }]))).toMatchObject({ ok: false });
    expect(two(raw([]))).toMatchObject({ ok: false, why: expect.stringMatching(/reported 0 of 1/) });
    expect(two(raw([value(0)], { stderr: "x".repeat(16 * 1024) }))).toMatchObject({ ok: false, why: expect.stringMatching(/printed/) });
    expect(joinShards(job(2), [{ start: 1, stop: 2, raw: raw([value(0)]) }])).toMatchObject({ ok: false });
  });
});

describe("expected values sharded across workers", () => {
  let root: string;
  let image: { tag: string; id: string };
  const label = { "verdict.test": `reference-shards-${randomBytes(4).toString("hex")}` };
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "verdict-reference-shards-"));
    image = await testImage();
    vi.stubEnv("VERDICT_CACHE_DIR", join(root, "cache"));
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(root, { recursive: true, force: true });
  });

  it("are the values, failures and limits the whole jobs gave, and the long task is sharded once its time is known", async () => {
    // A slow task (each test sleeps), one whose reference crashes its process on one input and
    // raises on another, and a quick one: every kind of result crosses a shard boundary.
    const slow = "import time\ndef slow(x):\n    time.sleep(0.3)\n    return [x] * x\n";
    const odd = "import os\ndef odd(x):\n    time.sleep(0.3)\n    if x == 2:\n        os._exit(3)\n    if x == 3:\n        raise ValueError('three')\n    return {x: str(x)}\nimport time\n";
    const tasks = [
      { task_id: 1, text: "Slow.", code: slow, test_list: [1, 2, 3, 4].map((x) => `assert slow(${x}) == ${JSON.stringify(Array(x).fill(x))}`), test_setup_code: "" },
      { task_id: 2, text: "Odd.", code: odd, test_list: [1, 2, 3, 4, 5].map((x) => `assert odd(${x}) == {${x}: '${x}'}`), test_setup_code: "" },
      { task_id: 3, text: "Quick.", code: "def quick(x):\n    return x + 1\n", test_list: ["assert quick(1) == 2", "assert quick(2) == 3"], test_setup_code: "" },
    ];
    const file = join(root, "tasks.jsonl");
    writeFileSync(file, tasks.map((t) => `${JSON.stringify(t)}\n`).join(""));
    const spec = await loadBenchmark(file, { split: "all", challenge: false });
    const resolve = async (noCache: boolean) => {
      const lines: string[] = [];
      const resolved = await resolveBenchmark(spec, {
        imageId: image.id,
        hashSeed: 0,
        noCache,
        log: (l) => lines.push(l),
        openPool: (memoryMb) => createDockerSandbox(connectDocker(), { image: image.tag, isolation: "pool", workers: 2, memoryMb, cpus: 1, pidsLimit: 64, tmpfsMb: 32, hashSeed: 0, labels: label }),
      });
      return { resolved, lines };
    };
    // The first computation knows no task's time: every task runs whole.
    const whole = await resolve(false);
    expect(whole.lines.some((l) => l.includes("sharded"))).toBe(false);
    // Computed afresh, the tasks the last computation found long are sharded.
    const sharded = await resolve(true);
    const said = sharded.lines.find((l) => l.includes("sharded"));
    expect(said).toMatch(/2 long task\(s\) sharded into \d+ jobs \(1, 2\)/);
    expect(sharded.lines.some((l) => l.includes("cannot be joined"))).toBe(false);
    expect(sharded.resolved.benchmark).toEqual(whole.resolved.benchmark);
    expect(sharded.resolved.failures).toEqual(whole.resolved.failures);
    expect(sharded.resolved.failures.map((f) => [f.taskId, f.test])).toEqual([["2", "test/1"], ["2", "test/2"]]);
    // Its own floor: the reference tests' run time, this computation's (at least the 2.7 s of sleeps).
    expect(sharded.resolved.refRunSeconds).toBeGreaterThanOrEqual(2.7);
  }, 120_000);
});
