import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaText } from "../../src/cli/commands/schema.js";
import { processAlive as alive } from "../../src/util/process-files.js";
import { leftovers, REPO, runVerdict, spawnVerdict, startEvalTests, waitUntil } from "../helpers/eval-run.js";
import { startOpenAITestServer } from "../helpers/openai-test-server.js";
import { HAND_COUNTS, tcgResponder } from "../fixtures/models/scripted-tcg.js";
import { comparableRounds, freePort, killLeftServer, phaseRecord, readRounds, START_CHECKPOINT, startPolicyServer, writeLoopConfig } from "../helpers/selfplay-run.js";

/**
 * `verdict selfplay` end to end against the learnable scripted policy (a stand-in for a model:
 * test/fixtures/selfplay/learnable-policy.mjs) and the toy trainer. By hand: the policy picks a
 * good plan (then the reference) with probability good / (good + bad), drawn deterministically
 * (choice j of n is good when (j + 0.5) / n < that). Starting from {good 1, bad 3}, each round's
 * search prefers every good plan over every bad one (8 DPO pairs on 4 tasks), so the trainer
 * moves one unit to good: {1,3} → {2,2} → {3,1} → {4,0}, and Pass@1 over 4 samples per task is
 * (round + 1) / 4: 25, 50, 75, 100 %, the same on every evaluation task, so Δ vs round 0 is
 * 25, 50, 75 points with an exact sign-flip p of 2 / 2^4 = 0.125.
 */

const DATA = process.env.VERDICT_DATA_DIR ?? join(REPO, "..", "shared", "data");

let docker: Docker;
let root: string;
const runs: string[] = [];

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-cli-selfplay-"));
});

afterAll(() => {
  for (const run of runs) killLeftServer(run);
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The environment of one verdict process: the data, a cache of its own, and anything the trainer reads. */
const env = (cache: string, extra: Record<string, string> = {}) => ({ VERDICT_DATA_DIR: DATA, VERDICT_CACHE_DIR: join(root, cache), ...extra });

const HAND_PASS1 = [0.25, 0.5, 0.75, 1];
const HAND_WEIGHTS = [{ good: 2, bad: 2 }, { good: 3, bad: 1 }, { good: 4, bad: 0 }];
const PHASES = [["serve", "evaluate"], ...Array.from({ length: 3 }, () => ["search", "export", "train", "serve", "evaluate"])];

/** Every phase of every round is complete, with its own command's files. */
function expectComplete(run: string): void {
  PHASES.forEach((phases, round) => {
    for (const phase of phases) expect(phaseRecord(run, round, phase), `round ${round} ${phase}`).toMatchObject({ status: "complete", round, phase, error: null });
    const dir = (phase: string) => join(run, `round-${round}`, phase);
    expect(JSON.parse(readFileSync(join(dir("evaluate"), "run.json"), "utf8"))).toMatchObject({ status: "complete" });
    expect(existsSync(join(dir("evaluate"), "policy", "vanilla", "pass1", "verdicts.jsonl"))).toBe(true);
    if (round === 0) return;
    expect(JSON.parse(readFileSync(join(dir("search"), "search-manifest.json"), "utf8"))).toMatchObject({ kind: "search", status: "complete", tasks: ["601", "602", "603", "604"] });
    for (const f of ["dpo", "prm", "sft"]) {
      expect(existsSync(join(dir("export"), `${f}.jsonl`))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir("export"), `${f}.manifest.json`), "utf8"))).toMatchObject({ format: f, tasks: 4 });
    }
    expect(JSON.parse(readFileSync(join(dir("train"), "checkpoint"), "utf8"))).toEqual(HAND_WEIGHTS[round - 1]);
    expect(readFileSync(join(dir("train"), "trainer.log"), "utf8")).toContain(`toy trainer: round ${round}`);
  });
}

