/**
 * `verdict bench`'s engines section (README, "Many machines"): trivial jobs/s
 * through one pool over one engine against one pool over three engines of this same machine
 * (extra dockerd instances over unix, TLS and SSH: src/sandbox/local-engines.ts), the same
 * worker count in all, so the ratio is the scheduler's and the transports' cost, not a speedup
 * (the cores are the same); and the pool's jobs/s and MBPP's test split time under gVisor
 * (runsc) against runc on the main engine. Root only; what cannot run here is said, not faked.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type Docker from "dockerode";
import type { EngineStats } from "../core/sandbox.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { loadSamples } from "../judge/samples.js";
import { judgeSamples } from "../runner/judge-samples.js";
import { parseEngineList } from "../sandbox/engine-endpoint.js";
import { connectDocker } from "../sandbox/engine.js";
import { connectEngines } from "../sandbox/engine-connect.js";
import { ensureImageOnEngines } from "../sandbox/image-transfer.js";
import { ensureImage, imageTag } from "../sandbox/image.js";
import { startLocalEngines, type LocalEngineName } from "../sandbox/local-engines.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { JudgingSessionOptions, LocalJudgingSession } from "../session/session-options.js";
import { figure, trivialJobsPerSecond, type Figure } from "./bench-jobs.js";

/** What the engines section measures with. */
export interface EnginesBenchOptions {
  /** Workers of each extra engine in the three-engine pool; the one-engine pools get three times as many. */
  workersPerEngine: number;
  /** Trivial jobs per measurement of the engine pools. */
  trivialJobs: number;
  /** Trivial jobs per measurement of runc and runsc (runsc runs about 20 a second). */
  runtimeJobs: number;
  repeat: number;
  /** MBPP test split scorings under each runtime (each about 5 s under runc, 25 s under runsc). */
  mbppRepeat: number;
  dataDir?: string;
  log: (line: string) => void;
  docker?: Docker;
}

/** The engines section's figures. */
export interface EnginesBenchReport {
  /** Workers of every pool measured (one engine: all of them; three engines: a third each). */
  workers: number;
  /** Why the multi-engine half was not measured (not root, no dockerd, sshd or openssl). */
  engines_skipped?: string;
  trivial_jobs_per_second?: {
    /** The `docker` backend on the main engine: no multi-engine scheduler at all. */
    main_engine: Figure;
    /** The `engines` backend over one extra engine (unix socket). */
    one_engine: Figure;
    /** The `engines` backend over the same three engines, each through its own unix socket. */
    three_engines_unix: Figure;
    /** The `engines` backend over three extra engines (unix, TLS, SSH). */
    three_engines: Figure;
  };
  /** What each of the three engines did over unix, TLS and SSH, all rounds together. */
  per_engine?: Pick<EngineStats, "label" | "workers" | "jobs" | "busy_seconds" | "faults">[];
  /** three_engines_unix / one_engine, the scheduler's cost: the target is at least 0.9 (no more than 10%). */
  three_over_one?: number;
  /** three_engines / one_engine: the scheduler's and the TLS and SSH transports' cost together. */
  transports_over_one?: number;
  /** Why the runtime half was not measured (runsc is not registered with the main engine). */
  runtime_skipped?: string;
  runtime?: {
    trivial_jobs_per_second: { runc: Figure; runsc: Figure };
    /** Seconds to score MBPP's test split (500 reference solutions). */
    mbpp_test_reference_seconds?: { runc: Figure; runsc: Figure; passed: { runc: number; runsc: number } };
    /** runsc / runc jobs/s, and runc / runsc seconds of the MBPP scoring: both < 1 when runsc is slower. */
    runsc_over_runc: { trivial: number; mbpp?: number };
  };
}

/** Measures the engines section; skips (saying why) what this machine cannot run. */
export async function runEnginesBench(o: EnginesBenchOptions): Promise<EnginesBenchReport> {
  const total = o.workersPerEngine * 3;
  const report: EnginesBenchReport = { workers: total };
  const docker = o.docker ?? connectDocker();
  await ensureImage(docker, { log: o.log });
  const skip = extraEnginesMissing();
  if (skip !== undefined) report.engines_skipped = skip;
  else await measureEngines(o, docker, report);
  const runtimes = Object.keys(((await docker.info()) as { Runtimes?: Record<string, unknown> }).Runtimes ?? {});
  if (!runtimes.includes("runsc")) report.runtime_skipped = `runsc is not registered with the main engine (it has ${runtimes.join(", ")}; scripts/ensure-docker.sh --with-runsc)`;
  else report.runtime = await measureRuntimes(o, docker);
  return report;
}

/** One pool to measure: how its session is opened, and how many trivial jobs a round runs. */
interface Contender {
  label: string;
  more: Partial<JudgingSessionOptions>;
  jobs: number;
}

/**
 * Trivial jobs/s of each contender, `repeat` rounds after a warm-up. Every session is open (and
 * warm) at once and the rounds take turns, so a load that comes and goes on this shared machine
 * touches each alike. Returns, per contender, its figure and its engines' counters.
 */
