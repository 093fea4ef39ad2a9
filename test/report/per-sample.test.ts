import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { SampleVerdict } from "../../src/core/index.js";
import { perSampleReport, writePerSampleReports } from "../../src/report/per-sample.js";
import type { PerSampleIndexEntry, PerSampleReport, PerSampleTask } from "../../src/report/per-sample.js";
import { sha256 } from "../../src/util/hash.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-per-sample-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const base = { weak: false, seconds: 0.1, cached: false, program_sha256: sha256("program") };
const PASSING: SampleVerdict = {
  ...base,
  task_id: "Mbpp/2",
  sample_index: 0,
  status: "pass",
  base_status: "pass",
  plus_status: "pass",
  tests: [
    { id: "base/0", outcome: "pass", seconds: 0.001 },
    { id: "plus/0", outcome: "pass", seconds: 0.001 },
  ],
};
const WRONG: SampleVerdict = {
  ...base,
  task_id: "Mbpp/2",
  sample_index: 1,
  status: "wrong_answer",
  base_status: "pass",
  plus_status: "wrong_answer",
  tests: [
    { id: "base/0", outcome: "pass" },
    { id: "plus/0", outcome: "wrong_answer", detail: "expected (3, 4) got (4, 3)" },
  ],
};
const BROKEN: SampleVerdict = {
  ...base,
  task_id: "Mbpp/3",
  sample_index: 0,
  status: "syntax_error",
  load_detail: "SyntaxError: invalid syntax (line 3)",
  tests: [{ id: "base/0", outcome: "syntax_error" }],
};
const FAULT: SampleVerdict = {
  ...base,
  task_id: "Mbpp/3",
  sample_index: 1,
  status: "sandbox_error",
  tests: [{ id: "base/0", outcome: "sandbox_error", detail: "container died" }],
};
const TASKS = new Map<string, PerSampleTask>([
  [
    "Mbpp/2",
    {
      text: "Write a function to find the shared elements from the given two lists.",
      tests: [
        { id: "base/0", display: "similar_elements((3, 4, 5, 6), (5, 7, 4, 10))" },
        { id: "plus/0", display: `similar_elements(${"(1, 2), ".repeat(200)})` },
      ],
    },
  ],
]);

describe("perSampleReport", () => {
  it("lists what passed and what failed, with the two sides of a wrong answer and the test as the submitter wrote it", () => {
    const r = perSampleReport(WRONG, TASKS.get("Mbpp/2"));
    expect(r).toMatchObject({
      task_id: "Mbpp/2",
      sample_index: 1,
      status: "wrong_answer",
      base_status: "pass",
      plus_status: "wrong_answer",
      task: "Write a function to find the shared elements from the given two lists.",
      tests_total: 2,
      tests_passed: 1,
      summary: "passed 1 of 2 tests; wrong_answer on plus/0",
      passed: [{ id: "base/0", display: "similar_elements((3, 4, 5, 6), (5, 7, 4, 10))" }],
      weak: false,
      program_sha256: sha256("program"),
    });
    expect(r.failed).toEqual([
      { id: "plus/0", display: expect.stringMatching(/^similar_elements\(\(1, 2\), .*…$/), outcome: "wrong_answer", detail: "expected (3, 4) got (4, 3)", expected: "(3, 4)", actual: "(4, 3)" },
    ]);
    expect(r.failed[0]?.display).toHaveLength(300);
  });

  it("says why a program did not load, and that a sandbox fault is not the submitter's", () => {
    expect(perSampleReport(BROKEN)).toMatchObject({
      summary: "failed to load (syntax_error): SyntaxError: invalid syntax (line 3)",
      load_error: "SyntaxError: invalid syntax (line 3)",
      failed: [{ id: "base/0", outcome: "syntax_error" }],
    });
    expect(perSampleReport(FAULT).summary).toMatch(/^not judged: the sandbox failed/);
    expect(perSampleReport(PASSING).summary).toBe("passed all 2 tests");
    const missing: SampleVerdict = { task_id: "Mbpp/9", sample_index: 0, status: "missing", tests: [], weak: false, seconds: 0, cached: false, program_sha256: "" };
    expect(perSampleReport(missing).summary).toBe("no sample was submitted for this task: scored as a failure");
    expect(perSampleReport(PASSING).failed).toEqual([]);
  });
});

describe("writePerSampleReports", () => {
  it("writes one small JSON file per sample and an index", async () => {
    const dir = join(root, "out");
    const index = await writePerSampleReports(dir, [PASSING, WRONG, BROKEN, FAULT], TASKS);
    expect(index).toEqual<PerSampleIndexEntry[]>([
      { task_id: "Mbpp/2", sample_index: 0, status: "pass", file: "Mbpp_2-0.json" },
      { task_id: "Mbpp/2", sample_index: 1, status: "wrong_answer", file: "Mbpp_2-1.json" },
      { task_id: "Mbpp/3", sample_index: 0, status: "syntax_error", file: "Mbpp_3-0.json" },
      { task_id: "Mbpp/3", sample_index: 1, status: "sandbox_error", file: "Mbpp_3-1.json" },
    ]);
    expect((await readdir(dir)).sort()).toEqual(["Mbpp_2-0.json", "Mbpp_2-1.json", "Mbpp_3-0.json", "Mbpp_3-1.json", "index.json"]);
    expect(JSON.parse(await readFile(join(dir, "index.json"), "utf8"))).toEqual(index);
    for (const [entry, verdict] of [
      [index[1], WRONG],
      [index[2], BROKEN],
    ] as const) {
      const text = await readFile(join(dir, entry?.file ?? ""), "utf8");
      expect(JSON.parse(text) as PerSampleReport).toEqual(perSampleReport(verdict, TASKS.get(verdict.task_id)));
      expect(text.length).toBeLessThan(2048);
    }
  });

  it("keeps task ids that clean to the same file name apart", async () => {
    const dir = join(root, "clash");
    const index = await writePerSampleReports(dir, [
      { ...PASSING, task_id: "a_b" },
      { ...PASSING, task_id: "a/b" },
      { ...PASSING, task_id: "../etc" },
    ]);
    expect(index.map((e) => e.file)).toEqual(["a_b-0.json", `a_b-${sha256("a/b").slice(0, 8)}-0.json`, "__etc-0.json"]);
    expect(await readdir(dir)).toHaveLength(4);
  });
});
