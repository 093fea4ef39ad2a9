/**
 * Crash-safe resume, end to end: the built CLI is run as a child process and stopped mid-run
 * by SIGKILL, SIGINT or SIGTERM; `verdict eval --resume <run-dir>` must then finish the run with
 * every sample judged exactly once, the verdicts written before the stop untouched, and nothing
 * left behind. Real containers throughout.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_FILES } from "../../src/runner/results-store.js";
import {
  checkVerdicts,
  leftovers,
  manifestStatus,
  runVerdict,
  spawnVerdict,
  verdictLines,
  waitUntil,
  writeEvalFixture,
  type EvalFixture,
  startEvalTests,
} from "../helpers/eval-run.js";

const SAMPLES = 32;
/** Each sample sleeps this long: 32 samples on 2 workers take ~3 s, time enough to be stopped. */
const NAP_S = 0.15;
/** Verdict lines written before the run is stopped. */
const STOP_AFTER = 6;

let docker: Docker;
let root: string;

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-resume-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
/** A fixture, a run directory and a private temp directory for one test. */
function setup(): { fixture: EvalFixture; runDir: string; tmp: string; env: Record<string, string> } {
  const dir = join(root, `case-${++seq}`);
  const tmp = join(dir, "tmp");
  mkdirSync(tmp, { recursive: true });
  return { fixture: writeEvalFixture(dir, SAMPLES, NAP_S), runDir: join(dir, "run"), tmp, env: { TMPDIR: tmp } };
}

/** Starts `verdict eval` and sends `signal` once STOP_AFTER verdicts are on disk. */
async function startAndStop(s: ReturnType<typeof setup>, signal: NodeJS.Signals) {
  const run = spawnVerdict(
    ["eval", "--benchmark", s.fixture.benchmark, "--samples", s.fixture.samples, "--out", s.runDir, "--workers", "2", "--json"],
    s.env,
  );
  await waitUntil(() => verdictLines(s.runDir).verdicts.length >= STOP_AFTER, 60_000, `${STOP_AFTER} verdicts`).catch((err: Error) => {
    run.child.kill("SIGKILL");
    throw new Error(`${err.message}; stderr: ${run.stderr()}`);
  });
  run.child.kill(signal);
  const exit = await run.exited;
  return { exit, stderr: run.stderr(), before: verdictLines(s.runDir).text };
}

describe("verdict eval stopped mid-run, then --resume", () => {
  it("SIGKILL: the resume removes what the killed process left and judges only what is missing", async () => {
    const s = setup();
    const { exit, before } = await startAndStop(s, "SIGKILL");
    expect(exit.signal).toBe("SIGKILL");
    const judged = before.split("\n").filter(Boolean).length;
    expect(judged).toBeGreaterThanOrEqual(STOP_AFTER);
    expect(judged).toBeLessThan(SAMPLES);
    // Nothing could clean up: the manifest still says running, the pool and the lock are left.
    expect(manifestStatus(s.runDir)).toBe("running");
    const left = await leftovers(docker, s.runDir);
    expect(left.some((l) => l.startsWith("container "))).toBe(true);
    expect(left).toContain(`run dir ${RUN_FILES.lock}`);

    const resumed = await runVerdict(["eval", "--resume", s.runDir, "--json"], s.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resume: removed \d+ container\(s\) the interrupted run left behind/);
    expect(resumed.stderr).toMatch(new RegExp(`resume: (${judged}|${judged + 1}) of ${SAMPLES} samples already judged`));
    expect(JSON.parse(resumed.stdout)).toMatchObject({ samples: SAMPLES });
    expect(checkVerdicts(s.runDir, s.fixture.expected)).toEqual([]);
    // The verdicts written before the kill are still there, byte for byte, in front.
    expect(verdictLines(s.runDir).text.startsWith(before)).toBe(true);
    expect(manifestStatus(s.runDir)).toBe("complete");
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  });

  it.each<NodeJS.Signals>(["SIGINT", "SIGTERM"])("%s: stops cleanly (containers removed, manifest interrupted), and the resume completes", async (signal) => {
    const s = setup();
    const { exit, stderr, before } = await startAndStop(s, signal);
    expect(exit.code).toBe(128 + constants.signals[signal]);
    const judged = before.split("\n").filter(Boolean).length;
    expect(judged).toBeLessThan(SAMPLES);
    expect(stderr).toContain(`verdict: ${signal}: stopping the run`);
    expect(stderr).toContain(
      `verdict: interrupted by ${signal}: ${judged} of ${SAMPLES} samples are judged and saved in ${s.runDir}; continue with: verdict eval --resume ${s.runDir}`,
    );
    expect(manifestStatus(s.runDir)).toBe("interrupted");
    // Every line on disk is whole: the stop never tears one.
    expect(readFileSync(join(s.runDir, RUN_FILES.verdicts), "utf8")).toBe(before);
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);

    const resumed = await runVerdict(["eval", "--resume", s.runDir, "--json"], s.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resume: ${judged} of ${SAMPLES} samples already judged`);
    expect(checkVerdicts(s.runDir, s.fixture.expected)).toEqual([]);
    expect(verdictLines(s.runDir).text.startsWith(before)).toBe(true);
    expect(manifestStatus(s.runDir)).toBe("complete");
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  });

  it("repairs a torn last line, refuses a corrupt one naming it, and refuses changed settings", async () => {
    const s = setup();
    await startAndStop(s, "SIGKILL");
    const path = join(s.runDir, RUN_FILES.verdicts);
    const whole = verdictLines(s.runDir);

    // A corrupt line in the middle: an error naming file and line, and nothing is touched.
    const lines = whole.text.split("\n").filter(Boolean);
    const corrupt = [...lines.slice(0, 2), lines[2]!.slice(0, 25), ...lines.slice(3)].join("\n") + "\n";
    writeFileSync(path, corrupt);
    const refused = await runVerdict(["eval", "--resume", s.runDir], s.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`verdict: ${path}:3: corrupt verdict line (not JSON`);
    expect(readFileSync(path, "utf8")).toBe(corrupt);

    // A setting that would change what the run judges.
    writeFileSync(path, whole.text);
    const changed = await runVerdict(["eval", "--resume", s.runDir, "--timeout", "9"], s.env);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain("--timeout 9 differs from the run being resumed (4)");

    // A samples file edited since the run started: its verdicts would no longer be its own.
    const original = readFileSync(s.fixture.samples, "utf8");
    writeFileSync(s.fixture.samples, original.replace("return a + b", "return b + a"));
    const edited = await runVerdict(["eval", "--resume", s.runDir], s.env);
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain("cannot resume: the samples file (sha256) differs from the interrupted run's");
    writeFileSync(s.fixture.samples, original);

    // A torn last line (a kill mid-write): cut off, and its sample judged again.
    const torn = JSON.stringify(whole.verdicts[0]).slice(0, 40);
    writeFileSync(path, whole.text + torn);
    const resumed = await runVerdict(["eval", "--resume", s.runDir, "--json"], s.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resume: cut off a torn last line of verdicts.jsonl (${torn.length} bytes)`);
    expect(checkVerdicts(s.runDir, s.fixture.expected)).toEqual([]);
    expect(verdictLines(s.runDir).text.startsWith(whole.text)).toBe(true);
    expect(await leftovers(docker, s.runDir, s.tmp)).toEqual([]);
  });
});
