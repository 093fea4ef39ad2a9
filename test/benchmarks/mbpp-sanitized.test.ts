import { describe, expect, it } from "vitest";
import { loadMbppSanitized } from "../../src/benchmarks/mbpp-sanitized.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

describe.skipIf(!hasRealData)("sanitized MBPP from the real data", () => {
  it.each([
    ["all", 427],
    ["prompt", 7],
    ["test", 257],
    ["validation", 43],
    ["train", 120],
  ])("split %s has %i tasks", async (split, count) => {
    const spec = await loadMbppSanitized({ dataDir: REAL_DATA_DIR, split });
    expect(spec.tasks).toHaveLength(count);
  });

  it("defaults to all 427 tasks with 1324 asserts", async () => {
    const spec = await loadMbppSanitized({ dataDir: REAL_DATA_DIR });
    expect(spec).toMatchObject({ name: "mbpp-sanitized", split: "all", groups: ["test"] });
    expect(spec.dataSha256).toEqual({
      "mbpp/sanitized-mbpp.json": "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9",
    });
    const tests = spec.tasks.flatMap((t) => t.tests);
    expect(tests).toHaveLength(1324);
    expect(tests.every((t) => t.input.kind === "assert" && t.expect === null && t.group === "test")).toBe(true);
  });

  it("takes the task text from `prompt` and puts test_imports in the setup", async () => {
    const spec = await loadMbppSanitized({ dataDir: REAL_DATA_DIR });
    const withImports = spec.tasks.filter((t) => t.setup !== "");
    expect(withImports).toHaveLength(13);
    const sphere = spec.tasks.find((t) => t.tests.some((x) => x.display?.includes("volume_sphere")));
    expect(sphere?.setup).toBe("import math\n");
    expect(sphere?.tests[0]?.input).toEqual({
      kind: "assert",
      src: "assert math.isclose(volume_sphere(10), 4188.790204786391, rel_tol=0.001)",
    });
    const first = spec.tasks[0];
    expect(first).toMatchObject({ taskId: "2", prompt: "", text: "Write a function to find the shared elements from the given two lists." });
  });
});
