import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { FIDELITY_SAMPLES, fidelitySamplesPath, measureSamples } from "../../src/pipelines/bench-samples.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import { testImage } from "../helpers/sandbox-image.js";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "verdict-bench-samples-"));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

describe("fidelitySamplesPath", () => {
  it("finds the generations under the data directory, and nothing where there are none", () => {
    const data = join(root, "data");
    expect(fidelitySamplesPath(data)).toBeUndefined();
    mkdirSync(join(data, FIDELITY_SAMPLES, ".."), { recursive: true });
    writeFileSync(join(data, FIDELITY_SAMPLES), "");
    expect(fidelitySamplesPath(data)).toBe(join(data, FIDELITY_SAMPLES));
  });
});

describe("measureSamples", () => {
  it("times the samples against the sum of their tests' run time divided by the workers", async () => {
    vi.stubEnv("VERDICT_CACHE_DIR", join(root, "cache"));
    await testImage();
    const file = join(root, "tasks.jsonl");
    const code = "import time\ndef nap(x):\n    time.sleep(0.2)\n    return x\n";
    const tasks = [1, 2, 3, 4].map((id) => ({ task_id: id, text: "Nap.", code, test_list: [`assert nap(${id}) == ${id}`, `assert nap(0) == 0`], test_setup_code: "" }));
    writeFileSync(file, tasks.map((t) => `${JSON.stringify(t)}\n`).join(""));
    const samples = join(root, "samples.jsonl");
    // A fresh salt: nothing cached can answer for these programs (there is no verdict cache anyway).
    const salt = randomBytes(4).toString("hex");
    writeFileSync(samples, tasks.map((t) => `${JSON.stringify({ task_id: t.task_id, solution: `# ${salt}\n${code}` })}\n`).join(""));
    const spec = await loadBenchmark(file, { split: "all", challenge: false });
    const session = await openJudgingSession({
      benchmark: spec,
      workers: 2,
      memo: false,
      verdictCache: false,
      containerMemoryMb: 768,
      container: { pidsLimit: 64, tmpfsMb: 32 },
      labels: { "verdict.test": `bench-samples-${salt}` },
    });
    try {
      const m = await measureSamples(spec, session, samples, 2, () => {});
      expect(m).toMatchObject({ samples, count: 4, workers: 2, target_ratio: 1.05 });
      expect(m.runs).toHaveLength(2);
      for (const run of m.runs) {
        expect(run.passed).toBe(4);
        // 8 tests of 0.2 s each.
        expect(run.program_seconds).toBeGreaterThanOrEqual(1.6);
        expect(run.floor_seconds).toBeCloseTo(run.program_seconds / 2, 9);
        expect(run.ratio).toBeCloseTo(run.seconds / run.floor_seconds, 9);
      }
      expect(m.runs).toContain(m.median);
      expect(m.met).toBe(m.median.ratio <= 1.05);
    } finally {
      await session.close();
    }
  });
});