/** The figures of the rounds, as the hand computation has them. */
function expectHandFigures(run: string, served: (round: number) => string): void {
  const { rounds } = readRounds(run);
  expect(rounds.map((r) => (r.evaluation as { vanilla: { pass1: { value: number } } }).vanilla.pass1.value)).toEqual(HAND_PASS1);
  rounds.forEach((r, round) => {
    expect(r).toMatchObject({ round, complete: true, served_model: served(round), checkpoint: round === 0 ? START_CHECKPOINT : join(run, `round-${round}`, "train", "checkpoint") });
    const vanilla = (r.evaluation as Record<string, { pass1: Record<string, number>; delta_vs_round0: Record<string, number> | null }>).vanilla;
    expect(vanilla?.pass1).toMatchObject({ tasks: 4, samples: 16, low: HAND_PASS1[round], high: HAND_PASS1[round] });
    if (round === 0) {
      expect(vanilla?.delta_vs_round0).toBeNull();
      return;
    }
    expect(vanilla?.delta_vs_round0).toMatchObject({ value: round * 0.25, tasks: 4, p_value: 0.125 });
    expect(r.search).toEqual({ tasks: 4, solved: 4, solve_rate: 1 });
    expect(r.data).toMatchObject({ dpo: { rows: 8 } });
    expect(r.trainer).toMatchObject({ exit_code: 0 });
    expect((r.trainer as { command: string }).command).toContain("toy-trainer.mjs");
    const budgets = r.budgets as { phases: Record<string, { seconds: number; model_calls?: number; tokens?: number }>; model_calls: number };
    // The search asks once at the root and once per plan visited: 4 per task.
    expect(budgets.phases.search).toMatchObject({ model_calls: 16 });
    expect(budgets.phases.search?.tokens).toBeGreaterThan(0);
    expect(budgets.phases.evaluate?.model_calls).toBeGreaterThan(0);
    expect(Object.keys(budgets.phases)).toEqual(["search", "export", "train", "serve", "evaluate"]);
  });
}

let referenceRun = "";