async function interleavedRates(o: EnginesBenchOptions, docker: Docker, contenders: readonly Contender[]): Promise<{ rate: Figure; stats: EngineStats[] }[]> {
  const sessions: LocalJudgingSession[] = [];
  try {
    for (const c of contenders) {
      o.log(`bench: engines: ${c.label} (${c.jobs} trivial jobs x ${o.repeat}, interleaved)`);
      const session = await openJudgingSession({
        resolved: { name: "trivial", split: "all", dataSha256: {}, groups: [], tasks: [] },
        workers: o.workersPerEngine * 3,
        hashSeed: 0,
        memo: false,
        verdictCache: false,
        containerMemoryMb: 1024,
        log: o.log,
        docker,
        ...c.more,
      });
      sessions.push(session);
      await session.warm();
      await trivialJobsPerSecond(session, session.sandbox.workers * 4);
    }
    const runs: number[][] = contenders.map(() => []);
    for (let r = 0; r < o.repeat; r++) {
      for (const [k, session] of sessions.entries()) runs[k]!.push(await trivialJobsPerSecond(session, contenders[k]!.jobs));
    }
    return sessions.map((session, k) => ({ rate: figure(runs[k]!), stats: session.engineStats() ?? [] }));
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/** One engine against three, the same workers in all; the extra engines are removed after. */
async function measureEngines(o: EnginesBenchOptions, docker: Docker, report: EnginesBenchReport): Promise<void> {
  const names: LocalEngineName[] = ["unix", "tls", "ssh"];
  const extra = await startLocalEngines({ only: names });
  try {
    const per = String(o.workersPerEngine);
    const one = parseEngineList([extra.entry("unix", { workers: String(o.workersPerEngine * 3) })], "bench");
    const three = parseEngineList(names.map((n) => extra.entry(n, { workers: per })), "bench");
    // The same three engines, each through its own local socket: the scheduler without the transports.
    const threeUnix = parseEngineList(names.map((n) => `unix://${extra.engines[n]!.socket}?workers=${per}`), "bench");
    // The image copied from the main engine (docker save → load): the same ID everywhere.
    const engines = await connectEngines(three);
    await ensureImageOnEngines([{ docker, label: "main engine" }, ...engines.map((e) => ({ docker: e.docker, label: e.endpoint.label }))], imageTag(), o.log);
    const [main, single, unixes, triple] = await interleavedRates(o, docker, [
      { label: "main engine, docker backend", more: { isolation: "pool" }, jobs: o.trivialJobs },
      { label: "one extra engine (unix)", more: { isolation: "pool", engines: one }, jobs: o.trivialJobs },
      { label: "three extra engines, each over its unix socket", more: { isolation: "pool", engines: threeUnix }, jobs: o.trivialJobs },
      { label: "three extra engines (unix, TLS, SSH)", more: { isolation: "pool", engines: three }, jobs: o.trivialJobs },
    ]);
    report.trivial_jobs_per_second = { main_engine: main!.rate, one_engine: single!.rate, three_engines_unix: unixes!.rate, three_engines: triple!.rate };
    report.per_engine = triple!.stats.map((s) => ({ label: s.label, workers: s.workers, jobs: s.jobs, busy_seconds: s.busy_seconds, faults: s.faults }));
    report.three_over_one = unixes!.rate.median / single!.rate.median;
    report.transports_over_one = triple!.rate.median / single!.rate.median;
  } finally {
    await extra.stop();
  }
}

/** runc against runsc on the main engine: trivial jobs/s, and MBPP's test split scored by its references. */
async function measureRuntimes(o: EnginesBenchOptions, docker: Docker): Promise<NonNullable<EnginesBenchReport["runtime"]>> {
  const [runc, runsc] = await interleavedRates(o, docker, [
    { label: "runc, main engine", more: { isolation: "pool", runtime: "runc" }, jobs: o.runtimeJobs },
    { label: "runsc (gVisor), main engine", more: { isolation: "pool", runtime: "runsc" }, jobs: o.runtimeJobs },
  ]);
  const out: NonNullable<EnginesBenchReport["runtime"]> = {
    trivial_jobs_per_second: { runc: runc!.rate, runsc: runsc!.rate },
    runsc_over_runc: { trivial: runsc!.rate.median / runc!.rate.median },
  };
  if (o.mbppRepeat <= 0) return out;
  const spec = await loadBenchmark("mbpp", { split: "test", ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}), challenge: false });
  const { samples } = await loadSamples("reference", spec);
  const score = async (runtime: string): Promise<{ seconds: Figure; passed: number }> => {
    const session = await openJudgingSession({ benchmark: spec, workers: o.workersPerEngine * 3, hashSeed: 0, memo: false, verdictCache: false, log: o.log, docker, runtime });
    try {
      await session.warm();
      const runs: number[] = [];
      let passed = 0;
      for (let r = 0; r < o.mbppRepeat; r++) {
        o.log(`bench: engines: scoring mbpp test references under ${runtime} (${r + 1}/${o.mbppRepeat})`);
        const t0 = Date.now();
        const verdicts = await judgeSamples(samples, (s) => session.judgeSample(s), { concurrency: session.sandbox.workers * 2, progress: false });
        runs.push((Date.now() - t0) / 1000);
        passed = verdicts.filter((v) => v.status === "pass").length;
      }
      return { seconds: figure(runs), passed };
    } finally {
      await session.close();
    }
  };
  const a = await score("runc");
  const b = await score("runsc");
  out.mbpp_test_reference_seconds = { runc: a.seconds, runsc: b.seconds, passed: { runc: a.passed, runsc: b.passed } };
  out.runsc_over_runc.mbpp = a.seconds.median / b.seconds.median;
  return out;
}

/** Why extra engines cannot start here, or undefined (they need root, dockerd, sshd and openssl). */
function extraEnginesMissing(): string | undefined {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return "extra Docker engines need root on Linux";
  const has = (cmd: string) => {
    try {
      execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore", env: { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` } });
      return true;
    } catch {
      return false;
    }
  };
  const missing = [...(has("dockerd") ? [] : ["dockerd"]), ...(existsSync("/usr/sbin/sshd") ? [] : ["sshd"]), ...(has("openssl") ? [] : ["openssl"])];
  return missing.length > 0 ? `${missing.join(", ")} missing (scripts/ensure-docker.sh --with-extra-engines)` : undefined;
}
