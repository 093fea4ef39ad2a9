import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { SampleVerdict } from "../../src/core/index.js";
import { limitedReport, perSampleReport, writePerSampleReports } from "../../src/report/per-sample.js";
import type { LimitedReport, PerSampleIndexEntry, PerSampleReport, PerSampleTask } from "../../src/report/per-sample.js";
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

/*
 * --feedback summary|first-failure: what a submitter of an untrusted round is told. The hidden
 * tests (MBPP+'s plus inputs, MBPP's challenge asserts) are never named, shown or answered:
 * a submitter who saw them could fit them round after round.
 */
describe("limitedReport: feedback that keeps hidden tests hidden", () => {
  const HIDDEN_DISPLAY = "similar_elements(HIDDEN_INPUT_7, HIDDEN_INPUT_8)";
  const TASK: PerSampleTask = {
    text: "Write a function to find the shared elements from the given two lists.",
    tests: [
      { id: "base/0", display: "similar_elements((3, 4, 5, 6), (5, 7, 4, 10))", group: "base" },
      { id: "base/1", display: "similar_elements((1, 2), (2, 3))", group: "base" },
      { id: "plus/0", display: HIDDEN_DISPLAY, group: "plus" },
      { id: "plus/1", display: `${HIDDEN_DISPLAY} + 1`, group: "plus" },
    ],
  };
  const verdict = (tests: SampleVerdict["tests"], status: SampleVerdict["status"], extra: Partial<SampleVerdict> = {}): SampleVerdict => ({ ...base, task_id: "Mbpp/2", sample_index: 0, status, tests, ...extra });
  /** Nothing of a hidden test in the report: its id, input, or the expected value of a wrong answer. */
  const expectNothingHidden = (r: LimitedReport): void => {
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/plus\/\d/);
    expect(text).not.toContain("HIDDEN_INPUT");
    expect(text).not.toContain("SECRET_EXPECTED");
    expect(r).not.toHaveProperty("passed");
    expect(r).not.toHaveProperty("failed");
  };

  it("first-failure: counts, outcome kinds and the first failing base test's input, never its expected value", () => {
    const v = verdict(
      [
        { id: "base/0", outcome: "pass" },
        { id: "base/1", outcome: "wrong_answer", detail: "expected SECRET_EXPECTED got (3,)" },
        { id: "plus/0", outcome: "timeout", detail: "4.0 s CPU limit (--timeout), 12.0 s wall (the wall-clock backstop, 3 × the limit)" },
        { id: "plus/1", outcome: "wrong_answer", detail: "not run: test plus/0 ended the process" },
      ],
      "wrong_answer",
      { base_status: "wrong_answer", plus_status: "timeout" },
    );
    const r = limitedReport(v, TASK, "first-failure");
    expect(r).toEqual<LimitedReport>({
      task_id: "Mbpp/2",
      sample_index: 0,
      status: "wrong_answer",
      base_status: "wrong_answer",
      plus_status: "timeout",
      summary: "passed 1 of 4 tests; wrong_answer ×1, timeout ×1, not_run ×1; first failing base test: base/1",
      task: TASK.text,
      tests_total: 4,
      tests_passed: 1,
      outcomes: { pass: 1, wrong_answer: 1, timeout: 1, not_run: 1 },
      first_failure: { id: "base/1", display: "similar_elements((1, 2), (2, 3))", outcome: "wrong_answer" },
      weak: false,
      program_sha256: sha256("program"),
      feedback: "first-failure",
    });
    expectNothingHidden(r);
  });

  it("first-failure: a sample that fails only hidden tests is told the kinds and counts, and no test", () => {
    const v = verdict(
      [
        { id: "base/0", outcome: "pass" },
        { id: "base/1", outcome: "pass" },
        { id: "plus/0", outcome: "wrong_answer", detail: "expected SECRET_EXPECTED got 1" },
        { id: "plus/1", outcome: "runtime_error", detail: "IndexError: HIDDEN_INPUT out of range" },
      ],
      "wrong_answer",
    );
    const r = limitedReport(v, TASK, "first-failure");
    expect(r.summary).toBe("passed 2 of 4 tests; wrong_answer ×1, runtime_error ×1");
    expect(r.outcomes).toEqual({ pass: 2, wrong_answer: 1, runtime_error: 1 });
    expect(r).not.toHaveProperty("first_failure");
    expectNothingHidden(r);
  });

  it("first-failure: an error's text on a base test is kept (it names no expected value)", () => {
    const v = verdict([{ id: "base/0", outcome: "runtime_error", detail: "ZeroDivisionError: division by zero" }, { id: "plus/0", outcome: "pass" }], "runtime_error");
    expect(limitedReport(v, TASK, "first-failure").first_failure).toEqual({
      id: "base/0",
      display: "similar_elements((3, 4, 5, 6), (5, 7, 4, 10))",
      outcome: "runtime_error",
      detail: "ZeroDivisionError: division by zero",
    });
  });

  it("summary: counts and outcome kinds only, not even a base test", () => {
    const v = verdict([{ id: "base/0", outcome: "wrong_answer", detail: "expected SECRET_EXPECTED got 2" }, { id: "plus/0", outcome: "pass" }], "wrong_answer");
    const r = limitedReport(v, TASK, "summary");
    expect(r).toMatchObject({ summary: "passed 1 of 2 tests; wrong_answer ×1", outcomes: { pass: 1, wrong_answer: 1 }, feedback: "summary" });
    expect(r).not.toHaveProperty("first_failure");
    expect(JSON.stringify(r)).not.toContain("similar_elements((3, 4");
    expectNothingHidden(r);
  });

  it("without the task, a test's group is read from its id; a load error is still told", () => {
    const hidden = verdict([{ id: "plus/0", outcome: "wrong_answer", detail: "expected SECRET_EXPECTED got 2" }], "wrong_answer");
    expect(limitedReport(hidden, undefined, "first-failure")).not.toHaveProperty("first_failure");
    const shown = verdict([{ id: "test/0", outcome: "wrong_answer", detail: "expected SECRET_EXPECTED got 2" }], "wrong_answer");
    expect(limitedReport(shown, undefined, "first-failure").first_failure).toEqual({ id: "test/0", outcome: "wrong_answer" });
    const broken = limitedReport({ ...BROKEN, tests: [{ id: "base/0", outcome: "syntax_error" }, { id: "plus/0", outcome: "syntax_error" }] }, TASK, "first-failure");
    expect(broken).toMatchObject({ summary: "failed to load (syntax_error): SyntaxError: invalid syntax (line 3)", load_error: "SyntaxError: invalid syntax (line 3)" });
    expect(broken).not.toHaveProperty("first_failure");
  });

  it("writePerSampleReports writes the level asked for into every file", async () => {
    const dir = join(root, "summary-level");
    const index = await writePerSampleReports(dir, [PASSING, WRONG], TASKS, "summary");
    for (const entry of index) {
      const text = await readFile(join(dir, entry.file), "utf8");
      const r = JSON.parse(text) as LimitedReport;
      expect(r.feedback).toBe("summary");
      expect(text).not.toContain("similar_elements((1, 2), ");
      expect(text).not.toContain("(3, 4)");
    }
  });
});

