import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadBenchmarkConfig,
  parseBenchmarkConfig,
  splitRange,
  toComparator,
} from "../../src/benchmarks/benchmark-config.js";
import { InputError } from "../../src/core/errors.js";

const VALID = {
  name: "tiny",
  description: "a test benchmark",
  license: "CC0",
  data: [{ file: "tiny/tiny.jsonl", url: "https://example.org/tiny.jsonl", sha256: "a".repeat(64) }],
  splits: { default: "all", ranges: { test: [1, 5] } },
  groups: ["test"],
};

describe("the shipped benchmark definitions", () => {
  it.each([
    ["mbpp", "test", ["test"]],
    ["mbpp-sanitized", "all", ["test"]],
    ["mbpp-plus", "all", ["base", "plus"]],
  ])("%s validates", async (name, defaultSplit, groups) => {
    const config = await loadBenchmarkConfig(name);
    expect(config.name).toBe(name);
    expect(config.splits.default).toBe(defaultSplit);
    expect(config.groups).toEqual(groups);
    expect(config.splits.ranges).toEqual({ prompt: [1, 10], test: [11, 510], validation: [511, 600], train: [601, 974] });
  });

  it("mbpp-plus carries EvalPlus's rules as data", async () => {
    const config = await loadBenchmarkConfig("mbpp-plus");
    expect(config.time_calibration).toEqual({ factor: 4, min_seconds: 4 });
    expect(Object.keys(config.input_transforms ?? {})).toHaveLength(62);
    expect(config.input_transforms?.["115"]).toBe("sets_first_arg_items");
    expect(config.oracles?.["581"]?.alternatives?.[0]?.fn).toBe("_surface_Area");
    expect(Object.keys(config.oracle_functions ?? {}).sort()).toEqual(["_digit_distance_nums", "_surface_Area", "_zero"]);
  });
});

describe("invalid definitions name the file and the field", () => {
  it.each([
    ["a bad sha256", { data: [{ ...VALID.data[0], sha256: "xyz" }] }, "data.0.sha256"],
    ["a missing url", { data: [{ file: "a.jsonl", sha256: "a".repeat(64) }] }, "data.0.url"],
    ["a path escaping the data dir", { data: [{ ...VALID.data[0], file: "../x.jsonl" }] }, "data.0.file"],
    ["an unknown default split", { splits: { default: "dev", ranges: { test: [1, 5] } } }, "splits.default"],
    ["an inverted range", { splits: { default: "all", ranges: { test: [5, 1] } } }, "splits.ranges.test"],
    ["an unknown transform", { input_transforms: { "2": "to_tuple" } }, "input_transforms.2"],
    ["a non-numeric task key", { input_transforms: { x: "deep_tuples" } }, "input_transforms.x"],
    ["an unknown top-level key", { extra: 1 }, "(top level)"],
    [
      "an oracle naming a missing function",
      { oracles: { "5": { entry_point: "f", alternatives: [{ fn: "_g", comparator: { kind: "eq" } }] } } },
      "oracles.5.alternatives.0.fn",
    ],
    [
      "oracle code that does not define its function",
      { oracle_functions: { _g: "def _h():\n    return 0\n" } },
      "oracle_functions._g",
    ],
    ["an unknown comparator", { oracles: { "5": { entry_point: "f", comparator: { kind: "approx" } } } }, "oracles.5.comparator"],
  ])("%s", (_what, patch, field) => {
    const err = (() => {
      try {
        parseBenchmarkConfig({ ...VALID, ...patch }, "benchmarks/tiny.yaml");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain("benchmarks/tiny.yaml");
    expect((err as Error).message).toContain(field);
  });

  describe("from disk", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "verdict-config-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("reports YAML syntax errors with the file", async () => {
      await writeFile(join(dir, "broken.yaml"), "name: [unclosed\n");
      await expect(loadBenchmarkConfig("broken", dir)).rejects.toThrow(`${join(dir, "broken.yaml")}: not valid YAML`);
    });

    it("reports a missing definition with the file", async () => {
      await expect(loadBenchmarkConfig("absent", dir)).rejects.toThrow(join(dir, "absent.yaml"));
    });
  });
});

describe("toComparator", () => {
  it.each([
    [{ kind: "eq" } as const, 0.5, { kind: "eq" }],
    [{ kind: "set_eq" } as const, 0.5, { kind: "set_eq" }],
    [{ kind: "set_eq", atol: "atol" } as const, 0.5, { kind: "set_eq", atol: 0.5 }],
    [{ kind: "evalplus", atol: "atol" } as const, 1e-4, { kind: "evalplus", atol: 1e-4 }],
    [{ kind: "isclose", rel_tol: 0, abs_tol: "atol" } as const, 1e-4, { kind: "isclose", relTol: 0, absTol: 1e-4 }],
    [{ kind: "isclose", rel_tol: 1e-3, abs_tol: 2 } as const, 1e-4, { kind: "isclose", relTol: 1e-3, absTol: 2 }],
  ])("%j with atol %s", (c, atol, want) => {
    expect(toComparator(c, atol)).toEqual(want);
  });
});

describe("splitRange", () => {
  it("knows 'all' and the ranges, and lists them for an unknown split", async () => {
    const config = await loadBenchmarkConfig("mbpp");
    expect(splitRange(config, "all")).toBeNull();
    expect(splitRange(config, "validation")).toEqual([511, 600]);
    expect(() => splitRange(config, "dev")).toThrow(/known splits: all, prompt, test, validation, train/);
  });
});
