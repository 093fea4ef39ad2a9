import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { Outcome } from "../../src/core/index.js";
import { EXIT_ERROR, EXIT_OK, EXIT_WORSE, runCompareCommand } from "../../src/cli/commands/compare.js";
import type { CompareFlags } from "../../src/cli/commands/compare.js";
import type { CompareResult } from "../../src/report/compare.js";
import { taskIds, writeRun } from "../fixtures/runs/write-run.js";

const repo = join(import.meta.dirname, "..", "..");

/** Runs the built CLI; resolves with its exit code and output whatever the code. */
function verdictCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repo, "bin", "verdict.js"), ...args], { cwd: repo }, (err, stdout, stderr) => {
      const code = err && typeof err.code === "number" ? err.code : err ? -1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let root: string;
let base: string;
let worse: string;
let better: string;
let plus: string;
let full: string;
let ten: string;

beforeAll(async () => {
  // The CLI runs from dist/: compile the current sources first (as `npm run build` does).
  await new Promise<void>((resolve) => {
    execFile(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: repo }, () => resolve());
  });
  expect(existsSync(join(repo, "dist", "cli", "commands", "compare.js"))).toBe(true);

  root = await mkdtemp(join(tmpdir(), "verdict-cli-compare-"));
  // 40 tasks: the baseline passes 30; "worse" loses 10 of them; "better" gains 8.
  const outcomes = (f: (i: number) => Outcome) => Object.fromEntries(taskIds(40).map((id, i) => [id, [f(i)]]));
  base = await writeRun(root, { runId: "base", outcomes: outcomes((i) => (i < 30 ? "pass" : "wrong_answer")) });
  worse = await writeRun(root, { runId: "worse", outcomes: outcomes((i) => (i < 10 ? "timeout" : i < 30 ? "pass" : "wrong_answer")) });
  better = await writeRun(root, { runId: "better", outcomes: outcomes((i) => (i < 38 ? "pass" : "wrong_answer")) });
  plus = await writeRun(root, { runId: "plus", benchmark: "mbpp-plus", outcomes: outcomes(() => "pass") });
  // A 399-task baseline, and a candidate scored on 10 of those tasks only (--missing skip).
  const ids = taskIds(399);
  full = await writeRun(root, { runId: "full", outcomes: Object.fromEntries(ids.map((id, i) => [id, [i % 3 === 0 ? "wrong_answer" : "pass"]])), summaryExtra: { tasks_total: 399, partial: false } });
  ten = await writeRun(root, {
    runId: "ten",
    outcomes: Object.fromEntries(ids.slice(0, 10).map((id) => [id, ["pass"]])),
    summaryExtra: { tasks_total: 399, partial: true, missing_policy: "skip", tasks_missing: ids.slice(10) },
  });
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("verdict compare (built CLI)", () => {
  it("exits 1 with --fail-if-worse when B is significantly worse, 0 without the flag", async () => {
    const gated = await verdictCli(["compare", base, worse, "--fail-if-worse"]);
    expect(gated.code).toBe(1);
    expect(gated.stdout).toContain("B is significantly worse than A");
    expect(gated.stdout).toContain("Regressions (10)");
    expect(gated.stdout).toMatch(/│ 11\s+│ pass\s+│ timeout\s+│/);
    const plain = await verdictCli(["compare", base, worse]);
    expect(plain.code).toBe(0);
  });

  it("exits 0 with --fail-if-worse when B is better", async () => {
    const r = await verdictCli(["compare", base, better, "--fail-if-worse"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("B is significantly better than A");
  });

  it("prints one JSON object with --json and writes the markdown file", async () => {
    const md = join(root, "comment.md");
    const r = await verdictCli(["compare", "base", "worse", "--results", root, "--json", "--markdown", md, "--seed", "3"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as CompareResult;
    expect(result.worse).toBe(true);
    expect(result.a.run_id).toBe("base");
    expect(result.b.pass_at_k["1"]).toBeCloseTo(20 / 40, 12);
    expect(result.test).toMatchObject({ name: "mcnemar_exact", b: 10, c: 0 });
    expect(result.test.p_value).toBeCloseTo(2 / 2 ** 10, 12);
    expect(result.difference.pass_at_1_ci.seed).toBe(3);
    const text = await readFile(md, "utf8");
    expect(text).toContain("**B is significantly worse than A");
    expect(text).toContain("| 11 | pass | timeout |");
  });

  it("exits 2 with the reason when the runs are of different benchmarks", async () => {
    const r = await verdictCli(["compare", base, plus, "--fail-if-worse"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("different benchmark (A: mbpp, B: mbpp-plus)");
    expect(r.stdout).toBe("");
  });

  it("exits 2 with --fail-if-worse between runs over different tasks, unless told to compare the intersection", async () => {
    const gated = await verdictCli(["compare", full, ten, "--fail-if-worse"]);
    expect(gated.code).toBe(2);
    expect(gated.stderr).toContain("full and ten cannot be compared: 389 task(s) only in A (21, 22, 23,");
    expect(gated.stderr).toContain("--tasks intersection");
    expect(gated.stdout).toBe("");
    const shared = await verdictCli(["compare", full, ten, "--fail-if-worse", "--tasks", "intersection"]);
    expect(shared.code).toBe(0);
    expect(shared.stdout).toContain("No significant difference (partial: compared on 10 of 399 tasks)");
    expect(shared.stdout).toMatch(/│ tasks\s+│ 399\s+│ 10 of 399 \(partial\)\s+│/);
    const bad = await verdictCli(["compare", full, ten, "--tasks", "union"]);
    expect(bad.code).toBe(2);
  });

  it("exits 2 on a missing run and on a bad flag value", async () => {
    const missing = await verdictCli(["compare", base, join(root, "nope"), "--fail-if-worse"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("not a run directory");
    const badAlpha = await verdictCli(["compare", base, worse, "--alpha", "5"]);
    expect(badAlpha.code).toBe(2);
    expect(badAlpha.stderr).toContain("--alpha");
  });
});

describe("runCompareCommand", () => {
  const flags = (more: Partial<CompareFlags> = {}): CompareFlags => ({ alpha: 0.05, seed: 0, resamples: 2000, results: root, ...more });
  const capture = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  };

  it("returns the exit code the gate needs", async () => {
    const { io } = capture();
    expect(await runCompareCommand("base", "worse", flags({ failIfWorse: true }), io)).toBe(EXIT_WORSE);
    expect(await runCompareCommand("base", "worse", flags({ failIfWorse: true, alpha: 0.001 }), io)).toBe(EXIT_OK);
    expect(await runCompareCommand("worse", "base", flags({ failIfWorse: true }), io)).toBe(EXIT_OK);
  });

  it("reports input errors on stderr with exit code 2", async () => {
    const { out, io } = capture();
    expect(await runCompareCommand("base", "plus", flags(), io)).toBe(EXIT_ERROR);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(/^verdict compare: cannot compare base with plus: different benchmark/);
  });
});
