import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runGenerationBench } from "../../src/pipelines/bench-generation.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));

describe.skipIf(!HAS_DATA)("generation bench", () => {
  it("measures the client, generation alone, scoring alone and both in one go, consistently", async () => {
    await testImage();
    const r = await runGenerationBench({ workers: 2, requests: 300, concurrency: 8, tasks: 40, repeat: 1, dataDir: DATA });
    expect(r.client.requests).toBe(300);
    expect(r.client.requests_per_second).toBeGreaterThan(100);
    expect(r.generation.samples).toBe(40);
    // The instant server answers each task with its reference solution: every sample passes.
    expect(r.pipeline.passed).toBe(40);
    expect(r.pipeline.sequential_seconds).toBeCloseTo(r.pipeline.generate_seconds + r.pipeline.eval_seconds, 9);
    expect(r.pipeline.overlap_ratio).toBeCloseTo(r.pipeline.run_seconds / r.pipeline.sequential_seconds, 9);
    expect(r.pipeline.sandbox_seconds).toBeGreaterThan(0);
    expect(r.targets.added_ms_per_sample).toEqual({ limit: 5, met: r.pipeline.added_ms_per_sample < 5 });
  }, 300_000);
});
