import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters as plain } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunManifest, RunSummary } from "../../src/core/run.js";
import type { LimitedReport } from "../../src/report/per-sample.js";
import { REPO, runVerdict, startEvalTests, verdictLines } from "../helpers/eval-run.js";

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

/*
 * What a run reused, and under which limits it judged, is said rather than hidden: the verdict
 * cache's count on the terminal and in summary.json, each test's limit, a timeout's counted
 * limit, and reference timings that a --no-cache run does not move. A cache of the tests' own
 * (VERDICT_CACHE_DIR) so that nothing another test judged is reused.
 */
describe("verdict eval: caches and limits, visible", () => {
  let cache: string;
  let samples: string;
  const env = (): Record<string, string> => ({ VERDICT_CACHE_DIR: cache });
  const run = (out: string, ...extra: string[]) => runVerdict(evalArgs(samples, out, "--timeout", "1", ...extra), env());
  const manifestOf = (out: string) => JSON.parse(readFileSync(join(root, out, "manifest.json"), "utf8")) as RunManifest;
  const groundTruth = (): Record<string, string> => {
    const dir = join(cache, "ground-truth");
    return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  };

  beforeAll(() => {
    cache = join(root, "cache");
    samples = samplesFile("visible.jsonl", [
      { task_id: 1, solution: "def add(a, b):\n    return a + b\n" },
      { task_id: 2, solution: "def double(x):\n    return x + 1\n" },
      { task_id: 3, solution: "def neg(x):\n    while True:\n        pass\n" },
    ]);
  });

  it("a first run says none came from cache; a timeout says its limit and how it was counted; each test records its limit", async () => {
    const r = await run("v1");
    expect(r.code, r.stderr).toBe(0);
    const out = plain(r.stdout);
    expect(out).toContain("\n0 of 3 verdicts from cache.\n");
    // stdout is a pipe here: no colour codes in what lands in a file.
    expect(r.stdout).not.toContain("\u001b[");
    expect(summaryOf("v1")).toMatchObject({ cached: { verdicts: 0, expected_values: false }, timing_bound: [], outcomes: { pass: 1, wrong_answer: 1, timeout: 1 } });
    const verdicts = verdictLines(join(root, "v1")).verdicts;
    expect(verdicts.flatMap((v) => v.tests.map((t) => t.limit_s))).toEqual([1, 1, 1]);
    const timeout = verdicts.find((v) => v.task_id === "3")?.tests[0];
    expect(timeout?.outcome).toBe("timeout");
    expect(timeout?.detail).toMatch(/^1\.0 s CPU limit \(--timeout; 4 × reference [\d.]+ s is less\), [\d.]+ s wall/);
    expect(manifestOf("v1").limits.test_limits).toMatchObject({ tests: 3, total_s: 3, max_s: 1 });
  }, 120_000);

  it("a second run says every verdict came from the cache, in the summary and in summary.json; feedback for fresh isolation is first-failure", async () => {
    const feedback = join(root, "v2-feedback");
    const r = await run("v2", "--isolation", "fresh", "--per-sample-report", feedback);
    expect(r.code, r.stderr).toBe(0);
    expect(plain(r.stdout)).toContain("3 of 3 verdicts from cache (the verdict cache: --no-verdict-cache judges every sample afresh); expected values and reference timings from cache.");
    expect(summaryOf("v2").cached).toEqual({ verdicts: 3, expected_values: true });
    expect(verdictLines(join(root, "v2")).verdicts.every((v) => v.cached)).toBe(true);
    expect(r.stderr).toContain(`per-sample reports (feedback: first-failure): 3 files in ${feedback}`);
    const report = JSON.parse(readFileSync(join(feedback, "3-0.json"), "utf8")) as LimitedReport;
    expect(report).toMatchObject({ feedback: "first-failure", status: "timeout", first_failure: { id: "test/0", outcome: "timeout", detail: expect.stringMatching(/^1\.0 s CPU limit/) } });
    const wrong = JSON.parse(readFileSync(join(feedback, "2-0.json"), "utf8")) as LimitedReport;
    expect(wrong.first_failure).toEqual({ id: "test/0", display: "assert double(2) == 4", outcome: "wrong_answer" });
    expect(JSON.stringify(wrong)).not.toContain("expected");
  }, 120_000);

  it("--no-cache judges afresh but keeps the reference timings the limits derive from, and compare finds the limits equal", async () => {
    const before = groundTruth();
    const r = await run("v3", "--no-cache");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("time limits keep the first measurement of the reference's times");
    expect(groundTruth()).toEqual(before);
    expect(summaryOf("v3").cached).toEqual({ verdicts: 0, expected_values: false });
    expect(manifestOf("v3").limits.test_limits).toEqual(manifestOf("v1").limits.test_limits);
    // The timeout's limit was counted from the first measurement of the reference's time, not from this run's.
    const referenceOf = (out: string) => /4 × reference ([\d.]+) s/.exec(verdictLines(join(root, out)).verdicts.find((v) => v.task_id === "3")?.tests[0]?.detail ?? "")?.[1];
    expect(referenceOf("v3")).toBeDefined();
    expect(referenceOf("v3")).toBe(referenceOf("v1"));
    const compared = await runVerdict(["compare", join(root, "v1"), join(root, "v3"), "--json"], env());
    expect(compared.code, compared.stderr).toBe(0);
    expect((JSON.parse(compared.stdout) as { warnings: string[] }).warnings.join("\n")).not.toMatch(/limits|reference_seconds/);
  }, 120_000);

  it("--feedback without --per-sample-report is refused, naming both", async () => {
    const r = await run("never-feedback", "--feedback", "summary");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--feedback says what --per-sample-report writes: give --per-sample-report DIR too");
    expect(existsSync(join(root, "never-feedback"))).toBe(false);
  });
});

