import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import type { BenchmarkSpec } from "../../src/core/task.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { loadRunSamples } from "../../src/pipelines/samples-split.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

/*
 * MBPP+ samples scored with --benchmark mbpp (whose default split is test, tasks 11–510): the
 * error says the task exists outside the chosen split and names the flags that score it.
 */
describe.skipIf(!hasRealData)("loadRunSamples: a task outside the chosen split", () => {
  let dir: string;
  let testSplit: BenchmarkSpec;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "verdict-samples-split-"));
    testSplit = await loadBenchmark("mbpp", { split: "test", dataDir: REAL_DATA_DIR });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const samples = (name: string, ids: string[]): string => {
    const path = join(dir, name);
    writeFileSync(path, ids.map((id) => `${JSON.stringify({ task_id: id, solution: "x = 1\n" })}\n`).join(""));
    return path;
  };
  const opts = { benchmark: "mbpp", split: "test", dataDir: REAL_DATA_DIR };

  it("names the split, the line, and suggests --split all or --benchmark mbpp-plus", async () => {
    const file = samples("plus.jsonl", ["Mbpp/11", "Mbpp/12", "Mbpp/2"]);
    const err = await loadRunSamples(file, testSplit, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(
      `${file}:3: task_id: "Mbpp/2" is a task of mbpp outside the test split it is scored on; score the whole benchmark with --split all, or --benchmark mbpp-plus if these are MBPP+ samples`,
    );
  });

  it("leaves an id the benchmark does not have at all as it was", async () => {
    const file = samples("unknown.jsonl", ["Mbpp/11", "Mbpp/9999"]);
    await expect(loadRunSamples(file, testSplit, opts)).rejects.toThrow(/:2: task_id: "Mbpp\/9999" is not a task of this benchmark$/);
  });

  it("loads samples of the chosen split as before", async () => {
    const loaded = await loadRunSamples(samples("ok.jsonl", ["Mbpp/11", "12"]), testSplit, opts);
    expect(loaded.samples.map((s) => s.taskId)).toEqual(["11", "12"]);
  });
});
