/**
 * Infrastructure faults in the middle of a real run: a pool container killed with `docker kill`,
 * the results disk filling up (a real tmpfs), and the Docker engine itself restarted. Each run
 * must end with correct verdicts (or a clear error and a run that resumes), never with a fault
 * turned into a verdict, and must leave nothing behind.
 *
 * The engine restart is slow (dockerd stops every container, waiting for each) and stops
 * whatever else uses the engine; VERDICT_SKIP_SLOW=1 skips it. It runs by default, in CI too.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statfsSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { runEval } from "../../src/pipelines/eval.js";
import { runLabel } from "../../src/pipelines/eval-options.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { RUN_FILES } from "../../src/runner/results-store.js";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { pruneSandbox } from "../../src/sandbox/image.js";
import {
  checkVerdicts,
  leftovers,
  manifestStatus,
  REPO,
  runVerdict,
  spawnVerdict,
  verdictLines,
  waitUntil,
  writeEvalFixture,
  startEvalTests,
} from "../helpers/eval-run.js";

let docker: Docker;
let root: string;

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-faults-test-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let seq = 0;
const caseDir = (): string => {
  const dir = join(root, `case-${++seq}`);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  return dir;
};

/** The candidate pool's running containers of a run (the reference pool is closed before it starts). */
async function candidateContainers(runDir: string): Promise<Docker.ContainerInfo[]> {
  const all = await docker.listContainers({ filters: { label: [`${RUN_LABEL}=${runLabel(runDir)}`] } });
  return all.filter((c) => c.Labels["verdict.role"] !== "reference");
}

describe("faults during a run", () => {
  it("docker kill of a pool container mid-run: its job runs again in a new container, and every verdict is right", async () => {
    const dir = caseDir();
    const fixture = writeEvalFixture(dir, 24, 0.3);
    const runDir = join(dir, "run");
    const run = runEval({
      benchmark: fixture.benchmark,
      split: "all",
      samples: fixture.samples,
      isolation: "pool",
      workers: 2,
      k: [1],
      outDir: runDir,
      resultsDir: dir,
      noCache: false,
      limits: DEFAULT_LIMITS,
      hashSeed: 0,
      progress: false,
    });
    run.catch(() => undefined);
    await waitUntil(() => verdictLines(runDir).verdicts.length >= 3, 60_000, "3 verdicts");
    // Both containers are always busy (each job naps 0.3 s, twice as many in flight as workers).
    const before = await candidateContainers(runDir);
    expect(before).toHaveLength(2);
    const victim = before[0]!;
    await docker.getContainer(victim.Id).kill();
    // Its replacement: a container of the run that was not there before.
    let replacement: string | undefined;
    const poll = async (): Promise<void> => {
      while (replacement === undefined) {
        const now = await candidateContainers(runDir);
        replacement = now.find((c) => !before.some((b) => b.Id === c.Id))?.Id;
        if (replacement === undefined) await new Promise((r) => setTimeout(r, 50));
      }
    };
    await Promise.race([poll(), new Promise((r) => setTimeout(r, 30_000))]);
    expect(replacement, "a new container replaced the killed one").toBeDefined();

    const result = await run;
    expect(result.verdicts).toHaveLength(24);
    expect(result.verdicts.filter((v) => v.status === "sandbox_error")).toEqual([]);
    expect(checkVerdicts(runDir, fixture.expected)).toEqual([]);
    expect(manifestStatus(runDir)).toBe("complete");
    expect(await leftovers(docker, runDir, join(dir, "tmp"))).toEqual([]);
  });
});