describe("verdict selfplay", () => {
  it("runs three rounds with a restarted server: Pass@1 rises 25 → 50 → 75 → 100 % as computed by hand, every phase complete", async () => {
    const port = await freePort();
    const config = join(root, "restart.yaml");
    writeLoopConfig(config, { rounds: 3, port, serve: "restart" });
    const run = join(root, "restart");
    runs.push(run);
    const result = await runVerdict(["selfplay", config, "--out", run], env("cache-restart"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/│ 3\s+│ round-3\/train\/checkpoint \(policy\)/);
    expect(result.stdout).toContain("+75.0 [+75.0, +75.0] (p 0.125)");
    // Nothing was cached yet when round 0 evaluated and round 1 searched: their programs kept sandbox workers busy.
    const budget = (round: number, phase: string) => (readRounds(run).rounds[round]?.budgets as { phases: Record<string, { sandbox_cpu_seconds?: number }> }).phases[phase]?.sandbox_cpu_seconds ?? 0;
    expect(budget(0, "evaluate")).toBeGreaterThan(0);
    expect(budget(1, "search")).toBeGreaterThan(0);
    expectComplete(run);
    expectHandFigures(run, () => "policy");
    expect(JSON.parse(readFileSync(join(run, "selfplay.json"), "utf8"))).toMatchObject({ kind: "selfplay", status: "complete" });
    // The loop stops the server it started.
    expect(existsSync(join(run, "server.json"))).toBe(false);
    expect(phaseRecord(run, 3, "serve").details).toMatchObject({ mode: "restart", checkpoint: join(run, "round-3", "train", "checkpoint") });
    // Any two rounds' evaluations compare as any runs do.
    const cell = (round: number) => join(run, `round-${round}`, "evaluate", "policy", "vanilla", "pass1");
    const compared = await runVerdict(["compare", cell(0), cell(3), "--json"], env("cache-restart"));
    expect(compared.code, compared.stderr).toBe(0);
    expect(JSON.parse(compared.stdout)).toMatchObject({ a: { pass_at_k: { "1": 0.25 } }, b: { pass_at_k: { "1": 1 } } });
    // The HTML round report is written with rounds.json (its page is tested in test/report/html/selfplay-report.test.ts).
    expect(result.stdout).toContain(`rounds.html: ${join(run, "rounds.html")}`);
    expect(readFileSync(join(run, "rounds.html"), "utf8")).toContain('<svg class="plot" id="plot-pass1"');
    const report = await runVerdict(["selfplay", "report", run, "--html", join(root, "again.html")], env("cache-restart"));
    expect(report.stdout).toContain("100.0 [100.0, 100.0]");
    expect(readFileSync(join(root, "again.html"), "utf8")).toBe(readFileSync(join(run, "rounds.html"), "utf8"));
    referenceRun = run;
  });

  it("loads each round's checkpoint as a LoRA adapter on one running server and requests it by name, to the same figures", async () => {
    const server = await startPolicyServer(START_CHECKPOINT, { VERDICT_DATA_DIR: DATA });
    try {
      const config = join(root, "lora.yaml");
      writeLoopConfig(config, { rounds: 3, port: server.port, serve: "lora" });
      const run = join(root, "lora");
      const result = await runVerdict(["selfplay", config, "--out", run, "--json"], env("cache-lora"));
      expect(result.code, result.stderr).toBe(0);
      expectHandFigures(run, (round) => (round === 0 ? "policy" : `learned-round-${round}`));
      const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toEqual(["policy", "learned-round-1", "learned-round-2", "learned-round-3"]);
      // Round 2's search asked round 1's adapter, its evaluation round 2's.
      expect(phaseRecord(run, 2, "search").details).toMatchObject({ served: { model: "learned-round-1" } });
      expect(phaseRecord(run, 2, "evaluate").details).toMatchObject({ served: { model: "learned-round-2" } });
    } finally {
      await server.stop();
    }
  });

  it("resumes after SIGKILL in the search, the trainer, the serving and the evaluation to the same rounds.json", async () => {
    expect(referenceRun, "the first test's run").not.toBe("");
    const port = await freePort();
    const config = join(root, "killed.yaml");
    writeLoopConfig(config, { rounds: 3, port, serve: "restart", delayMs: 40, startupDelayMs: 1000 });
    const run = join(root, "killed");
    runs.push(run);
    const status = (round: number, phase: string): string | undefined => (existsSync(join(run, `round-${round}`, phase, "phase.json")) ? phaseRecord(run, round, phase).status : undefined);
    const nodes = (round: number): number => {
      const log = join(run, `round-${round}`, "search", "policy", "nodes.jsonl");
      return existsSync(log) ? readFileSync(log, "utf8").split("\n").length - 1 : 0;
    };
    const kill = async (args: string[], extra: Record<string, string>, until: () => boolean, what: string): Promise<void> => {
      const child = spawnVerdict(args, env("cache-killed", extra));
      await waitUntil(until, 90_000, what);
      child.child.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
    };
    await kill(["selfplay", config, "--out", run], {}, () => nodes(1) >= 4, "round 1's search to log some events");
    expect(status(1, "search")).toBe("running");
    await kill(["selfplay", "--resume", run], { TOY_TRAINER_SLEEP_MS: "4000" }, () => status(1, "train") === "running" && readFileSync(join(run, "round-1", "train", "trainer.log"), "utf8").includes("pairs for good"), "round 1's trainer to run");
    await kill(["selfplay", "--resume", run], {}, () => status(2, "serve") === "running", "round 2's server to start");
    // The server the killed loop was starting is adopted by the resume when it serves the right checkpoint, else replaced.
    await kill(["selfplay", "--resume", run], {}, () => existsSync(join(run, "round-2", "evaluate", "policy", "vanilla", "pass1", "generations.jsonl")), "round 2's evaluation to generate");
    expect(status(2, "evaluate")).toBe("running");
    const resumed = await runVerdict(["selfplay", "--resume", run], env("cache-killed"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(comparableRounds(run)).toEqual(comparableRounds(referenceRun));
    expectComplete(run);
    expect(phaseRecord(run, 1, "search")).toMatchObject({ attempts: 2 });
    expect(phaseRecord(run, 1, "train")).toMatchObject({ attempts: 2 });
    expect(phaseRecord(run, 2, "serve")).toMatchObject({ attempts: 2 });
    expect(phaseRecord(run, 2, "evaluate")).toMatchObject({ attempts: 2 });
    expect(phaseRecord(run, 0, "evaluate")).toMatchObject({ attempts: 1 });
    for (const dir of ["round-1/search", "round-2/evaluate"]) expect(await leftovers(docker, join(run, dir))).toEqual([]);
  });

  it("generates the tests in round 1 (resumed after SIGKILL) and rewards every round's search on them (the paper's fixed TCG)", async () => {
    const tcg = await startOpenAITestServer(tcgResponder(150));
    const port = await freePort();
    const config = join(root, "tcg.yaml");
    writeLoopConfig(config, { rounds: 2, port, serve: "restart", tcg: tcg.baseUrl });
    const run = join(root, "tcg");
    runs.push(run);
    const answered = join(run, "round-1", "tcg", "requests.jsonl");
    let before: string;
    try {
      const child = spawnVerdict(["selfplay", config, "--out", run], env("cache-tcg"));
      await waitUntil(() => existsSync(answered) && readFileSync(answered, "utf8").split("\n").length > 3, 90_000, "the TCG to answer some requests");
      child.child.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
      before = readFileSync(answered, "utf8");
      const result = await runVerdict(["selfplay", "--resume", run], env("cache-tcg"));
      expect(result.code, result.stderr).toBe(0);
    } finally {
      await tcg.close();
    }
    // No answered request is asked again; round 2 asks none (it reuses round 1's tests).
    const after = readFileSync(answered, "utf8");
    expect(after.startsWith(before.slice(0, before.lastIndexOf("\n") + 1))).toBe(true);
    expect(after.trim().split("\n")).toHaveLength(8);
    expect(phaseRecord(run, 1, "tcg")).toMatchObject({ status: "complete", attempts: 2 });
    expect(existsSync(join(run, "round-2", "tcg"))).toBe(false);
    const tests = `tcg:${join(run, "round-1", "tcg")}`;
    for (const round of [1, 2]) expect(phaseRecord(run, round, "search").details).toMatchObject({ tests, solved: 4 });
    expect(phaseRecord(run, 1, "tcg").details).toMatchObject({ tasks: 4, model_calls: 8 });
    const validity = { value: HAND_COUNTS.byValidity.valid / HAND_COUNTS.cases };
    const { rounds } = readRounds(run);
    expect(rounds.map((r) => (r.tcg_validity as { value: number } | null)?.value ?? null)).toEqual([null, validity.value, validity.value]);
    expect(rounds.map((r) => (r.evaluation as { vanilla: { pass1: { value: number } } }).vanilla.pass1.value)).toEqual([0.25, 0.5, 0.75]);
  });

  it("stops when the policy server dies mid-search, keeps what the search found, and resumes once the server is back", async () => {
    let server = await startPolicyServer(START_CHECKPOINT, { VERDICT_DATA_DIR: DATA }, 0, 60);
    const port = server.port;
    const config = join(root, "dying.yaml");
    writeLoopConfig(config, { rounds: 1, port, serve: "lora" });
    const run = join(root, "dying");
    try {
      const child = spawnVerdict(["selfplay", config, "--out", run], env("cache-dying"));
      const log = join(run, "round-1", "search", "policy", "nodes.jsonl");
      await waitUntil(() => existsSync(log) && readFileSync(log, "utf8").split("\n").length > 3, 90_000, "round 1's search to log some events");
      await server.stop();
      const { code } = await child.exited;
      expect(code, child.stderr()).toBe(2);
      expect(child.stderr()).toContain("the search of round 1 is incomplete");
      expect(child.stderr()).toContain(`continue with: verdict selfplay --resume ${run}`);
      expect(phaseRecord(run, 1, "search")).toMatchObject({ status: "failed" });
      const logged = readFileSync(log, "utf8");
      server = await startPolicyServer(START_CHECKPOINT, { VERDICT_DATA_DIR: DATA }, port);
      const resumed = await runVerdict(["selfplay", "--resume", run], env("cache-dying"));
      expect(resumed.code, resumed.stderr).toBe(0);
      // Nothing the search logged before the server died is asked again or lost.
      expect(readFileSync(log, "utf8").startsWith(logged)).toBe(true);
      expect(phaseRecord(run, 1, "search")).toMatchObject({ status: "complete", attempts: 2, details: { solved: 4 } });
      expect(readRounds(run).rounds.map((r) => (r.evaluation as { vanilla: { pass1: { value: number } } }).vanilla.pass1.value)).toEqual([0.25, 0.5]);
    } finally {
      await server.stop();
    }
  });

  it("stops on SIGINT: the phase marked interrupted, the server stopped, no container left, and the command that continues it", async () => {
    const port = await freePort();
    const config = join(root, "interrupted.yaml");
    writeLoopConfig(config, { rounds: 1, port, serve: "restart", delayMs: 60 });
    const run = join(root, "interrupted");
    runs.push(run);
    const child = spawnVerdict(["selfplay", config, "--out", run], env("cache-interrupted"));
    const log = join(run, "round-1", "search", "policy", "nodes.jsonl");
    await waitUntil(() => existsSync(log) && readFileSync(log, "utf8").split("\n").length > 3, 90_000, "round 1's search to log some events");
    const server = JSON.parse(readFileSync(join(run, "server.json"), "utf8")) as { pid: number };
    child.child.kill("SIGINT");
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(130);
    expect(child.stderr()).toContain("interrupted by SIGINT");
    expect(child.stderr()).toContain(`continue with: verdict selfplay --resume ${run}`);
    expect(JSON.parse(readFileSync(join(run, "selfplay.json"), "utf8"))).toMatchObject({ status: "interrupted" });
    expect(phaseRecord(run, 1, "search")).toMatchObject({ status: "interrupted" });
    expect(alive(server.pid)).toBe(false);
    expect(await leftovers(docker, join(run, "round-1", "search"))).toEqual([]);
    const resumed = await runVerdict(["selfplay", "--resume", run], env("cache-interrupted"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(phaseRecord(run, 1, "search")).toMatchObject({ status: "complete", attempts: 2 });
    expect(readRounds(run).rounds.map((r) => (r.evaluation as { vanilla: { pass1: { value: number } } }).vanilla.pass1.value)).toEqual([0.25, 0.5]);
  });

  it("stops on a failing trainer with its exit code and log, keeps every finished phase, and resumes once it is fixed", async () => {
    const port = await freePort();
    const config = join(root, "failing.yaml");
    writeLoopConfig(config, { rounds: 1, port, serve: "restart" });
    const run = join(root, "failing");
    runs.push(run);
    const failed = await runVerdict(["selfplay", config, "--out", run], env("cache-failing", { TOY_TRAINER_FAIL: "1" }));
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("the trainer of round 1 exited with code 3");
    expect(failed.stderr).toContain("RuntimeError: CUDA out of memory (scripted failure)");
    expect(failed.stderr).toContain(`continue with: verdict selfplay --resume ${run}`);
    expect(phaseRecord(run, 1, "train")).toMatchObject({ status: "failed", details: { exit_code: 3 } });
    expect(phaseRecord(run, 1, "search")).toMatchObject({ status: "complete" });
    expect(JSON.parse(readFileSync(join(run, "selfplay.json"), "utf8"))).toMatchObject({ status: "failed" });
    expect(readRounds(run).rounds[1]).toMatchObject({ complete: false, trainer: { exit_code: 3 } });
    expect(existsSync(join(run, "server.json"))).toBe(false);

    const resumed = await runVerdict(["selfplay", "--resume", run], env("cache-failing"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(phaseRecord(run, 1, "search")).toMatchObject({ attempts: 1 });
    expect(phaseRecord(run, 1, "train")).toMatchObject({ status: "complete", attempts: 2, details: { exit_code: 0 } });
    expect(readRounds(run).rounds.map((r) => (r.evaluation as { vanilla: { pass1: { value: number } } }).vanilla.pass1.value)).toEqual([0.25, 0.5]);
  });

  it("stops when the server never becomes healthy, naming the health URL and the server's last output, with no process left", async () => {
    const port = await freePort();
    const config = join(root, "unhealthy.yaml");
    const marker = join(root, "unhealthy.pid");
    writeLoopConfig(config, { rounds: 1, port, serve: { command: `echo $$ > ${marker}; echo loading weights from {checkpoint}; exec sleep 60`, health_url: `http://127.0.0.1:${port}/v1/models`, timeout_s: 2 } });
    const run = join(root, "unhealthy");
    runs.push(run);
    const result = await runVerdict(["selfplay", config, "--out", run], env("cache-unhealthy"));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`did not answer http://127.0.0.1:${port}/v1/models within 2 s`);
    expect(result.stderr).toContain(`loading weights from ${START_CHECKPOINT}`);
    expect(phaseRecord(run, 0, "serve")).toMatchObject({ status: "failed" });
    expect(alive(Number(readFileSync(marker, "utf8").trim()))).toBe(false);
  });

  it("refuses a bad config with the field and its line, and prints the JSON Schema of its config as committed", async () => {
    const config = join(root, "bad.yaml");
    writeLoopConfig(config, { rounds: 1, port: 1, serve: "lora" });
    const text = readFileSync(config, "utf8").replace("rounds: 1", "rounds: 0");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(config, text);
    const bad = await runVerdict(["selfplay", config], env("cache-bad"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid selfplay config: rounds \(line 2\): /);
    const schema = await runVerdict(["schema", "selfplay-config"]);
    expect(schema.stdout).toBe(schemaText("selfplay-config"));
    expect(readFileSync(join(REPO, "benchmarks", "selfplay-config.schema.json"), "utf8")).toBe(schemaText("selfplay-config"));
  });
});