describe("verdict eval: a directory that already holds a run", () => {
  const files = (out: string) => Object.fromEntries(["manifest.json", "verdicts.jsonl", "summary.json"].map((f) => [f, readFileSync(join(root, out, f), "utf8")]));

  it("--out naming another file's complete run is refused, saying so, with nothing touched; --resume of a complete run keeps its created_at", async () => {
    const made = await runVerdict(evalArgs(oneTask, "held", "--missing", "fail"));
    expect(made.code, made.stderr).toBe(0);
    const before = files("held");
    const other = samplesFile("other.jsonl", [{ task_id: 1, solution: "def add(a, b):\n    return b + a\n" }]);
    const refused = await runVerdict(evalArgs(other, "held", "--missing", "fail"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`${join(root, "held")} holds a different run \\(complete, .*one-task\\.jsonl\\): the samples file \\(sha256\\): .* there, .* here; nothing was changed: choose another --out, or delete that directory`));
    expect(refused.stderr).not.toMatch(/cannot resume|samples are judged/);
    expect(files("held")).toEqual(before);

    const resumed = await runVerdict(["eval", "--resume", join(root, "held"), "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(root, "held", "manifest.json"), "utf8")) as { created_at: string; status: string };
    expect(manifest.created_at).toBe((JSON.parse(before["manifest.json"] ?? "{}") as { created_at: string }).created_at);
    expect(manifest.status).toBe("complete");
    expect(readFileSync(join(root, "held", "verdicts.jsonl"), "utf8")).toBe(before["verdicts.jsonl"]);
  }, 120_000);
});

/** Runs the built CLI with stdout and stderr on a terminal (util-linux `script` gives it a pty); what the terminal showed. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number | null; screen: string }> {
  const command = ["node", join(REPO, "bin", "verdict.js"), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  // A plain terminal: no CI, TERM or colour variables from the environment the tests run in
  // (@colors/colors, behind cli-table3, drops bold where CI is set or TERM is dumb).
  const { CI: _ci, NO_COLOR: _noColor, FORCE_COLOR: _force, ...base } = process.env;
  const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: REPO, env: { ...base, TERM: "xterm-256color", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let screen = "";
  child.stdout.on("data", (d: Buffer) => (screen += d.toString()));
  child.stderr.on("data", (d: Buffer) => (screen += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, screen })));
}

describe.skipIf(!existsSync("/usr/bin/script"))("verdict eval on a terminal", () => {
  it("draws progress for the reference run and the judging; NO_COLOR leaves every colour code out", async () => {
    const cache = join(root, "tty-cache");
    const first = await onTerminal([...evalArgs(oneTask, "tty-1", "--missing", "fail")], { VERDICT_CACHE_DIR: cache });
    expect(first.code, first.screen).toBe(0);
    expect(first.screen).toMatch(/\rexpected values \[#+\] 3\/3 /);
    // The two tasks without a sample are scored missing, not judged.
    expect(first.screen).toMatch(/\rjudging \[#+\] 1\/1 /);
    // On a terminal the table headers are bold, never red (31).
    expect(first.screen).toContain("\u001b[1m");
    expect(first.screen).not.toContain("\u001b[31m");
    const plainRun = await onTerminal([...evalArgs(oneTask, "tty-2", "--missing", "fail")], { VERDICT_CACHE_DIR: cache, NO_COLOR: "1" });
    expect(plainRun.code, plainRun.screen).toBe(0);
    expect(plainRun.screen).toContain("1 of 3 verdicts from cache");
    expect(plainRun.screen).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`));
  }, 120_000);
});

