import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { SandboxFault } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { Isolation, SandboxPool } from "../core/sandbox.js";
import type { Sample } from "../core/sample.js";
import type { Benchmark, Task } from "../core/task.js";
import type { SampleVerdict } from "../core/verdict.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { judgeSample, sandboxErrorVerdict } from "../judge/judge-sample.js";
import { loadSamples } from "../judge/samples.js";
import { summarize } from "../metrics/summary.js";
import { createDockerSandbox } from "../sandbox/docker-sandbox.js";
import { assertEngine, connectDocker } from "../sandbox/engine.js";
import { ensureImage } from "../sandbox/image.js";
import { sha256 } from "../util/hash.js";
import { cacheDir } from "../util/paths.js";
import { VERSION } from "../version.js";
import { resolveBenchmark } from "./ground-truth.js";
import { buildJob } from "./job-builder.js";
import { RUNNER_HEADROOM_MB } from "./limits.js";
import { createProgress } from "./progress.js";
import { openResultsStore, sampleKey, type ResultsStore } from "./results-store.js";
import { newRunId } from "./run-id.js";
import { createVerdictCache, type VerdictCache } from "./verdict-cache.js";

/** Everything `verdict eval` needs. */
export interface EvalOptions {
  benchmark: string;
  split: string;
  /** A samples file, or "reference". */
  samples: string;
  dataDir?: string;
  challenge?: boolean;
  isolation: Isolation;
  workers: number;
  k: number[];
  /** Run directory; default `<resultsDir>/<run-id>`. */
  outDir?: string;
  resultsDir: string;
  /** Judge everything afresh (no verdict cache, no expected-value cache). */
  noCache: boolean;
  limits: JobLimits;
  hashSeed: number;
  /** Continue the run in this directory. */
  resume?: string;
  /** Draw a progress bar on stderr. */
  progress: boolean;
  log?: (line: string) => void;
  docker?: Docker;
}

/** The outcome of `verdict eval`. */
export interface EvalResult {
  summary: RunSummary;
  runDir: string;
  verdicts: SampleVerdict[];
  /** Tests left out because the reference solution itself failed them (should be empty). */
  referenceFailures: string[];
}

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}

/** Score samples against a benchmark in the sandbox and write the run directory. */
export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const docker = opts.docker ?? connectDocker();
  await assertEngine(docker);
  const image = await ensureImage(docker, { log });

  const spec = await loadBenchmark(opts.benchmark, {
    split: opts.split,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    challenge: opts.challenge ?? false,
  });
  const { samples } = await loadSamples(opts.samples, spec);

  const sandboxBase = {
    image: image.tag,
    workers: opts.workers,
    cpus: 1,
    pidsLimit: 512,
    tmpfsMb: 256,
    hashSeed: opts.hashSeed,
  };
  // Expected values are computed in containers of their own, closed before any candidate
  // runs: no candidate container ever holds an expected value, not even in freed memory.
  const { benchmark, refSeconds, failures } = await resolveBenchmark(spec, {
    imageId: image.id,
    noCache: opts.noCache,
    log,
    openPool: (memoryMb) =>
      createDockerSandbox(docker, { ...sandboxBase, isolation: "pool", memoryMb, labels: { "verdict.role": "reference" } }),
  });

  for (const f of failures) log(`warning: ${f} (the test is left out)`);
  const runDir = resolve(opts.resume ?? opts.outDir ?? join(opts.resultsDir, newRunId(spec.name)));
  const store = openResultsStore(runDir);
  const taskMemory = Math.max(opts.limits.memoryMb, ...benchmark.tasks.map((t) => t.memoryMb ?? 0));
  const pool = await createDockerSandbox(docker, {
    ...sandboxBase,
    isolation: opts.isolation,
    memoryMb: taskMemory + RUNNER_HEADROOM_MB,
  });
  const manifest: RunManifest = {
    run_id: runDir.split("/").pop() ?? runDir,
    verdict_version: VERSION,
    created_at: new Date().toISOString(),
    benchmark: spec.name,
    split: spec.split,
    data_sha256: spec.dataSha256,
    samples_source: opts.samples,
    sandbox: pool.info,
    limits: { ...opts.limits, reference_seconds: refSeconds },
    reference_failures: failures,
    k: opts.k,
    status: "running",
    node: process.version,
    host: { cpus: cpus().length, platform: process.platform },
  };
  store.writeManifest(manifest);
  const verdictCache = createVerdictCache(cacheDir("verdicts"), !opts.noCache);
  let verdicts: SampleVerdict[];
  try {
    verdicts = await judgeSamples(benchmark, samples, pool, {
      store,
      cache: verdictCache,
      limits: opts.limits,
      hashSeed: opts.hashSeed,
      progress: opts.progress,
      total: samples.length,
    });
  } catch (e) {
    store.writeManifest({ ...manifest, status: "interrupted" });
    throw e;
  } finally {
    store.close();
    await pool.close();
  }
  const summary = summarize({
    benchmark: spec.name,
    split: spec.split,
    verdicts,
    ks: opts.k,
    groups: benchmark.groups,
    seconds: (Date.now() - started) / 1000,
  });
  store.writeSummary(summary);
  store.writeManifest({ ...manifest, status: "complete" });
  return { summary, runDir, verdicts, referenceFailures: failures };
}

