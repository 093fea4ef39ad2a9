import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters as plain } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/core/run.js";
import { runVerdict, startEvalTests, verdictLines } from "../helpers/eval-run.js";

/*
 * `verdict eval` checks the samples against the benchmark's task set: real runs of the built CLI
 * on a three-task benchmark, with samples for one task only.
 */

let root: string;
let benchmark: string;
let oneTask: string;

const TASKS = [
  { task_id: 1, text: "Add.", code: "def add(a, b):\n    return a + b\n", test_list: ["assert add(1, 2) == 3"], test_setup_code: "" },
  { task_id: 2, text: "Double.", code: "def double(x):\n    return 2 * x\n", test_list: ["assert double(2) == 4"], test_setup_code: "" },
  { task_id: 3, text: "Negate.", code: "def neg(x):\n    return -x\n", test_list: ["assert neg(2) == -2"], test_setup_code: "" },
];

function samplesFile(name: string, lines: object[] | string): string {
  const path = join(root, name);
  writeFileSync(path, typeof lines === "string" ? lines : lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  return path;
}

const evalArgs = (samples: string, out: string, ...extra: string[]) => ["eval", "--benchmark", benchmark, "--samples", samples, "--out", join(root, out), "--workers", "1", ...extra];
const summaryOf = (out: string) => JSON.parse(readFileSync(join(root, out, "summary.json"), "utf8")) as RunSummary;

beforeAll(async () => {
  ({ root } = await startEvalTests("verdict-cli-eval-"));
  benchmark = join(root, "tasks.jsonl");
  writeFileSync(benchmark, TASKS.map((t) => `${JSON.stringify(t)}\n`).join(""));
  oneTask = samplesFile("one-task.jsonl", [{ task_id: 1, solution: "def add(a, b):\n    return a + b\n" }]);
}, 300_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("verdict eval: tasks without a sample", () => {
  it("by default refuses the samples file, naming how many tasks and which, before anything runs", async () => {
    const r = await runVerdict(evalArgs(oneTask, "refused"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${oneTask}: 2 of the benchmark's 3 tasks have no sample (2, 3); score them as failures with --missing fail`);
    expect(existsSync(join(root, "refused"))).toBe(false);
  });

  it("--missing fail scores each missing task as a failure (outcome missing), and a resume keeps them", async () => {
    const r = await runVerdict(evalArgs(oneTask, "fail", "--missing", "fail"));
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf("fail")).toMatchObject({ tasks: 3, tasks_total: 3, partial: false, missing_policy: "fail", tasks_missing: ["2", "3"], outcomes: { pass: 1, missing: 2 } });
    expect(summaryOf("fail").pass_at_k["1"]).toBeCloseTo(1 / 3, 12);
    expect(plain(r.stdout)).toContain("2 task(s) have no sample (2, 3): each is scored as a failure (outcome missing).");
    expect(verdictLines(join(root, "fail")).verdicts.map((v) => `${v.task_id}:${v.status}`).sort()).toEqual(["1:pass", "2:missing", "3:missing"]);
    const resumed = await runVerdict(["eval", "--resume", join(root, "fail"), "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as RunSummary).pass_at_k["1"]).toBeCloseTo(1 / 3, 12);
    expect(verdictLines(join(root, "fail")).verdicts).toHaveLength(3);
  }, 120_000);

  it("--missing skip scores the subset and says partial wherever the figure is shown", async () => {
    const r = await runVerdict(evalArgs(oneTask, "skip", "--missing", "skip"));
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf("skip")).toMatchObject({ tasks: 1, tasks_total: 3, partial: true, missing_policy: "skip", tasks_missing: ["2", "3"], pass_at_k: { "1": 1 } });
    const out = plain(r.stdout);
    expect(out).toContain("PARTIAL: 1 of 3 tasks: the figures below cover only these tasks.");
    expect(out).toMatch(/│ pass \(partial: 1 of 3 tasks\) │ 100\.00% │/);
    const runs = await runVerdict(["runs", "--results", root]);
    expect(plain(runs.stdout)).toMatch(/│ skip .*│ 1 of 3\s+│ 1\s+│\s+│ partial: 1 of 3 tasks │/);
    expect(plain(runs.stdout)).toMatch(/│ fail .*│ 3\s+│ 3\s+│\s+│ complete\s+│/);
  }, 120_000);
});

describe("verdict eval: samples files that cannot give a score", () => {
  it.each([
    ["an empty samples file", () => samplesFile("empty.jsonl", ""), [], /empty\.jsonl: no samples in the file/],
    [
      "a (task, sample) given twice",
      () => samplesFile("twice.jsonl", [{ task_id: 1, sample_index: 0, solution: "a" }, { task_id: 2, solution: "b" }, { task_id: "1", sample_index: 0, solution: "c" }]),
      [],
      /twice\.jsonl:3: task 1 sample 0 is given twice \(first on line 1\)/,
    ],
    ["an unknown task id", () => samplesFile("unknown.jsonl", [{ task_id: 1, solution: "a" }, { task_id: 9, solution: "b" }]), [], /unknown\.jsonl:2: task_id: 9 is not a task of this benchmark/],
    [
      "pass@k above a task's sample count",
      () => samplesFile("short.jsonl", [1, 1, 2, 2, 3].map((id) => ({ task_id: id, solution: "x = 1\n" }))),
      ["--k", "1,2"],
      /pass@2 needs at least 2 samples of every task, but 1 task\(s\) have fewer \(task 3 has 1\)/,
    ],
  ])("%s: exit 2 naming the file", async (_what, make, extra, pattern) => {
    const r = await runVerdict(evalArgs(make(), "never", ...extra));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(existsSync(join(root, "never"))).toBe(false);
  });
});
