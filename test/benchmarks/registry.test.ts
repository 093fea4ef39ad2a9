import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BENCHMARKS, isBenchmarkName, loadBenchmark } from "../../src/benchmarks/registry.js";
import { InputError } from "../../src/core/errors.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/benchmarks/mini-mbpp.jsonl", import.meta.url));

describe("loadBenchmark", () => {
  it("knows the built-in names", () => {
    expect(Object.keys(BENCHMARKS)).toEqual(["mbpp", "mbpp-sanitized", "mbpp-plus"]);
    expect(isBenchmarkName("mbpp-plus")).toBe(true);
    expect(isBenchmarkName("toString")).toBe(false);
  });

  describe.skipIf(!hasRealData)("by name", () => {
    it.each([
      ["mbpp", {}, "test", 500, ["test"]],
      ["mbpp", { challenge: true, split: "all" }, "all", 974, ["test", "challenge"]],
      ["mbpp-sanitized", {}, "all", 427, ["test"]],
      ["mbpp-plus", {}, "all", 399, ["base", "plus"]],
      ["mbpp-plus", { split: "validation" }, "validation", 42, ["base", "plus"]],
    ])("%s %j", async (name, opts, split, tasks, groups) => {
      const spec = await loadBenchmark(name, { dataDir: REAL_DATA_DIR, ...opts });
      expect(spec.name).toBe(name);
      expect(spec.split).toBe(split);
      expect(spec.tasks).toHaveLength(tasks);
      expect(spec.groups).toEqual(groups);
    });
  });

  it("treats an existing path as a custom benchmark", async () => {
    const spec = await loadBenchmark(FIXTURE);
    expect(spec.name).toBe(FIXTURE);
    expect(spec.tasks).toHaveLength(3);
  });

  it("treats a missing .jsonl path as a custom benchmark, so the error names the file", async () => {
    await expect(loadBenchmark("no/such/bench.jsonl")).rejects.toThrow("no/such/bench.jsonl: cannot read");
  });

  it("lists the known benchmarks for an unknown name", async () => {
    const err = await loadBenchmark("humaneval").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/unknown benchmark "humaneval"; known: mbpp, mbpp-sanitized, mbpp-plus/);
  });
});
