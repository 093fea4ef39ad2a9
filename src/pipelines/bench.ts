import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type Docker from "dockerode";
import type { Benchmark } from "../core/task.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { loadSamples } from "../judge/samples.js";
import { judgeSamples } from "../runner/judge-samples.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { JudgingSessionOptions, LocalJudgingSession } from "../session/session-options.js";
import { runGenerationBench, type GenerationBenchReport } from "./bench-generation.js";
import { measureExpectedValues, type ExpectedValuesMeasure } from "./bench-expected.js";
import { fidelitySamplesPath, measureSamples, type SamplesMeasure } from "./bench-samples.js";
import { measureTail, TAIL_BENCHMARK, type TailMeasure } from "./bench-tail.js";
import { runServiceBench, type ServiceBenchReport } from "./bench-service.js";
import { runSearchBench, type SearchBenchReport } from "./bench-search.js";
import { runEnginesBench, type EnginesBenchReport } from "./bench-engines.js";
import { runTcgBench, type TcgBenchReport } from "./bench-tcg.js";
import { figure, jobsPerSecond, trivialJobsPerSecond, type Figure } from "./bench-jobs.js";

export { figure, type Figure } from "./bench-jobs.js";

const execFileAsync = promisify(execFile);

/** The sections of `verdict bench`, in the order they run. */
export const BENCH_SECTIONS = ["trivial", "references", "floor", "generation", "service", "tcg", "search", "engines"] as const;

/** One section of `verdict bench` (`--only`). */
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** What `verdict bench` measures. */
export interface BenchOptions {
  /** Only these sections (default: all; `skipBenchmarks` leaves only "trivial"). The service's target needs the trivial pool's rate, so "service" measures it too. */
  only?: ReadonlySet<BenchSection>;
  workers: number;
  trivialJobs: number;
  freshJobs: number;
  /** Trivial jobs per bare-process measurement (each starts a Python: slower than a fork). */
  bareJobs: number;
  repeat: number;
  dataDir?: string;
  /** Skip the MBPP / MBPP+ scoring measurements (and the service's, which posts MBPP programs). */
  skipBenchmarks: boolean;
  /** Requests and clients of the judging service's load (default 10,000 from 64). */
  serviceRequests?: number;
  serviceClients?: number;
  log: (line: string) => void;
  docker?: Docker;
}

/** The whole bench report (also printed as JSON with --json). */
export interface BenchReport {
  workers: number;
  /**
   * host_fork: the runner on the host, a fork per job (the protocol without a sandbox);
   * bare_process: a fork+exec of the host's `python3 -S -c` per job, no runner protocol.
   */
  /** Absent when `--only` left the trivial section out. */
  trivial_jobs_per_second?: { pool: Figure; fresh: Figure; host_fork: Figure; bare_process: Figure };
  ratios?: { pool_over_fresh: number; pool_over_host_fork: number; pool_over_bare_process: number };
  mbpp_test_reference?: { seconds: Figure; passed: number; samples: number };
  mbpp_plus_reference?: {
    seconds: Figure;
    passed: number;
    base_passed: number;
    samples: number;
    /** Time to compute the expected values, measured when they were computed (now or earlier). */
    expected_values_seconds: number;
    expected_values_cached: boolean;
  };
  /** MBPP+'s expected values computed afresh against the floor of the reference tests' run time / workers. */
  mbpp_plus_expected_values?: ExpectedValuesMeasure;
  /** A published model's MBPP+ samples against the floor of their own run time / workers (tail splitting on, the default). */
  mbpp_plus_samples?: SamplesMeasure;
  /** The same with tail splitting off: every sample in one process. */
  mbpp_plus_samples_unsplit?: SamplesMeasure;
  /** A long sample at the end of a batch, with tail splitting on and off. */
  tail?: TailMeasure;
  /** Why the samples measure was left out (no fidelity data), when it was. */
  mbpp_plus_samples_skipped?: string;
  /** Generation against a local server that answers at once: client rate, overhead, overlap. */
  generation?: GenerationBenchReport;
  /** The judging service under load (autocannon, loopback), against the trivial jobs/s above. */
  service?: ServiceBenchReport;
  /** TCG validation cases/s against trivial jobs/s, both measured in the TCG section's own session. */
  tcg?: TcgBenchReport;
  /** verdict search on MBPP train against a scripted server: nodes/s, rewards/s, pool busy, host cost per node, who waited on whom. */
  search?: SearchBenchReport;
  /** One engine against three on this machine (the scheduler's cost), and runsc against runc. */
  engines?: EnginesBenchReport;
}

