import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { loadSamples, type SampleTarget } from "../../src/judge/samples.js";

const MBPP: SampleTarget = {
  tasks: [
    { taskId: "2", prompt: "", reference: "def a(): return 2\n" },
    { taskId: "3", prompt: "", reference: "def b(): return 3\n" },
    { taskId: "11", prompt: "", reference: "def c(): return 11\n" },
  ],
};

const PLUS: SampleTarget = {
  tasks: [
    { taskId: "Mbpp/2", prompt: '"""\nTask two.\n"""\n', reference: "def a(): return 2\n" },
    { taskId: "Mbpp/3", prompt: '"""\nTask three.\n"""\n', reference: "def b(): return 3\n" },
  ],
};

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "verdict-samples-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string): Promise<string> {
  const path = join(dir, `samples-${n++}.jsonl`);
  await writeFile(path, content);
  return path;
}

const line = (o: Record<string, unknown>): string => JSON.stringify(o);

describe("loadSamples from JSONL", () => {
  it.each([
    ["Mbpp/2", MBPP, "2"],
    ["2", MBPP, "2"],
    [2, MBPP, "2"],
    ["mbpp/11", MBPP, "11"],
    ["Mbpp/3", PLUS, "Mbpp/3"],
    ["3", PLUS, "Mbpp/3"],
    [3, PLUS, "Mbpp/3"],
  ])("task_id %j maps to the benchmark's %s", async (id, target, _canonical) => {
    const path = await file(`${line({ task_id: id, solution: "x = 1\n" })}\n`);
    const { samples } = await loadSamples(path, target);
    expect(samples).toEqual([{ taskId: _canonical, sampleIndex: 0, program: "x = 1\n" }]);
  });

  it("appends a completion to the task's prompt, and prefers a solution when both are there", async () => {
    const path = await file(
      [
        line({ task_id: "Mbpp/2", completion: "def a():\n    return 2\n" }),
        line({ task_id: "Mbpp/3", completion: "ignored", solution: "def b():\n    return 3\n" }),
      ].join("\n"),
    );
    const { samples } = await loadSamples(path, PLUS);
    expect(samples.map((s) => s.program)).toEqual(['"""\nTask two.\n"""\ndef a():\n    return 2\n', "def b():\n    return 3\n"]);
  });

  it("numbers several samples per task in file order, returns them in task order and lists tasks without any", async () => {
    const content = [
      line({ task_id: "3", solution: "b0" }),
      line({ task_id: "2", solution: "a0" }),
      "",
      line({ task_id: "Mbpp/3", solution: "b1" }),
      line({ task_id: 3, completion: "b2" }),
    ].join("\r\n");
    const path = await file(content);
    const loaded = await loadSamples(path, MBPP);
    expect(loaded.samples).toEqual([
      { taskId: "2", sampleIndex: 0, program: "a0" },
      { taskId: "3", sampleIndex: 0, program: "b0" },
      { taskId: "3", sampleIndex: 1, program: "b1" },
      { taskId: "3", sampleIndex: 2, program: "b2" },
    ]);
    expect(loaded.missing).toEqual(["11"]);
    expect(loaded.source).toBe(path);
    expect(loaded.sha256).toBe(createHash("sha256").update(content).digest("hex"));
  });

  it.each([
    ["not JSON", "{task_id: 2}", /:2: not valid JSON/],
    ["not an object", "[1, 2]", /:2: a sample must be a JSON object/],
    ["no task_id", line({ solution: "x" }), /:2: task_id: missing/],
    ["a task_id of the wrong type", line({ task_id: 2.5, solution: "x" }), /:2: task_id: missing or not a string or integer/],
    ["an unknown task id", line({ task_id: "Mbpp/999", solution: "x" }), /:2: task_id: "Mbpp\/999" is not a task of this benchmark/],
    ["neither field", line({ task_id: "2", code: "x" }), /:2: neither "solution" nor "completion" is given/],
    ["a non-string solution", line({ task_id: "2", solution: 5 }), /:2: solution: not a string/],
    ["a non-string completion", line({ task_id: "2", completion: null }), /:2: completion: not a string/],
  ])("%s is an InputError naming the file and line", async (_what, bad, pattern) => {
    const path = await file(`${line({ task_id: "2", solution: "ok" })}\n${bad}\n`);
    const err = await loadSamples(path, MBPP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(pattern);
  });

  it("takes a line's own sample_index (as verdict generate writes), and leaves gaps as they are", async () => {
    const path = await file([line({ task_id: "2", sample_index: 3, solution: "a3" }), line({ task_id: "2", sample_index: 0, solution: "a0" }), line({ task_id: "3", solution: "b0" })].join("\n"));
    const { samples } = await loadSamples(path, MBPP);
    expect(samples).toEqual([
      { taskId: "2", sampleIndex: 0, program: "a0" },
      { taskId: "2", sampleIndex: 3, program: "a3" },
      { taskId: "3", sampleIndex: 0, program: "b0" },
    ]);
  });

  it.each([
    ["the same sample_index twice", [line({ task_id: "2", sample_index: 1, solution: "x" }), line({ task_id: "Mbpp/2", sample_index: 1, solution: "y" })], /:2: task 2 sample 1 is given twice \(first on line 1\)/],
    ["a sample_index that a line without one already took", [line({ task_id: "3", solution: "x" }), line({ task_id: 3, sample_index: 0, solution: "y" })], /:2: task 3 sample 0 is given twice \(first on line 1\)/],
    ["a sample_index that is not a non-negative integer", [line({ task_id: "2", sample_index: -1, solution: "x" })], /:1: sample_index: -1 is not a non-negative integer/],
  ])("%s is an InputError naming the file and line", async (_what, lines, pattern) => {
    const path = await file(`${lines.join("\n")}\n`);
    const err = await loadSamples(path, MBPP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(pattern);
  });

  it.each([
    ["an empty file", ""],
    ["blank lines only", "\n  \n"],
    ["an empty bigcode list", "[]"],
    ["a bigcode list of empty lists", "[[], []]"],
  ])("refuses %s: no samples is not a score of anything", async (_what, content) => {
    const path = await file(content);
    await expect(loadSamples(path, MBPP)).rejects.toThrow(`${path}: no samples in the file`);
  });

  it("names a file it cannot read", async () => {
    await expect(loadSamples(join(dir, "absent.jsonl"), MBPP)).rejects.toThrow(/absent\.jsonl: cannot read samples/);
  });
});

describe("loadSamples from bigcode-evaluation-harness generations", () => {
  it("maps the list to tasks in benchmark order", async () => {
    const path = await file(JSON.stringify([["a0", "a1"], [], ["c0"]]));
    const loaded = await loadSamples(path, MBPP);
    expect(loaded.samples).toEqual([
      { taskId: "2", sampleIndex: 0, program: "a0" },
      { taskId: "2", sampleIndex: 1, program: "a1" },
      { taskId: "11", sampleIndex: 0, program: "c0" },
    ]);
    expect(loaded.missing).toEqual(["3"]);
  });

  it("takes a shorter list as the first tasks (a --limit run)", async () => {
    const loaded = await loadSamples(await file(`  \n${JSON.stringify([["a0"]])}`), MBPP);
    expect(loaded.samples).toHaveLength(1);
    expect(loaded.missing).toEqual(["3", "11"]);
  });

  it.each([
    ["more entries than tasks", JSON.stringify([["a"], ["b"], ["c"], ["d"]]), /4 task entries, but the benchmark has 3 tasks/],
    ["an entry that is not a list of strings", JSON.stringify([["a"], [1]]), /entry 1 \(task 3\): expected a list of program strings/],
    ["broken JSON", "[[\"a\"]", /not valid JSON/],
  ])("rejects %s", async (_what, content, pattern) => {
    const path = await file(content);
    const err = await loadSamples(path, MBPP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(pattern);
  });
});

describe("loadSamples from the reference solutions", () => {
  it("gives each task's reference, one sample each", async () => {
    const loaded = await loadSamples("reference", PLUS);
    expect(loaded).toEqual({
      samples: [
        { taskId: "Mbpp/2", sampleIndex: 0, program: "def a(): return 2\n" },
        { taskId: "Mbpp/3", sampleIndex: 0, program: "def b(): return 3\n" },
      ],
      missing: [],
      source: "reference",
    });
  });
});
