import { describe, expect, it } from "vitest";
import { loadMbpp } from "../../src/benchmarks/mbpp.js";
import { InputError } from "../../src/core/errors.js";
import type { BenchmarkSpec } from "../../src/core/task.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

const load = (split?: string, challenge?: boolean): Promise<BenchmarkSpec> =>
  loadMbpp({ dataDir: REAL_DATA_DIR, ...(split ? { split } : {}), ...(challenge ? { challenge } : {}) });

describe.skipIf(!hasRealData)("MBPP from the real data", () => {
  it.each([
    ["prompt", 10, "1", "10"],
    ["test", 500, "11", "510"],
    ["validation", 90, "511", "600"],
    ["train", 374, "601", "974"],
    ["all", 974, "1", "974"],
  ])("split %s has %i tasks, %s to %s", async (split, count, first, last) => {
    const spec = await load(split);
    expect(spec.split).toBe(split);
    expect(spec.tasks).toHaveLength(count);
    expect(spec.tasks[0]?.taskId).toBe(first);
    expect(spec.tasks.at(-1)?.taskId).toBe(last);
  });

  it("defaults to the test split and names its data", async () => {
    const spec = await load();
    expect(spec).toMatchObject({ name: "mbpp", split: "test", groups: ["test"] });
    expect(spec.tasks).toHaveLength(500);
    expect(spec.dataSha256).toEqual({
      "mbpp/mbpp.jsonl": "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f",
    });
  });

  it("has 2922 test asserts over all 974 tasks, each an undecomposed assert", async () => {
    const spec = await load("all");
    const tests = spec.tasks.flatMap((t) => t.tests);
    expect(tests).toHaveLength(2922);
    expect(tests.every((t) => t.group === "test" && t.input.kind === "assert" && t.expect === null)).toBe(true);
  });

  it("turns a task into a spec: text, reference with LF line endings, asserts in order", async () => {
    const task = (await load("all")).tasks.find((t) => t.taskId === "11");
    expect(task).toMatchObject({ taskId: "11", prompt: "", setup: "" });
    expect(task?.text).toBe("Write a python function to remove first and last occurrence of a given character from the string.");
    expect(task?.reference).not.toContain("\r");
    expect(task?.reference).toMatch(/^def remove_Occ\(s,ch\): \n/);
    expect(task?.tests[0]).toEqual({
      id: "test/0",
      group: "test",
      input: { kind: "assert", src: 'assert remove_Occ("hello","l") == "heo"' },
      expect: null,
      display: 'assert remove_Occ("hello","l") == "heo"',
    });
    expect(task?.tests.map((t) => t.id)).toEqual(["test/0", "test/1", "test/2"]);
  });

  it("keeps test_setup_code as the setup (task 367 builds trees)", async () => {
    const task = (await load("test")).tasks.find((t) => t.taskId === "367");
    expect(task?.setup).toMatch(/^root = Node\(1\) \nroot.left = Node\(2\)/);
    expect(task?.setup).not.toContain("\r");
  });

  it("adds challenge asserts only when asked", async () => {
    const plain = await load("all");
    expect(plain.tasks.flatMap((t) => t.tests).some((t) => t.group === "challenge")).toBe(false);
    const spec = await load("all", true);
    expect(spec.groups).toEqual(["test", "challenge"]);
    const challenge = spec.tasks.flatMap((t) => t.tests.filter((x) => x.group === "challenge"));
    expect(new Set(spec.tasks.filter((t) => t.tests.length > 3).map((t) => t.taskId)).size).toBe(11);
    expect(challenge[0]).toMatchObject({ id: "challenge/0", input: { kind: "assert", src: 'assert remove_Occ("hellolloll","l") == "helollol"' } });
  });

  it("rejects an unknown split, listing the known ones", async () => {
    await expect(load("dev")).rejects.toThrow(InputError);
    await expect(load("dev")).rejects.toThrow(/known splits: all, prompt, test, validation, train/);
  });
});
