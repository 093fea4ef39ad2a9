import { fileURLToPath } from "node:url";
import type Docker from "dockerode";
import type { Job } from "../core/job.js";
import type { SandboxPool } from "../core/sandbox.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { loadSamples } from "../judge/samples.js";
import { createDockerSandbox } from "../sandbox/docker-sandbox.js";
import { assertEngine, connectDocker } from "../sandbox/engine.js";
import { createHostSandbox } from "../sandbox/host-sandbox.js";
import { ensureImage } from "../sandbox/image.js";
import { runGenerationBench, type GenerationBenchReport } from "./bench-generation.js";
import { judgeSamples } from "./evaluate.js";
import { resolveBenchmark } from "./ground-truth.js";
import { DEFAULT_LIMITS, RUNNER_HEADROOM_MB } from "./limits.js";

const RUNNER = fileURLToPath(new URL("../../sandbox-images/python/runner.py", import.meta.url));

/** What `verdict bench` measures. */
export interface BenchOptions {
  workers: number;
  trivialJobs: number;
  freshJobs: number;
  repeat: number;
  dataDir?: string;
  /** Skip the MBPP / MBPP+ scoring measurements. */
  skipBenchmarks: boolean;
  log: (line: string) => void;
  docker?: Docker;
}

/** One measured figure: the median of its repeats, with min and max. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** The whole bench report (also printed as JSON with --json). */
export interface BenchReport {
  workers: number;
  trivial_jobs_per_second: { pool: Figure; fresh: Figure; host_fork: Figure };
  ratios: { pool_over_fresh: number; pool_over_host_fork: number };
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
  /** Generation against a local server that answers at once: client rate, overhead, overlap. */
  generation?: GenerationBenchReport;
}

function figure(runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs };
}

function trivialJob(i: number): Job {
  return {
    id: `trivial-${i}`,
    program: "def f(x):\n    return x\n",
    setup: "",
    tests: [{ kind: "call", fn: "f", args: [i] }],
    limits: { ...DEFAULT_LIMITS, memoryMb: 512 },
    continueAfterCrash: false,
  };
}

/** Jobs per second through `pool` for `n` trivial jobs, keeping every worker busy. */
async function rate(pool: SandboxPool, n: number): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await pool.run(trivialJob(i));
      if (r.tests[0]?.st !== "value" || r.tests[0].v !== i) throw new Error(`bench job ${i} failed: ${JSON.stringify(r.tests[0])}`);
    }
  };
  await Promise.all(Array.from({ length: pool.info.workers * 2 }, worker));
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function repeatRate(pool: SandboxPool, n: number, repeat: number): Promise<Figure> {
  await rate(pool, Math.min(n, pool.info.workers * 4)); // warm-up, not counted
  const runs: number[] = [];
  for (let r = 0; r < repeat; r++) runs.push(await rate(pool, n));
  return figure(runs);
}

/** Measure the sandbox's speed against its own baselines, all in one run. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const docker = opts.docker ?? connectDocker();
  await assertEngine(docker);
  const image = await ensureImage(docker, { log: opts.log });
  const base = {
    image: image.tag,
    workers: opts.workers,
    cpus: 1,
    pidsLimit: 512,
    tmpfsMb: 256,
    hashSeed: 0,
    memoryMb: 1024,
  };
  const measure = async (open: () => Promise<SandboxPool>, n: number, label: string): Promise<Figure> => {
    opts.log(`bench: ${label} (${n} trivial jobs x ${opts.repeat})`);
    const pool = await open();
    try {
      return await repeatRate(pool, n, opts.repeat);
    } finally {
      await pool.close();
    }
  };
  const pool = await measure(() => createDockerSandbox(docker, { ...base, isolation: "pool" }), opts.trivialJobs, "warm pool");
  const fresh = await measure(() => createDockerSandbox(docker, { ...base, isolation: "fresh" }), opts.freshJobs, "fresh containers");
  const hostFork = await measure(
    () => createHostSandbox({ workers: opts.workers, runnerPath: RUNNER }),
    opts.trivialJobs,
    "bare fork on the host (no sandbox)",
  );
  const report: BenchReport = {
    workers: opts.workers,
    trivial_jobs_per_second: { pool, fresh, host_fork: hostFork },
    ratios: { pool_over_fresh: pool.median / fresh.median, pool_over_host_fork: pool.median / hostFork.median },
  };
  if (opts.skipBenchmarks) return report;

  for (const name of ["mbpp", "mbpp-plus"] as const) {
    const spec = await loadBenchmark(name, {
      split: name === "mbpp" ? "test" : "all",
      ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
      challenge: false,
    });
    const { samples } = await loadSamples("reference", spec);
    const { benchmark, refSeconds, cached } = await resolveBenchmark(spec, {
      imageId: image.id,
      hashSeed: base.hashSeed,
      noCache: false,
      log: opts.log,
      openPool: (memoryMb) => createDockerSandbox(docker, { ...base, isolation: "pool", memoryMb }),
    });
    const memoryMb = Math.max(DEFAULT_LIMITS.memoryMb, ...benchmark.tasks.map((t) => t.memoryMb ?? 0));
    const warm = await createDockerSandbox(docker, { ...base, isolation: "pool", memoryMb: memoryMb + RUNNER_HEADROOM_MB });
    try {
      await rate(warm, opts.workers * 4);
      const runs: number[] = [];
      let passed = 0;
      let basePassed = 0;
      for (let r = 0; r < opts.repeat; r++) {
        opts.log(`bench: scoring ${name} with reference solutions (${r + 1}/${opts.repeat})`);
        const t0 = Date.now();
        const verdicts = await judgeSamples(benchmark, samples, warm, {
          limits: DEFAULT_LIMITS,
          hashSeed: 0,
          progress: false,
        });
        runs.push((Date.now() - t0) / 1000);
        passed = verdicts.filter((v) => v.status === "pass").length;
        basePassed = verdicts.filter((v) => (v.base_status ?? v.status) === "pass").length;
      }
      if (name === "mbpp") report.mbpp_test_reference = { seconds: figure(runs), passed, samples: samples.length };
      else
        report.mbpp_plus_reference = {
          seconds: figure(runs),
          passed,
          base_passed: basePassed,
          samples: samples.length,
          expected_values_seconds: refSeconds,
          expected_values_cached: cached,
        };
    } finally {
      await warm.close();
    }
  }
  opts.log("bench: generation against a local server that answers at once");
  report.generation = await runGenerationBench({
    workers: opts.workers,
    repeat: opts.repeat,
    docker,
    log: opts.log,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
  });
  return report;
}
