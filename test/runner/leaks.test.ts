/**
 * Nothing of verdict's outlives a run: after a run that completes (both isolation modes), one
 * that fails mid-way, one interrupted before judging began, and one SIGKILLed and then pruned,
 * no container, network, volume, process or temp file of that run is left. Real containers,
 * the built CLI as a child process.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLabel } from "../../src/pipelines/eval-options.js";
import { RUN_FILES } from "../../src/runner/results-store.js";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { pruneSandbox } from "../../src/sandbox/image.js";
import { runSoak, soakPassed } from "../../src/pipelines/soak.js";
import { formatSoakReport } from "../../src/report/soak-report.js";
import {
  checkVerdicts,
  leftovers,
  manifestStatus,
  napPolicy,
  runStatuses,
  runVerdict,
  runVerdictCount,
  spawnVerdict,
  verdictLines,
  waitUntil,
  writeEvalFixture,
  writeRunConfig,
  type EvalFixture,
  startEvalTests,
} from "../helpers/eval-run.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

let docker: Docker;
let root: string;

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-leaks-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
function setup(samples: number, nap: number): { dir: string; fixture: EvalFixture; runDir: string; tmp: string; env: Record<string, string> } {
  const dir = join(root, `case-${++seq}`);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  return { dir, fixture: writeEvalFixture(dir, samples, nap), runDir: join(dir, "run"), tmp, env: { TMPDIR: tmp } };
}

const evalArgs = (s: ReturnType<typeof setup>, ...extra: string[]): string[] => [
  "eval",
  "--benchmark",
  s.fixture.benchmark,
  "--samples",
  s.fixture.samples,
  "--out",
  s.runDir,
  "--workers",
  "2",
  ...extra,
];

/** Containers of a run, running or not. */
async function containersOf(runDir: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runLabel(runDir)}`] } });
}

describe("what a run leaves behind", () => {
  it.each(["pool", "fresh"])("a complete run (%s): nothing", async (isolation) => {
    const s = setup(8, 0.01);
    const r = await runVerdict(evalArgs(s, "--isolation", isolation), s.env);
    expect(r.code, r.stderr).toBe(0);
    expect(checkVerdicts(s.runDir, s.fixture.expected)).toEqual([]);
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)("a run that fails mid-way (its results disk fills up): nothing", async () => {
    const s = setup(120, 0.01);
    const mnt = join(s.dir, "disk");
    mkdirSync(mnt);
    // 24 KiB: the options, the manifest, the lock and a page or two of verdicts.
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=24k", "tmpfs", mnt]).status).toBe(0);
    try {
      const runDir = join(mnt, "run");
      const r = await runVerdict(
        ["eval", "--benchmark", s.fixture.benchmark, "--samples", s.fixture.samples, "--out", runDir, "--workers", "2"],
        s.env,
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("verdict: the results disk is full");
      expect(verdictLines(runDir).verdicts.length).toBeLessThan(120);
      expect(await leftovers(docker, runDir, s.tmp)).toEqual([]);
    } finally {
      spawnSync("umount", ["-l", mnt]);
    }
  });

  it("a run interrupted while its first containers start (computing expected values): nothing", async () => {
    const s = setup(8, 0.01);
    // --no-cache: the expected values are computed afresh, in a reference pool of the run's own.
    const run = spawnVerdict(evalArgs(s, "--no-cache"), s.env);
    const deadline = Date.now() + 60_000;
    while ((await containersOf(s.runDir)).length === 0) {
      if (Date.now() > deadline) {
        run.child.kill("SIGKILL");
        throw new Error(`no container of the run appeared; stderr: ${run.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    run.child.kill("SIGINT");
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(130);
    expect(run.stderr()).toContain("verdict: interrupted by SIGINT");
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  });

  it("a SIGKILLed run: its containers stay until pruned, then nothing", async () => {
    const s = setup(24, 0.15);
    const run = spawnVerdict(evalArgs(s), s.env);
    await waitUntil(() => verdictLines(s.runDir).verdicts.length >= 3, 60_000, "3 verdicts");
    run.child.kill("SIGKILL");
    await run.exited;
    expect(manifestStatus(s.runDir)).toBe("running");
    expect((await containersOf(s.runDir)).length).toBeGreaterThan(0);
    // What `verdict sandbox prune` does, scoped to this run's label (other runs may share the engine).
    const pruned = await pruneSandbox(docker, { labels: { [RUN_LABEL]: runLabel(s.runDir) } });
    expect(pruned.failures).toEqual([]);
    expect(pruned.containers).toBeGreaterThan(0);
    // Only the killed process's lock is left; a resume takes it over.
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([`run dir ${RUN_FILES.lock}`]);
  });

  it("a soak in miniature (2 × 500 benign and hostile jobs through one pool): no leaks, no flips, no wrong verdict", async () => {
    const report = await runSoak({ jobs: 1000, workers: 2, docker });
    expect(report.jobs).toBe(1000);
    expect(report.left).toEqual({ containers: 0, sandboxProcesses: 0, hostProcesses: 0, tempEntries: 0 });
    expect(report.unexpected).toEqual({ count: 0, examples: [] });
    expect(report.flips.other).toBe(0);
    expect(report.outcomes.sandbox_error).toBeUndefined();
    // The mix really is mixed: hostile programs got their hostile outcomes.
    for (const o of ["pass", "wrong_answer", "runtime_error", "syntax_error", "memory_exceeded", "output_limit", "unserializable"] as const) {
      expect(report.outcomes[o], o).toBeGreaterThan(0);
    }
    expect(soakPassed(report), formatSoakReport(report)).toBe(true);
  });
});