/**
 * Jobs per second as bare processes: a fork+exec of the host's `python3 -S -c` per trivial job,
 * `workers` at once, no runner and no protocol (the cost of starting a Python per job).
 */
function bareProcessRate(n: number, workers: number): Promise<number> {
  return jobsPerSecond(n, workers, async (i) => {
    const { stdout } = await execFileAsync("python3", ["-S", "-B", "-c", `def f(x):\n    return x\nprint(f(${i}))`]);
    if (stdout.trim() !== String(i)) throw new Error(`bare python3 job ${i} printed ${JSON.stringify(stdout)}`);
  });
}

/** `repeat` measurements of `rateOf(n)` after one uncounted warm-up of `warmUp` jobs. */
async function repeatRate(rateOf: (n: number) => Promise<number>, n: number, warmUp: number, repeat: number): Promise<Figure> {
  await rateOf(Math.min(n, warmUp));
  const runs: number[] = [];
  for (let r = 0; r < repeat; r++) runs.push(await rateOf(n));
  return figure(runs);
}

/** What every session of the bench shares: each measures the sandbox, so nothing may answer from a memo or cache. */
function benchSession(opts: BenchOptions, more: Partial<JudgingSessionOptions>): Promise<LocalJudgingSession> {
  return openJudgingSession({
    resolved: NO_TASKS,
    workers: opts.workers,
    hashSeed: 0,
    memo: false,
    verdictCache: false,
    log: opts.log,
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    ...more,
  });
}

/** A benchmark without tasks: the trivial-job sessions judge nothing. */
const NO_TASKS: Benchmark = { name: "trivial", split: "all", dataSha256: {}, groups: [], tasks: [] };

/** Measure the sandbox's speed against its own baselines, all in one run. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const only = opts.only ?? new Set<BenchSection>(opts.skipBenchmarks ? ["trivial"] : BENCH_SECTIONS);
  const report: BenchReport = { workers: opts.workers };
  if (only.has("trivial") || only.has("service")) await measureTrivial(opts, report);
  if (only.has("references")) await scoreReferences(opts, report);
  if (only.has("floor")) await measureFloor(opts, report);
  const shared = {
    workers: opts.workers,
    log: opts.log,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  };
  if (only.has("generation")) {
    opts.log("bench: generation against a local server that answers at once");
    report.generation = await runGenerationBench({ ...shared, repeat: opts.repeat, ...(opts.docker !== undefined ? { docker: opts.docker } : {}) });
  }
  if (only.has("service")) {
    report.service = await runServiceBench(
      { ...shared, requests: opts.serviceRequests ?? 10_000, clients: opts.serviceClients ?? 64, ...(opts.docker !== undefined ? { session: { docker: opts.docker } } : {}) },
      report.trivial_jobs_per_second?.pool.median ?? Number.NaN,
    );
  }
  if (only.has("tcg")) {
    report.tcg = await runTcgBench({ ...shared, repeat: opts.repeat, trivialJobs: opts.trivialJobs, ...(opts.docker !== undefined ? { docker: opts.docker } : {}) });
  }
  if (only.has("search")) {
    report.search = await runSearchBench({ ...shared, repeat: opts.repeat, ...(opts.docker !== undefined ? { docker: opts.docker } : {}) });
  }
  if (only.has("engines")) {
    report.engines = await runEnginesBench({
      ...shared,
      workersPerEngine: Math.max(1, Math.round(opts.workers / 3)),
      trivialJobs: Math.min(opts.trivialJobs, 1000),
      runtimeJobs: Math.min(opts.trivialJobs, 300),
      repeat: opts.repeat,
      mbppRepeat: opts.skipBenchmarks ? 0 : Math.min(opts.repeat, 3),
      ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    });
  }
  return report;
}

/** The trivial-job rates: warm pool, fresh containers, the runner on the host, bare processes, and their ratios. */
async function measureTrivial(opts: BenchOptions, report: BenchReport): Promise<void> {
  const measure = async (more: Partial<JudgingSessionOptions>, n: number, label: string): Promise<Figure> => {
    opts.log(`bench: ${label} (${n} trivial jobs x ${opts.repeat})`);
    const session = await benchSession(opts, { containerMemoryMb: 1024, ...more });
    try {
      await session.warm();
      return await repeatRate((k) => trivialJobsPerSecond(session, k), n, session.sandbox.workers * 4, opts.repeat);
    } finally {
      await session.close();
    }
  };
  const pool = await measure({ isolation: "pool" }, opts.trivialJobs, "warm pool");
  const fresh = await measure({ isolation: "fresh" }, opts.freshJobs, "fresh containers");
  const hostFork = await measure({ backend: "host" }, opts.trivialJobs, "the runner on the host, a fork per job (no sandbox)");
  opts.log(`bench: bare processes, python3 -S -c per job (${opts.bareJobs} trivial jobs x ${opts.repeat})`);
  const bare = await repeatRate((k) => bareProcessRate(k, opts.workers), opts.bareJobs, opts.workers * 4, opts.repeat);
  report.trivial_jobs_per_second = { pool, fresh, host_fork: hostFork, bare_process: bare };
  report.ratios = {
    pool_over_fresh: pool.median / fresh.median,
    pool_over_host_fork: pool.median / hostFork.median,
    pool_over_bare_process: pool.median / bare.median,
  };
}

