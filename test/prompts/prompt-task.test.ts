import { describe, expect, it } from "vitest";
import { entryPointOf, normalizeNewlines, testsForPrompt, type PromptTask } from "../../src/prompts/prompt-task.js";

const task = (tests: string[], entryPoint?: string): PromptTask => ({ taskId: "t", text: "x", tests, ...(entryPoint ? { entryPoint } : {}) });

describe("entryPointOf", () => {
  it.each([
    ["assert remove_Occ(\"hello\",\"l\") == \"heo\"", "remove_Occ"],
    ["assert (max_sub_array_sum([-2, -3, 4], 3) == 4)", "max_sub_array_sum"],
    ["assert set(similar_elements((3, 4),(5, 4))) == set((4,))", "similar_elements"],
    ["assert math.isclose(volume_cone(5,12), 314.15926535897927, rel_tol=0.001)", "volume_cone"],
    ["assert sorted(heap_sort([1, 3]))==[1, 3]", "heap_sort"],
    ["assert round(area (3), 2) == 28.27", "area"],
  ])("%s -> %s", (assertion, expected) => {
    expect(entryPointOf(task([assertion]))).toBe(expected);
  });

  it("prefers the benchmark's entry point and has none without tests", () => {
    expect(entryPointOf(task(["assert f(1) == 1"], "g"))).toBe("g");
    expect(entryPointOf(task([]))).toBeUndefined();
  });
});

describe("testsForPrompt", () => {
  it("trims MBPP's stray spaces and CRLFs and selects all, the first or none", () => {
    const t = task(["assert f(1)==[2] ", "assert f(2)==[3]\r\n"]);
    expect(testsForPrompt(t, "all")).toEqual(["assert f(1)==[2]", "assert f(2)==[3]"]);
    expect(testsForPrompt(t, "first")).toEqual(["assert f(1)==[2]"]);
    expect(testsForPrompt(t, "none")).toEqual([]);
    expect(normalizeNewlines("a\r\nb\rc")).toBe("a\nb\nc");
  });
});