/*
 * `verdict run` and `verdict table1` stop as `eval` does: one mechanism (withInterrupts in
 * src/runner/cleanup.ts) for every command that opens a judging session. A scripted model
 * server answers with programs that nap, so the run can be hit while it judges.
 */
describe("interrupting verdict run and verdict table1", () => {
  let server: OpenAITestServer;
  beforeAll(async () => {
    server = await startOpenAITestServer(napPolicy(0.4));
  });
  afterAll(async () => {
    await server?.close();
  });

  function runSetup(): { runDir: string; config: string; tmp: string; env: Record<string, string> } {
    const dir = join(root, `run-${++seq}`);
    const tmp = join(dir, "tmp");
    mkdirSync(tmp, { recursive: true });
    const { config } = writeRunConfig(dir, server.baseUrl);
    // A cache of its own: no answer, expected value or verdict of another case is reused.
    return { runDir: join(dir, "run"), config, tmp, env: { TMPDIR: tmp, VERDICT_CACHE_DIR: join(dir, "cache") } };
  }
  const locks = (runDir: string): string[] => readdirSync(runDir, { recursive: true, encoding: "utf8" }).filter((e) => e.endsWith(RUN_FILES.lock));

  it.each([
    ["run", "SIGINT", 130],
    ["table1", "SIGTERM", 143],
  ] as const)("verdict %s stopped by %s: containers removed, run and cells marked interrupted, the resume command said; the resume finishes it", async (command, signal, code) => {
    const s = runSetup();
    const run = spawnVerdict([command, s.config, "--out", s.runDir], s.env);
    await waitUntil(() => runVerdictCount(s.runDir) >= 2, 120_000, "2 verdicts");
    expect((await containersOf(s.runDir)).length).toBeGreaterThan(0);
    run.child.kill(signal);
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(code);
    const stderr = run.stderr();
    expect(stderr).toMatch(new RegExp(`\\nverdict: interrupted by ${signal}: \\d+ samples generated and \\d+ verdicts are saved in ${s.runDir}; continue with: verdict ${command} ${s.config} --resume ${s.runDir}\\n`));
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
    expect(locks(s.runDir)).toEqual([]);
    const statuses = runStatuses(s.runDir);
    expect(statuses["run.json"]).toBe("interrupted");
    expect(Object.values(statuses)).not.toContain("running");

    const resumed = await runVerdict([command, s.config, "--resume", s.runDir, "--json"], s.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(runVerdictCount(s.runDir)).toBe(20);
    expect(Object.values(runStatuses(s.runDir)).every((st) => st === "complete")).toBe(true);
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  }, 300_000);

  it("verdict run SIGKILLed: its containers stay until --resume removes them and finishes the run", async () => {
    const s = runSetup();
    const run = spawnVerdict(["run", s.config, "--out", s.runDir], s.env);
    await waitUntil(() => runVerdictCount(s.runDir) >= 2, 120_000, "2 verdicts");
    run.child.kill("SIGKILL");
    await run.exited;
    const left = (await containersOf(s.runDir)).length;
    expect(left).toBeGreaterThan(0);
    const resumed = await runVerdict(["run", s.config, "--resume", s.runDir, "--json"], s.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resume: removed \d+ container\(s\) the interrupted run left behind/);
    expect(runVerdictCount(s.runDir)).toBe(20);
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
    expect(locks(s.runDir)).toEqual([]);
  }, 300_000);
});