/** Scores MBPP's and MBPP+'s reference solutions (and, on MBPP+, a published model's samples), `repeat` times each. */
async function scoreReferences(opts: BenchOptions, report: BenchReport): Promise<void> {
  for (const name of ["mbpp", "mbpp-plus"] as const) {
    const spec = await loadBenchmark(name, { split: name === "mbpp" ? "test" : "all", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), challenge: false });
    const { samples } = await loadSamples("reference", spec);
    const session = await benchSession(opts, { benchmark: spec, resolved: undefined });
    try {
      await trivialJobsPerSecond(session, opts.workers * 4);
      const runs: number[] = [];
      let passed = 0;
      let basePassed = 0;
      for (let r = 0; r < opts.repeat; r++) {
        opts.log(`bench: scoring ${name} with reference solutions (${r + 1}/${opts.repeat})`);
        const t0 = Date.now();
        const verdicts = await judgeSamples(samples, (s) => session.judgeSample(s), { concurrency: opts.workers * 2, progress: false });
        runs.push((Date.now() - t0) / 1000);
        passed = verdicts.filter((v) => v.status === "pass").length;
        basePassed = verdicts.filter((v) => (v.base_status ?? v.status) === "pass").length;
      }
      if (name === "mbpp") {
        report.mbpp_test_reference = { seconds: figure(runs), passed, samples: samples.length };
        continue;
      }
      const { refSeconds, cached } = session.groundTruth;
      report.mbpp_plus_reference = { seconds: figure(runs), passed, base_passed: basePassed, samples: samples.length, expected_values_seconds: refSeconds, expected_values_cached: cached };
    } finally {
      await session.close();
    }
  }
}

/** MBPP+ against the floor of its own run time: a published model's samples (expected values cached), then the expected values computed afresh. */
async function measureFloor(opts: BenchOptions, report: BenchReport): Promise<void> {
  const spec = await loadBenchmark("mbpp-plus", { split: "all", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), challenge: false });
  const samplesPath = fidelitySamplesPath(opts.dataDir);
  if (samplesPath !== undefined) {
    for (const split of ["tail", "off"] as const) {
      const session = await benchSession(opts, { benchmark: spec, resolved: undefined, split });
      try {
        await session.warm();
        const measure = await measureSamples(spec, session, samplesPath, opts.repeat, opts.log);
        if (split === "tail") report.mbpp_plus_samples = measure;
        else report.mbpp_plus_samples_unsplit = measure;
      } finally {
        await session.close();
      }
    }
  } else report.mbpp_plus_samples_skipped = "no fidelity/qwen2.5-coder-1.5b-base-mbppplus/generated.jsonl in the data directory";
  report.tail = await measureTail((split) => benchSession(opts, { resolved: TAIL_BENCHMARK, split }), opts.repeat, opts.log);
  report.mbpp_plus_expected_values = await measureExpectedValues(() => benchSession(opts, { benchmark: spec, resolved: undefined, groundTruthCache: false }), opts.workers, opts.repeat, opts.log);
}
