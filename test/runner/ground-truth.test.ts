import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BenchmarkSpec } from "../../src/core/task.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { judgeSamples } from "../../src/runner/evaluate.js";
import { resolveBenchmark } from "../../src/runner/ground-truth.js";
import { DEFAULT_LIMITS, RUNNER_HEADROOM_MB, REFERENCE_LIMITS } from "../../src/runner/limits.js";
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
    const candidates = await pool(1, REFERENCE_LIMITS.memoryMb + RUNNER_HEADROOM_MB);
    try {
      const sample = { taskId: "1", sampleIndex: 0, program: task.code };
      const verdicts = await judgeSamples(seed1.benchmark, [sample], candidates, { limits: DEFAULT_LIMITS, hashSeed: 1, progress: false });
      expect(verdicts.map((v) => v.status)).toEqual(["pass"]);
      const stale = await judgeSamples(seed0.benchmark, [sample], candidates, { limits: DEFAULT_LIMITS, hashSeed: 1, progress: false });
      expect(stale.map((v) => v.status), "seed 0's values would fail it: the test shows something").toEqual(["wrong_answer"]);
    } finally {
      await candidates.close();
    }
  });
});