// Mounting a tmpfs needs root; CI runs as root, as the Docker tests need.
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("the results disk fills up mid-run (a real tmpfs)", () => {
  it("stops with a clear error, keeps every written line whole, and resumes once space is freed", async () => {
    const dir = caseDir();
    const fixture = writeEvalFixture(dir, 120, 0.01);
    const mnt = join(dir, "disk");
    mkdirSync(mnt);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt], { encoding: "utf8" });
    expect(mounted.status, mounted.stderr).toBe(0);
    try {
      // Leave 6 pages: the options file, the manifest (twice, while it is replaced), the lock,
      // and room for some 25 verdict lines before the disk is full.
      const filler = join(mnt, "filler");
      const free = statfsSync(mnt).bavail * statfsSync(mnt).bsize;
      const fd = openSync(filler, "w");
      writeSync(fd, Buffer.alloc(free - 6 * 4096));
      closeSync(fd);
      const runDir = join(mnt, "run");
      const env = { TMPDIR: join(dir, "tmp") };
      const args = ["eval", "--benchmark", fixture.benchmark, "--samples", fixture.samples, "--out", runDir, "--workers", "2"];
      const failed = await runVerdict(args, env);
      expect(failed.code, failed.stderr).toBe(2);
      const path = join(runDir, RUN_FILES.verdicts);
      const written = verdictLines(runDir).verdicts.length;
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(120);
      // Whichever of the run's append-only files hit the full disk first is named.
      const full = [path, join(runDir, RUN_FILES.samples)].map((p) => `verdict: the results disk is full: cannot write ${p} (ENOSPC`);
      expect(full.some((line) => failed.stderr.includes(line)), failed.stderr).toBe(true);
      expect(failed.stderr).toContain(
        `${written} of 120 samples are judged and saved in ${runDir}; continue with: verdict eval --resume ${runDir}`,
      );
      // No torn or corrupt line: the file ends on a newline and every line is a verdict.
      const text = readFileSync(path, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      for (const line of text.split("\n").filter(Boolean)) expect((JSON.parse(line) as SampleVerdict).task_id).toMatch(/^[12]$/);
      expect(await leftovers(docker, runDir, env.TMPDIR)).toEqual([]);
      expect(readdirSync(runDir).filter((f) => f.includes(".tmp-"))).toEqual([]);

      unlinkSync(filler);
      const resumed = await runVerdict(["eval", "--resume", runDir, "--json"], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(readFileSync(path, "utf8").startsWith(text)).toBe(true);
      expect(checkVerdicts(runDir, fixture.expected)).toEqual([]);
      expect(manifestStatus(runDir)).toBe("complete");
      expect(await leftovers(docker, runDir, env.TMPDIR)).toEqual([]);
    } finally {
      spawnSync("umount", ["-l", mnt]);
    }
  });
});

/** The pid of the local dockerd, when this machine runs one we can see. */
function dockerdPid(): number | undefined {
  // The default engine's pidfile: a scan for any process named dockerd would also find the extra
  // engines other tests start (each with a pidfile of its own), and kill the wrong one.
  let pid: number;
  try {
    pid = Number(readFileSync("/var/run/docker.pid", "utf8").trim());
  } catch {
    return undefined;
  }
  try {
    return Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "dockerd" ? pid : undefined;
  } catch {
    // The process has ended.
    return undefined;
  }
}

