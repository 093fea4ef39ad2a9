import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCustomBenchmark } from "../../src/benchmarks/custom.js";
import { InputError } from "../../src/core/errors.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/benchmarks/mini-mbpp.jsonl", import.meta.url));

describe("a custom benchmark in MBPP's schema", () => {
  it("loads every task as MBPP does, split all", async () => {
    const spec = await loadCustomBenchmark(FIXTURE);
    const sha = createHash("sha256").update(await readFile(FIXTURE)).digest("hex");
    expect(spec).toMatchObject({ name: FIXTURE, split: "all", groups: ["test"], dataSha256: { [FIXTURE]: sha } });
    expect(spec.tasks.map((t) => t.taskId)).toEqual(["1", "2", "3"]);
    const [add, chain] = spec.tasks;
    expect(add).toEqual({
      taskId: "1",
      text: "Write a function to add two numbers.",
      prompt: "",
      reference: "def add(a, b):\n    return a + b",
      setup: "",
      tests: [
        { id: "test/0", group: "test", input: { kind: "assert", src: "assert add(1, 2) == 3" }, expect: null, display: "assert add(1, 2) == 3" },
        { id: "test/1", group: "test", input: { kind: "assert", src: "assert add(-1, 1) == 0" }, expect: null, display: "assert add(-1, 1) == 0" },
        { id: "test/2", group: "test", input: { kind: "assert", src: "assert add(2.5, 0.5) == 3.0" }, expect: null, display: "assert add(2.5, 0.5) == 3.0" },
      ],
    });
    expect(chain?.setup).toBe("chain = Cell(1, Cell(2, Cell(3)))\n");
    expect(chain?.reference).not.toContain("\r");
  });

  it("adds challenge asserts when asked", async () => {
    const spec = await loadCustomBenchmark(FIXTURE, { challenge: true });
    expect(spec.groups).toEqual(["test", "challenge"]);
    expect(spec.tasks[0]?.tests.at(-1)).toMatchObject({ id: "challenge/0", group: "challenge" });
    // challenge_test_list is optional: task 3 has none.
    expect(spec.tasks[2]?.tests).toHaveLength(3);
  });

  it("has no split but all", async () => {
    await expect(loadCustomBenchmark(FIXTURE, { split: "test" })).rejects.toThrow(/only the split "all"/);
  });

  describe("malformed lines", () => {
    let dir: string;
    let good: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "verdict-custom-"));
      good = (await readFile(FIXTURE, "utf8")).split("\n")[0] as string;
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const row = (patch: Record<string, unknown>, drop?: string): string => {
      const r: Record<string, unknown> = { ...(JSON.parse(good) as Record<string, unknown>), ...patch };
      if (drop) delete r[drop];
      return JSON.stringify(r);
    };

    it.each([
      ["not JSON", () => "{task_id: 7}", /:2: not valid JSON/],
      ["a missing test_list", () => row({ task_id: 7 }, "test_list"), /:2: not an MBPP task: test_list: /],
      ["a missing code", () => row({ task_id: 7 }, "code"), /:2: not an MBPP task: code: /],
      ["a test_list that is not a list", () => row({ task_id: 7, test_list: "assert f()" }), /:2: .*test_list: /],
      ["an empty test_list", () => row({ task_id: 7, test_list: [] }), /:2: .*test_list: /],
      ["a task_id of the wrong type", () => row({ task_id: [7] }), /:2: .*task_id: /],
      ["a non-string setup", () => row({ task_id: 7, test_setup_code: null }), /:2: .*test_setup_code: /],
      ["a repeated task_id", () => row({}), /:2: task_id: "1" already used on line 1/],
    ])("%s is an InputError naming the file, line and field", async (_what, line, pattern) => {
      const path = join(dir, "bench.jsonl");
      await writeFile(path, `${good}\n${line()}\n`);
      const err = await loadCustomBenchmark(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toMatch(pattern);
    });

    it("skips blank lines and counts lines from 1", async () => {
      const path = join(dir, "blank.jsonl");
      await writeFile(path, `\n${good}\r\n\n{oops}\n`);
      await expect(loadCustomBenchmark(path)).rejects.toThrow(`${path}:4: not valid JSON`);
    });

    it("rejects an empty file and a missing one", async () => {
      const path = join(dir, "empty.jsonl");
      await writeFile(path, "\n");
      await expect(loadCustomBenchmark(path)).rejects.toThrow(`${path}: no tasks in file`);
      await expect(loadCustomBenchmark(join(dir, "absent.jsonl"))).rejects.toThrow(/absent\.jsonl: cannot read/);
    });
  });
});
