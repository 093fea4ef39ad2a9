/**
 * `verdict tcg` end to end: the built CLI against the scripted OpenAI-compatible server
 * (test/fixtures/models/scripted-tcg.ts) on MBPP's train split, real containers. The figures it
 * prints are the hand-computed ones; the hostile cases are refused unread (nothing ran on the
 * host); the exports have TRL's field names and shapes; `verdict eval --tests tcg:RUN_DIR`
 * scores samples on the generated tests; a SIGKILLed run resumes asking every request and
 * validating every unit exactly once; an interrupted run leaves no container.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_FILES } from "../../src/runner/run-format.js";
import { dpoRowSchema, sftRowSchema } from "../../src/training/trl-rows.js";
import { renderCases } from "../../src/prompts/tcg.js";
import type { TcgSummary } from "../../src/pipelines/tcg-summary.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";
import { ANSWERS, CORRECT_SAMPLES, HAND_COUNTS, PWNED, tcgResponder, WRONG_SAMPLES } from "../fixtures/models/scripted-tcg.js";
import { leftovers, manifestStatus, runVerdict, spawnVerdict, startEvalTests, waitUntil } from "../helpers/eval-run.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

let docker: Docker;
let root: string;
let server: OpenAITestServer;
const env = (): Record<string, string> => ({ VERDICT_DATA_DIR: REAL_DATA_DIR, VERDICT_CACHE_DIR: join(root, "cache") });

/** A tcg config for the first `limit` train tasks; `extra` lines are appended. */
function config(name: string, limit: number, extra: string[] = []): string {
  const path = join(root, `${name}.yaml`);
  writeFileSync(
    path,
    [
      "benchmark: mbpp",
      "split: train",
      `limit: ${limit}`,
      "models:",
      `  - {name: tcg, base_url: "${server.baseUrl}", model: tcg-1.3b, api: completions, retries: 0}`,
      "tcg: {requests: 2, cases: 3, max_case_chars: 100, temperature: 0.8}",
      "sandbox: {workers: 2, timeout_s: 1}",
      ...extra,
      "",
    ].join("\n"),
  );
  return path;
}

/** A samples file of `samples` scored by `verdict eval` on MBPP train (tasks without a sample skipped). */
async function evalRun(name: string, samples: { task_id: number; solution: string }[], more: string[] = []): Promise<{ dir: string; stdout: string }> {
  const file = join(root, `${name}.jsonl`);
  writeFileSync(file, samples.map((s) => `${JSON.stringify(s)}\n`).join(""));
  const dir = join(root, name);
  const r = await runVerdict(["eval", "--benchmark", "mbpp", "--split", "train", "--samples", file, "--missing", "skip", "--workers", "2", "--out", dir, "--json", ...more], env());
  expect(r.code, r.stderr).toBe(0);
  return { dir, stdout: r.stdout };
}

