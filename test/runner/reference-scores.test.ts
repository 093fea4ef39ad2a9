import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEval } from "../../src/pipelines/eval.js";
import { defaultWorkers } from "../../src/sandbox/limits.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));

async function scoreReference(benchmark: string, split: string) {
  await testImage();
  const dir = mkdtempSync(join(tmpdir(), "verdict-reference-"));
  return runEval({
    benchmark,
    split,
    samples: "reference",
    dataDir: DATA,
    isolation: "pool",
    workers: defaultWorkers(),
    k: [1],
    outDir: join(dir, "run"),
    resultsDir: dir,
    // Expected values stay cached (they are computed once per dataset); verdicts are fresh.
    noCache: false,
    limits: DEFAULT_LIMITS,
    hashSeed: 0,
    progress: false,
  });
}

// Every reference solution must pass its own benchmark: anything else is a harness bug.
describe.skipIf(!HAS_DATA)("reference solutions score full marks", () => {
  it("mbpp test split: 500/500", async () => {
    const { summary, referenceFailures } = await scoreReference("mbpp", "test");
    expect(referenceFailures).toEqual([]);
    expect(summary.tasks).toBe(500);
    expect(summary.outcomes).toEqual({ pass: 500 });
  }, 600_000);

  it("mbpp all: 974/974", async () => {
    const { summary, referenceFailures } = await scoreReference("mbpp", "all");
    expect(referenceFailures).toEqual([]);
    expect(summary.tasks).toBe(974);
    expect(summary.outcomes).toEqual({ pass: 974 });
  }, 600_000);

  it("mbpp-plus: 399/399 on base and on plus", async () => {
    const { summary, verdicts, referenceFailures } = await scoreReference("mbpp-plus", "all");
    // Every input counts, Mbpp/255's 1.6M-tuple answer included (it travels as a digest).
    expect(referenceFailures).toEqual([]);
    expect(verdicts.reduce((n, v) => n + v.tests.length, 0)).toBe(1236 + 42082);
    expect(summary.tasks).toBe(399);
    expect(verdicts.filter((v) => v.base_status === "pass")).toHaveLength(399);
    expect(verdicts.filter((v) => v.plus_status === "pass")).toHaveLength(399);
    expect(summary.pass_at_k["1"]).toBe(1);
    expect(summary.base_pass_at_k?.["1"]).toBe(1);
  }, 900_000);
});