/** Where judged verdicts go and how they are reused. */
export interface JudgeOptions {
  /** Append each verdict here as it is made (and skip samples it already holds). */
  store?: ResultsStore;
  cache?: VerdictCache;
  limits: JobLimits;
  hashSeed: number;
  progress: boolean;
  /** How many samples will come, for the progress bar (unknown while streaming). */
  total?: number;
  /** Called with each verdict as it is made. */
  onVerdict?: (v: SampleVerdict) => void;
}

/**
 * Judge samples in the pool as they arrive (a list, or a stream still being generated), skipping
 * those the store already holds. Verdicts come back in the order the samples came in.
 */
export async function judgeSamples(
  benchmark: Benchmark,
  samples: Iterable<Sample> | AsyncIterable<Sample>,
  pool: SandboxPool,
  opts: JudgeOptions,
): Promise<SampleVerdict[]> {
  const { store, cache } = opts;
  const tasks = new Map(benchmark.tasks.map((t) => [t.taskId, t]));
  const testsHash = new Map<string, string>();
  const hashOf = (task: Task) => {
    let h = testsHash.get(task.taskId);
    if (h === undefined) {
      h = sha256(JSON.stringify({ setup: task.setup, mem: task.memoryMb ?? 0, tests: task.tests }, jsonReplacer));
      testsHash.set(task.taskId, h);
    }
    return h;
  };
  const limitsKey = JSON.stringify({ limits: opts.limits, seed: opts.hashSeed, image: pool.info.imageId });
  const results = new Map<string, SampleVerdict>(store?.existing ?? []);
  const order: string[] = [];
  const progress = createProgress(opts.total ?? 0, "judging", opts.progress && opts.total !== undefined);
  let done = 0;
  const judgeOne = async (sample: Sample): Promise<SampleVerdict> => {
    const task = tasks.get(sample.taskId);
    if (task === undefined) throw new Error(`internal: no task ${sample.taskId}`);
    const programSha256 = sha256(sample.program);
    const key = sha256(`${programSha256}\n${hashOf(task)}\n${limitsKey}`);
    const hit = cache?.get(key);
    if (hit !== undefined) {
      return { ...hit, task_id: sample.taskId, sample_index: sample.sampleIndex, cached: true };
    }
    const t0 = Date.now();
    const job = buildJob(task, sample, opts.limits, `${sample.taskId}#${sample.sampleIndex}`);
    let verdict: SampleVerdict;
    try {
      const raw = await pool.run(job);
      verdict = judgeSample(task, sample, raw, {
        // The runner's own clock: time in the sandbox, not time queued for a container.
        seconds: raw.wallSeconds,
        cached: false,
        programSha256,
        groups: benchmark.groups,
      });
    } catch (e) {
      if (!(e instanceof SandboxFault)) throw e;
      // Never a pass, never a silent fail: an infrastructure fault is its own outcome.
      return sandboxErrorVerdict(task, sample, e.message, { seconds: (Date.now() - t0) / 1000, programSha256 });
    }
    const { task_id: _t, sample_index: _s, cached: _c, ...rest } = verdict;
    cache?.put(key, rest);
    return verdict;
  };
  const iterator = Symbol.asyncIterator in samples ? samples[Symbol.asyncIterator]() : toAsync(samples[Symbol.iterator]());
  // Pulls are chained so that concurrent workers never call next() on the iterator at once.
  let pulling: Promise<IteratorResult<Sample>> = Promise.resolve({ done: false, value: undefined as never });
  const pull = (): Promise<IteratorResult<Sample>> => (pulling = pulling.then(() => iterator.next()));
  const worker = async () => {
    for (;;) {
      const item = await pull();
      if (item.done) return;
      const sample = item.value;
      const k = sampleKey(sample.taskId, sample.sampleIndex);
      order.push(k);
      if (results.has(k)) continue;
      const verdict = await judgeOne(sample);
      store?.append(verdict);
      results.set(k, verdict);
      opts.onVerdict?.(verdict);
      progress.tick(++done);
    }
  };
  // A few more jobs in flight than workers keeps every container busy while the host judges.
  await Promise.all(Array.from({ length: Math.max(1, pool.info.workers * 2) }, worker));
  progress.end();
  return order.map((k) => {
    const v = results.get(k);
    if (v === undefined) throw new Error(`internal: no verdict for ${k}`);
    return v;
  });
}

async function* toAsync<T>(it: Iterator<T>): AsyncGenerator<T> {
  for (let r = it.next(); !r.done; r = it.next()) yield r.value;
}

/** JSON.stringify replacer for hashing: ints (bigint) stay distinct from floats. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? { int: value.toString() } : value;
}
