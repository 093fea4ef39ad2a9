import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runTcgBench } from "../../src/pipelines/bench-tcg.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";
import { testImage } from "../helpers/sandbox-image.js";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "verdict-bench-tcg-"));
  vi.stubEnv("VERDICT_CACHE_DIR", join(root, "cache"));
});
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!hasRealData)("the bench's TCG section", () => {
  it("validates MBPP train's own tests written as TCG cases, every one valid, beside trivial jobs/s of the same session", async () => {
    await testImage();
    const r = await runTcgBench({ workers: 2, repeat: 1, trivialJobs: 40, tasks: 12, dataDir: REAL_DATA_DIR, log: () => {} });
    expect(r.tasks).toBe(12);
    // Three cases per task (each of these tasks has three asserts of literal arguments), and the reference passes its own tests.
    expect(r.cases).toBe(36);
    expect(r.valid).toBe(36);
    expect(r.cases_per_second.runs).toHaveLength(1);
    expect(r.cases_per_second.median).toBeGreaterThan(0);
    expect(r.units_per_second.median).toBeCloseTo(r.cases_per_second.median / 3, 6);
    expect(r.target.ratio).toBeCloseTo(r.cases_per_second.median / r.trivial_jobs_per_second.median, 9);
    expect(r.target).toMatchObject({ limit: 0.5, met: r.target.ratio >= 0.5 });
  }, 300_000);
});