const jsonl = <T>(path: string): T[] => readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as T);

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-tcg-cli-"));
  server = await startOpenAITestServer(tcgResponder());
}, 300_000);
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!hasRealData)("verdict tcg on MBPP's train split against a scripted model", () => {
  let runDir: string;
  let tcg: TcgSummary;
  let printed: string;

  beforeAll(async () => {
    const correct = await evalRun("correct", CORRECT_SAMPLES);
    const wrong = await evalRun("wrong", WRONG_SAMPLES);
    runDir = join(root, "run");
    const cfg = config("main", 4, ["quality: {mutants: 3, mutant_seed: 0}"]);
    const json = await runVerdict(["tcg", cfg, "--out", runDir, "--correct", correct.dir, "--wrong", wrong.dir, "--json"], env());
    expect(json.code, json.stderr).toBe(0);
    tcg = (JSON.parse(json.stdout) as { tcg: TcgSummary }).tcg;
    // The same run again: everything answered from disk, the table printed.
    const again = await runVerdict(["tcg", cfg, "--resume", runDir, "--correct", correct.dir, "--wrong", wrong.dir], env());
    expect(again.code, again.stderr).toBe(0);
    printed = again.stdout;
  }, 600_000);

  it("reports the hand-computed validity, all-valid rate, TPR and kill rate", () => {
    const m = tcg.models[0];
    if (m === undefined) throw new Error("no model in the summary");
    expect(m.quality.cases.byValidity).toEqual(HAND_COUNTS.byValidity);
    expect(m.cases).toEqual({ asked: 24, extra: HAND_COUNTS.extra, missing: 0 });
    // Validity: 13 valid of 24 cases; of the 18 that ran on the reference, 13.
    expect(m.quality.validity).toMatchObject({ successes: 13, n: 24 });
    expect(m.quality.validity.estimate).toBeCloseTo(13 / 24, 12);
    // Wilson 95%: (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n) with p = 13/24, n = 24, z = 1.96.
    expect(m.quality.validity.low).toBeCloseTo(0.3507, 4);
    expect(m.quality.validity.high).toBeCloseTo(0.7211, 4);
    expect(m.quality.validityOfExecuted).toMatchObject({ successes: 13, n: 18 });
    expect(m.quality.tasks.allValid).toMatchObject({ successes: HAND_COUNTS.allValidTasks, n: 4 });
    // TPR: the reference passes every valid test of its 4 tasks; of 3 known-correct samples,
    // the one fitted to the benchmark's three inputs fails get_ludic(3).
    expect(m.quality.tpr.reference.rate).toMatchObject({ successes: 4, n: 4 });
    expect(m.quality.tpr.correct.rate).toMatchObject({ successes: 2, n: 3 });
    expect(m.quality.tpr.all.rate).toMatchObject({ successes: 6, n: 7 });
    // Kill rate over wrong samples: 3 of 5 (the 601 one and the second 604 one survive).
    expect(m.quality.killRate.samples.rate).toMatchObject({ successes: WRONG_SAMPLES.filter((w) => w.killed).length, n: WRONG_SAMPLES.length });
    expect(m.programs).toEqual({ reference: 4, correct: 3, wrong_samples: 5, mutants: tcg.mutants?.kept });
    expect(tcg.runs.map((r) => [r.role, r.used])).toEqual([["correct", 3], ["wrong_sample", 5]]);
    expect(tcg.complete).toBe(true);
  });

  it("measures mutants on their kill rate without the equivalent ones", () => {
    const mutants = jsonl<{ id: string; task_id: string; screen: string; description: string }>(join(runDir, "mutants.jsonl"));
    const m = tcg.mutants;
    if (m === null) throw new Error("no mutants");
    expect(mutants).toHaveLength(m.made);
    expect(m.made).toBe(m.kept + m.equivalent + m.stillborn + m.undetermined);
    expect(m.kept).toBeGreaterThan(0);
    const programs = jsonl<{ role: string; id: string; decision: string }>(join(runDir, "programs.jsonl"));
    const judgedMutants = programs.filter((p) => p.role === "mutant");
    // Only kept mutants are judged on the generated tests; equivalent ones never count.
    expect(judgedMutants.map((p) => p.id).sort()).toEqual(mutants.filter((x) => x.screen === "kept").map((x) => x.id).sort());
    const killed = judgedMutants.filter((p) => p.decision === "fail").length;
    const decided = judgedMutants.filter((p) => p.decision === "fail" || p.decision === "pass").length;
    const q = tcg.models[0]?.quality;
    expect(q?.killRate.mutants.rate).toMatchObject({ successes: killed, n: decided });
    expect(q?.killRate.all.rate).toMatchObject({ successes: killed + 3, n: decided + 5 });
    // reverse_words has one mutation site, its ' ' separator: that mutant fails the benchmark and the generated tests.
    const space = mutants.find((x) => x.task_id === "604");
    expect(space).toMatchObject({ screen: "kept", description: "' ' → ''" });
    expect(programs.find((p) => p.id === space?.id)?.decision).toBe("fail");
  });

  it("prints the figures on the terminal, and a resume of a complete run asks and validates nothing again", () => {
    expect(printed).toContain("54.2% [35.1%, 72.1%] (13/24)");
    expect(printed).toContain("85.7% [48.7%, 97.4%] (6/7)");
    expect(printed).toContain("60.0% [23.1%, 88.2%] (3/5)");
    expect(printed).toMatch(/units: 0 validated now, 4 found on disk, of 4/);
    // Two requests per task, each asked once over both runs.
    expect(server.requests.length).toBe(8);
  });

  it("has a TCG section in verdict report with the same figures as the terminal", async () => {
    const html = join(root, "tcg-report.html");
    const r = await runVerdict(["report", runDir, "--html", html], env());
    expect(r.code, r.stderr).toBe(0);
    const page = readFileSync(html, "utf8");
    const section = page.slice(page.indexOf('<section class="tcg" id="tcg">'));
    expect(section).toMatch(/^<section class="tcg" id="tcg"><h2>Test case generation \(TCG\)<\/h2>/);
    expect(section).toContain("<th>validity: valid / cases</th><td>54.2% [35.1%, 72.1%] (13/24)</td>");
    expect(section).toContain("<td>85.7% [48.7%, 97.4%] (6/7)</td>");
    expect(section).toContain("<th>&nbsp;&nbsp;wrong samples (--wrong)</th><td>60.0% [23.1%, 88.2%] (3/5)</td>");
    expect(section).toContain("<th>unparsable</th><td>3</td>");
    expect(section).toContain(`verdict eval --tests tcg:${runDir}`);
  });

  it("refuses hostile cases unread: nothing ran on the host", () => {
    const rows = jsonl<{ task_id: string; validity: string; input_text: string; detail?: string }>(join(runDir, "tests.jsonl"));
    expect(rows).toHaveLength(HAND_COUNTS.cases);
    const hostile = rows.find((r) => r.input_text.includes("__import__"));
    expect(hostile).toMatchObject({ validity: "unparsable", detail: expect.stringMatching(/the name "__import__" is not a literal/) });
    expect(rows.find((r) => r.input_text.startsWith("'a' * 10**9"))).toMatchObject({ validity: "unparsable" });
    expect(rows.find((r) => r.input_text.length > 100_000)).toMatchObject({ validity: "too_long" });
    expect(rows.find((r) => r.input_text === "1000000")).toMatchObject({ validity: "timeout" });
    expect(existsSync(PWNED)).toBe(false);
    // A valid case's limit is calibrated on the reference's own time, which is recorded.
    const valid = jsonl<{ validity: string; seconds?: number; reference?: { outcome: string; seconds?: number } }>(join(runDir, "tests.jsonl")).filter((r) => r.validity === "valid");
    for (const r of valid) expect(r.seconds).toBeCloseTo(4 * (r.reference?.seconds ?? Number.NaN), 9);
  });

  it("writes TRL SFT and DPO exports with TRL's field names and shapes, and their manifests", () => {
    const exportsDir = join(runDir, "exports");
    const sft = jsonl<Record<string, unknown>>(join(exportsDir, "tcg-sft.jsonl"));
    const dpo = jsonl<Record<string, unknown>>(join(exportsDir, "tcg-dpo.jsonl"));
    // SFT: one row per K=3 valid cases of a task (601: 1, 602: 1, 603: 1, 604: 2); DPO: 4 shuffled + 6 own-invalid.
    expect(sft).toHaveLength(5);
    expect(dpo).toHaveLength(10);
    for (const row of sft) {
      expect(Object.keys(row).sort()).toEqual(["completion", "prompt"]);
      sftRowSchema.parse(row);
    }
    for (const row of dpo) {
      expect(Object.keys(row).sort()).toEqual(["chosen", "prompt", "rejected"]);
      const r = dpoRowSchema.parse(row);
      // TRL's standard preference format: chosen and rejected continue the prompt, never repeat it.
      expect(r.chosen.startsWith(r.prompt)).toBe(false);
      expect(r.chosen).not.toBe(r.rejected);
    }
    const prompt602 = sft.map((r) => r.prompt as string).find((p) => p.includes("first repeated character"));
    expect(prompt602).toMatch(/^### Instruction\n[\s\S]*### Code Part\n```python\n[\s\S]*### Test Part\n\[Generate 3 test cases here to validate the code\.\]\n$/);
    expect(sft.find((r) => r.prompt === prompt602)?.completion).toBe(
      renderCases([
        { input: '"abcabc"', output: '"a"' },
        { input: '"abc"', output: '"None"' },
        { input: '"hello"', output: '"l"' },
      ]),
    );
    const manifest = JSON.parse(readFileSync(join(exportsDir, "tcg-dpo.manifest.json"), "utf8")) as { format: string; rows: number; counts: Record<string, number>; source_run: string };
    expect(manifest).toMatchObject({ format: "trl-dpo-standard", rows: 10, source_run: runDir });
    expect(manifest.counts).toMatchObject({ shuffled: 4, own_invalid: 6 });
    // What `datasets.load_dataset("json", ...)` reads: every line one JSON object of strings.
    const check = "import json,sys\nfor p in sys.argv[1:]:\n    for line in open(p):\n        row = json.loads(line)\n        assert all(isinstance(v, str) for v in row.values()), p\nprint('ok')";
    expect(execFileSync("python3", ["-c", check, join(exportsDir, "tcg-sft.jsonl"), join(exportsDir, "tcg-dpo.jsonl")], { encoding: "utf8" }).trim()).toBe("ok");
  });

  it("makes the run a benchmark: eval --tests tcg: and benchmark+tcg: score samples on the generated tests", async () => {
    const tcgOnly = await evalRun("eval-tcg", WRONG_SAMPLES, ["--tests", `tcg:${runDir}`]);
    const verdicts = jsonl<{ task_id: string; sample_index: number; status: string; tests: { id: string; outcome: string }[] }>(join(tcgOnly.dir, RUN_FILES.verdicts));
    const byKey = new Map(verdicts.map((v) => [`${v.task_id}#${v.sample_index}`, v]));
    const status = (task: number, index: number): string | undefined => byKey.get(`${task}#${index}`)?.status;
    // On the generated tests only, exactly the wrong samples that survived pass.
    expect([status(601, 0), status(602, 0), status(603, 0), status(604, 0), status(604, 1)]).toEqual(["pass", "wrong_answer", "wrong_answer", "wrong_answer", "pass"]);
    // Every test of those verdicts is a generated one, named by its origin (model/request/case).
    expect(verdicts.flatMap((v) => v.tests.map((t) => t.id)).every((id) => /^tcg\/tcg\/[01]\/[0-2]$/.test(id))).toBe(true);
    expect(byKey.get("601#0")?.tests.map((t) => [t.id, t.outcome])).toEqual([["tcg/tcg/0/2", "pass"]]);
    const manifest = JSON.parse(readFileSync(join(tcgOnly.dir, RUN_FILES.manifest), "utf8")) as { tests?: string; tests_sha256?: string };
    expect(manifest.tests).toBe(`tcg:${runDir}`);
    expect(manifest.tests_sha256).toMatch(/^[0-9a-f]{64}$/);
    const both = await evalRun("eval-both", WRONG_SAMPLES, ["--tests", `benchmark+tcg:${runDir}`]);
    const bothVerdicts = jsonl<{ task_id: string; status: string; tests: { id: string }[] }>(join(both.dir, RUN_FILES.verdicts));
    // With the benchmark's tests first, every wrong sample fails; the benchmark's test ids come before the generated ones.
    expect(bothVerdicts.every((v) => v.status !== "pass")).toBe(true);
    const summary = JSON.parse(both.stdout) as { pass_at_k: Record<string, number> };
    expect(summary.pass_at_k["1"]).toBe(0);
    const bad = await runVerdict(["eval", "--benchmark", "mbpp", "--split", "train", "--samples", join(root, "wrong.jsonl"), "--missing", "skip", "--tests", `tcg:${root}`], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not a `verdict tcg` run directory (no tests.jsonl)");
  }, 300_000);
});

describe.skipIf(!hasRealData)("a killed or interrupted verdict tcg", () => {
  it("resumes after SIGKILL: no answered request asked again, every unit validated once", async () => {
    const slow = await startOpenAITestServer(tcgResponder(400));
    try {
      const runDir = join(root, "killed");
      const cfg = join(root, "killed.yaml");
      writeFileSync(cfg, readFileSync(config("killed-base", 4, ["quality: {mutants: 0}"]), "utf8").replace(server.baseUrl, slow.baseUrl).replace("api: completions", "api: completions, concurrency: 1"));
      const first = spawnVerdict(["tcg", cfg, "--out", runDir, "--no-cache"], env());
      const testsFile = join(runDir, "tests.jsonl");
      await waitUntil(() => existsSync(testsFile) && readFileSync(testsFile, "utf8").length > 0, 120_000, "a validated unit");
      first.child.kill("SIGKILL");
      await first.exited;
      expect(manifestStatus(runDir)).toBe("running");
      const key = (r: { prompt?: unknown; seed?: unknown }): string => `${String(r.prompt).slice(-400)}#${String(r.seed)}`;
      const answeredBefore = new Set(jsonl<{ task_id: string; request: number }>(join(runDir, "requests.jsonl")).map((r) => `${r.task_id}#${r.request}`));
      const askedBefore = slow.requests.map((r) => key(r.body ?? {}));
      expect(askedBefore.length).toBeLessThan(8);
      const second = await runVerdict(["tcg", cfg, "--resume", runDir, "--no-cache", "--json"], env());
      expect(second.code, second.stderr).toBe(0);
      const tcg = (JSON.parse(second.stdout) as { tcg: TcgSummary }).tcg;
      // Every request answered before the kill is never asked again; only one in flight at the
      // kill (concurrency 1: at most one) reaches the server twice, since its answer never arrived.
      const askedAfter = slow.requests.slice(askedBefore.length).map((r) => key(r.body ?? {}));
      expect(new Set([...askedBefore, ...askedAfter]).size).toBe(8);
      expect(askedAfter.length).toBe(8 - answeredBefore.size);
      expect(askedBefore.length - answeredBefore.size).toBeLessThanOrEqual(1);
      const records = jsonl<{ task_id: string; request: number }>(join(runDir, "requests.jsonl"));
      expect(records).toHaveLength(8);
      expect(new Set(records.map((r) => `${r.task_id}#${r.request}`)).size).toBe(8);
      expect(tcg.units.from_disk).toBeGreaterThan(0);
      expect(tcg.units.from_disk + tcg.units.validated_now).toBe(4);
      const rows = jsonl<{ id: string; task_id: string }>(join(runDir, "tests.jsonl"));
      expect(rows).toHaveLength(HAND_COUNTS.cases);
      expect(new Set(rows.map((r) => `${r.task_id} ${r.id}`)).size).toBe(HAND_COUNTS.cases);
      expect(tcg.models[0]?.quality.validity).toMatchObject({ successes: 13, n: 24 });
      expect(manifestStatus(runDir)).toBe("complete");
      expect(await leftovers(docker, runDir)).toEqual([]);
    } finally {
      await slow.close();
    }
  }, 300_000);

  it("stops on SIGINT: containers removed, manifest interrupted, the exact resume command printed", async () => {
    const slow = await startOpenAITestServer(tcgResponder(1500));
    try {
      const runDir = join(root, "interrupted");
      mkdirSync(root, { recursive: true });
      const cfg = join(root, "interrupted.yaml");
      writeFileSync(cfg, readFileSync(config("interrupted-base", 4, ["quality: {mutants: 0}"]), "utf8").replace(server.baseUrl, slow.baseUrl));
      const run = spawnVerdict(["tcg", cfg, "--out", runDir, "--no-cache"], env());
      await waitUntil(() => existsSync(join(runDir, RUN_FILES.manifest)) && slow.requests.length > 0, 120_000, "the first request");
      run.child.kill("SIGINT");
      const exit = await run.exited;
      expect(exit.code, run.stderr()).toBe(130);
      expect(run.stderr()).toContain(`continue with: verdict tcg ${cfg} --resume ${runDir}`);
      expect(manifestStatus(runDir)).toBe("interrupted");
      expect(await leftovers(docker, runDir)).toEqual([]);
    } finally {
      await slow.close();
    }
  }, 300_000);
});

/** The answers are what the fixture says (a guard against editing one without the other). */
it("scripts two answers for each of the four tasks", () => {
  expect(Object.values(ANSWERS).flat()).toHaveLength(8);
});
