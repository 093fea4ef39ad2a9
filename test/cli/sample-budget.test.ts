import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { parseSampleBudget, resumeOptions } from "../../src/cli/commands/eval.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { resolveSampleBudget } from "../../src/benchmarks/sample-budget.js";
import { storedEvalOptionsSchema, type EvalOptions, type StoredEvalOptions } from "../../src/pipelines/eval-options.js";

describe("--sample-budget", () => {
  it("takes seconds or off", () => {
    expect(parseSampleBudget("60")).toBe(60);
    expect(parseSampleBudget("2.5")).toBe(2.5);
    expect(parseSampleBudget("off")).toBe("off");
    for (const bad of ["0", "-1", "soon", ""]) expect(() => parseSampleBudget(bad)).toThrow(InvalidArgumentError);
  });

  it("defaults to the benchmark's own: EvalPlus's 60 s for mbpp-plus, none for the others", async () => {
    expect(await resolveSampleBudget("mbpp-plus", undefined)).toBe(60);
    expect(await resolveSampleBudget("mbpp", undefined)).toBeUndefined();
    expect(await resolveSampleBudget("./tasks.jsonl", undefined)).toBeUndefined();
    expect(await resolveSampleBudget("mbpp-plus", "off")).toBeUndefined();
    expect(await resolveSampleBudget("mbpp", 30)).toBe(30);
  });

  it("is kept in a run's stored options, and a resume refuses another", () => {
    const stored: StoredEvalOptions = storedEvalOptionsSchema.parse({
      benchmark: "mbpp-plus",
      split: "all",
      samples: "reference",
      challenge: false,
      isolation: "pool",
      workers: 1,
      k: [1],
      noCache: false,
      limits: { ...DEFAULT_LIMITS, sampleSeconds: 60 },
      hashSeed: 0,
    });
    expect(stored.limits.sampleSeconds).toBe(60);
    const flagged: EvalOptions = {
      ...stored,
      resultsDir: "results",
      progress: false,
      resume: "results/x",
      limits: { ...DEFAULT_LIMITS, sampleSeconds: 30 },
    };
    const fromCli = (flag: string): boolean => flag === "sampleBudget";
    expect(() => resumeOptions(stored, flagged, fromCli)).toThrow(InputError);
    expect(() => resumeOptions(stored, flagged, fromCli)).toThrow(/--sample-budget 30 differs from the run being resumed \(60\)/);
    const off = { ...flagged, limits: { ...DEFAULT_LIMITS } };
    expect(() => resumeOptions(stored, off, fromCli)).toThrow(/--sample-budget "off" differs/);
    expect(resumeOptions(stored, { ...flagged, limits: stored.limits }, fromCli).limits.sampleSeconds).toBe(60);
  });
});