/** Starts the engine the way this project does (scripts/ensure-docker.sh) and waits until it answers. */
function ensureDocker(): { status: number | null; output: string } {
  const r = spawnSync("bash", [join(REPO, "scripts", "ensure-docker.sh")], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// Where systemd runs dockerd it would restart it on its own; this test restarts the engine by hand.
const canRestartEngine =
  process.env.VERDICT_SKIP_SLOW !== "1" && isRoot && dockerdPid() !== undefined && !existsSync("/run/systemd/system");

describe.skipIf(!canRestartEngine)("the Docker engine dies and is restarted mid-run (slow; VERDICT_SKIP_SLOW=1 skips it)", () => {
  it("waits for the engine, carries on in new containers, and completes with every verdict right", async () => {
    const dir = caseDir();
    const fixture = writeEvalFixture(dir, 40, 0.2);
    const runDir = join(dir, "run");
    const env = { TMPDIR: join(dir, "tmp") };
    const run = spawnVerdict(
      ["eval", "--benchmark", fixture.benchmark, "--samples", fixture.samples, "--out", runDir, "--workers", "2", "--engine-wait", "120", "--json"],
      env,
    );
    try {
      await waitUntil(() => verdictLines(runDir).verdicts.length >= 5, 60_000, "5 verdicts");
      const pid = dockerdPid();
      expect(pid).toBeDefined();
      // A crash, not a polite stop: a stopping dockerd lets running containers finish for up to
      // its shutdown timeout, so a short run might not notice; a dead one cuts every stream now.
      process.kill(pid!, "SIGKILL");
      // Gone and reaped: scripts/ensure-docker.sh starts no second dockerd while one is listed.
      await waitUntil(() => dockerdPid() === undefined, 60_000, "dockerd to be gone");
      await waitUntil(() => run.stderr().includes("stopped answering"), 30_000, "the run to notice the engine is gone");
      const judgedWhileDown = verdictLines(runDir).verdicts.length;
      expect(judgedWhileDown).toBeLessThan(40);
      const started = ensureDocker();
      expect(started.status, started.output).toBe(0);
      const exit = await run.exited;
      expect(exit.code, run.stderr()).toBe(0);
      expect(run.stderr()).toMatch(/the Docker engine at \S+ stopped answering; waiting up to 120 s for it to come back/);
      expect(run.stderr()).toMatch(/the Docker engine is back after [\d.]+ s; carrying on/);
      // No job the outage hit became a sandbox_error (or any other wrong verdict).
      expect(checkVerdicts(runDir, fixture.expected)).toEqual([]);
      expect(manifestStatus(runDir)).toBe("complete");
      expect(await leftovers(docker, runDir, env.TMPDIR)).toEqual([]);
    } finally {
      run.child.kill("SIGKILL");
      // Whatever happened above, the engine runs again for everything after this test.
      if (spawnSync("docker", ["info"], { timeout: 10_000 }).status !== 0) ensureDocker();
      // And a run that failed above leaves nothing of its own behind.
      await pruneSandbox(docker, { labels: { [RUN_LABEL]: runLabel(runDir) } }).catch(() => undefined);
    }
  }, 300_000);

  it("stops with a clear error and a resumable run when the engine stays away past --engine-wait", async () => {
    const dir = caseDir();
    const fixture = writeEvalFixture(dir, 40, 0.2);
    const runDir = join(dir, "run");
    const env = { TMPDIR: join(dir, "tmp") };
    const run = spawnVerdict(
      ["eval", "--benchmark", fixture.benchmark, "--samples", fixture.samples, "--out", runDir, "--workers", "2", "--engine-wait", "3"],
      env,
    );
    try {
      await waitUntil(() => verdictLines(runDir).verdicts.length >= 5, 60_000, "5 verdicts");
      process.kill(dockerdPid()!, "SIGKILL");
      const exit = await run.exited;
      expect(exit.code, run.stderr()).toBe(2);
      const saved = verdictLines(runDir).verdicts;
      expect(saved.length).toBeLessThan(40);
      expect(run.stderr()).toMatch(/verdict: the Docker engine at \S+ stopped answering while job \S+ ran, and did not come back within 3 s/);
      expect(run.stderr()).toContain(
        `${saved.length} of 40 samples are judged and saved in ${runDir}; continue with: verdict eval --resume ${runDir}`,
      );
      expect(manifestStatus(runDir)).toBe("interrupted");
      // The outage reached no verdict: every saved line is a real outcome.
      expect(saved.filter((v) => v.status === "sandbox_error")).toEqual([]);

      await waitUntil(() => dockerdPid() === undefined, 60_000, "dockerd to be gone");
      const started = ensureDocker();
      expect(started.status, started.output).toBe(0);
      const resumed = await runVerdict(["eval", "--resume", runDir], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      // The containers the engine took down with it could not be removed then; the resume does it.
      expect(resumed.stderr).toMatch(/resume: removed \d+ container\(s\) the interrupted run left behind/);
      expect(checkVerdicts(runDir, fixture.expected)).toEqual([]);
      expect(manifestStatus(runDir)).toBe("complete");
      expect(await leftovers(docker, runDir, env.TMPDIR)).toEqual([]);
    } finally {
      run.child.kill("SIGKILL");
      if (spawnSync("docker", ["info"], { timeout: 10_000 }).status !== 0) {
        await waitUntil(() => dockerdPid() === undefined, 60_000, "dockerd to be gone").catch(() => undefined);
        ensureDocker();
      }
      await pruneSandbox(docker, { labels: { [RUN_LABEL]: runLabel(runDir) } }).catch(() => undefined);
    }
  }, 300_000);
});
