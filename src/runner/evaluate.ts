import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, resolve } from "node:path";
import type Docker from "dockerode";
import { z } from "zod";
import { InputError, SandboxFault, VerdictError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import { MISSING_POLICIES, type MissingPolicy, type RunManifest, type RunSummary } from "../core/run.js";
import type { Isolation, SandboxPool } from "../core/sandbox.js";
import type { Sample } from "../core/sample.js";
import type { Benchmark, Task } from "../core/task.js";
import type { SampleVerdict } from "../core/verdict.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { judgeSample, sandboxErrorVerdict } from "../judge/judge-sample.js";
import { programDigest } from "../judge/program-identity.js";
import { loadSamples } from "../judge/samples.js";
import { summarize } from "../metrics/summary.js";
import { RUN_LABEL } from "../sandbox/container-spec.js";
import { createDockerSandbox, type DockerSandboxOptions } from "../sandbox/docker-sandbox.js";
import { assertEngine, connectDocker } from "../sandbox/engine.js";
import { ensureImage, pruneSandbox } from "../sandbox/image.js";
import { sha256 } from "../util/hash.js";
import { cacheDir } from "../util/paths.js";
import { VERSION } from "../version.js";
import { InterruptedError, interruptReason } from "./cleanup.js";
import { describeReferenceFailure, failuresByTask, resolveBenchmark } from "./ground-truth.js";
import { buildJob } from "./job-builder.js";
import { RUNNER_HEADROOM_MB } from "./limits.js";
import { createProgress } from "./progress.js";
import { openResultsStore, readManifest, RUN_FILES, sampleKey, writeJsonAtomic, type ResultsStore } from "./results-store.js";
import { newRunId } from "./run-id.js";
import { checkSamplesCover, missingVerdict, setAsideUnscorable } from "./task-coverage.js";
import { createVerdictCache, currentJudgeDigest, type VerdictCache } from "./verdict-cache.js";

/** Everything `verdict eval` needs. */
export interface EvalOptions {
  benchmark: string;
  split: string;
  /** A samples file, or "reference". */
  samples: string;
  /** Benchmark tasks without a sample: an error (the default), failures (`missing`), or left out and labelled partial. */
  missing?: MissingPolicy;
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
  /** Judge every sample afresh but keep the cached expected values. */
  noVerdictCache?: boolean;
  limits: JobLimits;
  hashSeed: number;
  /** Continue the run in this directory. */
  resume?: string;
  /** Draw a progress bar on stderr. */
  progress: boolean;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it stops the run: containers removed, verdicts kept, manifest `interrupted`. */
  signal?: AbortSignal;
  /** How long jobs wait for a Docker engine that went away (a restart) before the run stops. */
  engineWaitSeconds?: number;
}

/** The outcome of `verdict eval`. */
export interface EvalResult {
  summary: RunSummary;
  runDir: string;
  verdicts: SampleVerdict[];
  /** Tests left out because the reference solution itself failed them (should be empty). */
  referenceFailures: string[];
  /** The tasks as judged (expectations resolved). */
  tasks: Task[];
}

/** What a run directory keeps of its `verdict eval` options, so `--resume <dir>` alone continues it. */
export const storedEvalOptionsSchema = z.object({
  benchmark: z.string().min(1),
  split: z.string(),
  samples: z.string().min(1),
  /** Absent in runs made before it was kept. */
  missing: z.enum(MISSING_POLICIES).optional(),
  dataDir: z.string().optional(),
  challenge: z.boolean(),
  isolation: z.enum(["pool", "fresh"]),
  workers: z.int().positive(),
  k: z.array(z.int().positive()),
  noCache: z.boolean(),
  noVerdictCache: z.boolean().optional(),
  limits: z.object({
    testSeconds: z.union([z.number().positive(), z.array(z.number().positive())]),
    loadSeconds: z.number().positive(),
    memoryMb: z.number().positive(),
    outputBytes: z.number().positive(),
    valueBytes: z.number().positive(),
    /** Absent: no per-sample budget (and in runs made before it existed). */
    sampleSeconds: z.number().positive().optional(),
  }),
  hashSeed: z.int(),
});

/** The options of a run as stored in its directory (eval-options.json). */
export type StoredEvalOptions = z.infer<typeof storedEvalOptionsSchema>;

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}

/**
 * The `verdict.run` label of a run's containers: the run id plus a hash of its directory, so
 * two runs that share a directory name (`--out run`) never share containers, and a resume of
 * the same directory finds what a killed process left behind.
 */
export function runLabel(runDir: string): string {
  const dir = resolve(runDir);
  return `${basename(dir)}-${sha256(dir).slice(0, 12)}`;
}

/** The options stored in a run directory, or undefined for a run made before they were kept. */
export function readEvalOptions(runDir: string): StoredEvalOptions | undefined {
  const path = join(runDir, RUN_FILES.evalOptions);
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(`unreadable: ${(err as Error).message}`, path);
  }
  const parsed = storedEvalOptionsSchema.safeParse(json);
  if (!parsed.success) throw new InputError(`invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, path);
  return parsed.data;
}

/** Score samples against a benchmark in the sandbox and write the run directory. */
export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const signal = opts.signal;
  /** Before anything is written, an interrupt simply stops. */
  const checkpoint = (): void => {
    if (signal?.aborted) throw interruptReason(signal);
  };
  // The input is checked first: a samples file that cannot give a complete figure fails before any container starts.
  const spec = await loadBenchmark(opts.benchmark, {
    split: opts.split,
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    challenge: opts.challenge ?? false,
  });
  const loaded = await loadSamples(opts.samples, spec);
  const policy = opts.missing ?? "error";
  checkSamplesCover(loaded, spec.tasks.length, policy, opts.k);
  const { samples } = loaded;
  const docker = opts.docker ?? connectDocker();
  await assertEngine(docker);
  const image = await ensureImage(docker, { log });
  checkpoint();

  const runDir = resolve(opts.resume ?? opts.outDir ?? join(opts.resultsDir, newRunId(spec.name)));
  const label = runLabel(runDir);
  const previous = opts.resume !== undefined ? readManifest(runDir) : undefined;
  if (opts.resume !== undefined && previous === undefined) {
    throw new InputError(`not a run directory (no ${RUN_FILES.manifest}); nothing to resume`, runDir);
  }
  if (previous !== undefined) assertSameRun(previous, { benchmark: spec.name, split: spec.split, samplesSha256: loaded.sha256, limits: opts.limits, hashSeed: opts.hashSeed, runDir });

  // Every pool of the run, so an interrupt can remove its containers whatever phase it is in.
  const pools = new Set<SandboxPool>();
  const openPool = async (o: DockerSandboxOptions): Promise<SandboxPool> => {
    const pool = await createDockerSandbox(docker, o);
    pools.add(pool);
    if (signal?.aborted) {
      await pool.close();
      throw interruptReason(signal);
    }
    return pool;
  };
  const closePools = (): Promise<unknown> => Promise.allSettled([...pools].map((p) => p.close()));
  const onAbort = (): void => {
    void closePools();
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  let store: ResultsStore | undefined;
  let manifest: RunManifest | undefined;
  try {
    if (previous !== undefined) {
      // Locked first: the containers pruned next must belong to no live process.
      store = openStore(runDir, log);
      // The killed process that last wrote this run may have left containers behind.
      const pruned = await pruneSandbox(docker, { labels: { [RUN_LABEL]: label } });
      if (pruned.containers > 0) log(`resume: removed ${pruned.containers} container(s) the interrupted run left behind`);
    }
    const sandboxBase = {
      image: image.tag,
      workers: opts.workers,
      cpus: 1,
      pidsLimit: 512,
      tmpfsMb: 256,
      hashSeed: opts.hashSeed,
      log,
      ...(opts.engineWaitSeconds !== undefined ? { engineWaitSeconds: opts.engineWaitSeconds } : {}),
    };
    // Expected values are computed in containers of their own, closed before any candidate
    // runs: no candidate container ever holds an expected value, not even in freed memory.
    const { benchmark, refSeconds, failures, unscorable } = await resolveBenchmark(spec, {
      imageId: image.id,
      hashSeed: opts.hashSeed,
      noCache: opts.noCache,
      log,
      openPool: (memoryMb) =>
        openPool({ ...sandboxBase, isolation: "pool", memoryMb, labels: { [RUN_LABEL]: label, "verdict.role": "reference" } }),
    });
    checkpoint();
    const failureLines = failures.map(describeReferenceFailure);
    for (const line of failureLines) log(`warning: ${line}`);
    const scorable = setAsideUnscorable(samples, unscorable, failures, policy);
    if (unscorable.length > 0) log(`warning: ${unscorable.length} task(s) have no test left and are left out of the figures: ${unscorable.join(", ")}`);

    store ??= openStore(runDir, log);
    assertVerdictsMatchSamples(store, samples, loaded.missing, runDir);
    if (previous !== undefined) log(`resume: ${store.existing.size} of ${samples.length} samples already judged in ${runDir}`);

    const taskMemory = Math.max(opts.limits.memoryMb, ...benchmark.tasks.map((t) => t.memoryMb ?? 0));
    const pool = await openPool({
      ...sandboxBase,
      isolation: opts.isolation,
      memoryMb: taskMemory + RUNNER_HEADROOM_MB,
      labels: { [RUN_LABEL]: label },
    });
    manifest = {
      run_id: basename(runDir),
      verdict_version: VERSION,
      created_at: previous?.created_at ?? new Date().toISOString(),
      benchmark: spec.name,
      split: spec.split,
      data_sha256: spec.dataSha256,
      samples_source: opts.samples,
      ...(loaded.sha256 !== undefined ? { samples_sha256: loaded.sha256 } : {}),
      sandbox: pool.info,
      limits: { ...opts.limits, reference_seconds: refSeconds },
      reference_failures: failureLines,
      missing_policy: policy,
      k: opts.k,
      status: "running",
      node: process.version,
      host: { cpus: cpus().length, platform: process.platform },
    };
    if (previous !== undefined && previous.sandbox.imageId !== pool.info.imageId) {
      throw new InputError(
        `the sandbox image changed since this run started (${previous.sandbox.imageId.slice(0, 19)} then, ${pool.info.imageId.slice(0, 19)} now); its verdicts would mix two images: start a new run`,
        join(runDir, RUN_FILES.manifest),
      );
    }
    writeJsonAtomic(join(runDir, RUN_FILES.evalOptions), storedOptions(opts));
    store.writeManifest(manifest);
    const verdictCache = createVerdictCache(cacheDir("verdicts"), !opts.noCache && opts.noVerdictCache !== true);
    // Longest first (by the reference's time): one slow task started last would be the whole
    // run's critical path (Mbpp/255 takes ~10 s where most take milliseconds).
    const cost = new Map(benchmark.tasks.map((t) => [t.taskId, t.costSeconds ?? 0]));
    const ordered = [...scorable].sort((a, b) => (cost.get(b.taskId) ?? 0) - (cost.get(a.taskId) ?? 0));
    const verdicts = await judgeSamples(benchmark, ordered, pool, {
      store,
      cache: verdictCache,
      limits: opts.limits,
      hashSeed: opts.hashSeed,
      progress: opts.progress,
      total: scorable.length,
      ...(signal !== undefined ? { signal } : {}),
    });
    if (policy === "fail") {
      // Each task without a sample is one failure; a resume finds those it already wrote.
      for (const taskId of loaded.missing) {
        let v = store.existing.get(sampleKey(taskId, 0));
        if (v === undefined) store.append((v = missingVerdict(taskId, benchmark.groups)));
        verdicts.push(v);
      }
    }
    const summary = summarize({
      benchmark: spec.name,
      split: spec.split,
      verdicts,
      ks: opts.k,
      groups: benchmark.groups,
      seconds: (Date.now() - started) / 1000,
      taskIds: spec.tasks.map((t) => t.taskId),
      missingPolicy: policy,
      unscorable,
      referenceFailures: failuresByTask(failures),
    });
    store.writeSummary(summary);
    store.writeManifest({ ...manifest, status: "complete" });
    return { summary, runDir, verdicts, referenceFailures: failureLines, tasks: benchmark.tasks };
  } catch (err) {
    const judged = store?.count ?? 0;
    if (store !== undefined && manifest !== undefined) {
      try {
        store.writeManifest({ ...manifest, status: "interrupted" });
      } catch (e) {
        // A full disk may refuse this too; the manifest then says `running`, which resumes the same way.
        log(`warning: could not mark ${RUN_FILES.manifest} interrupted: ${(e as Error).message}`);
      }
    }
    const resumable = store !== undefined && existsSync(join(runDir, RUN_FILES.manifest));
    const hint = resumable
      ? `${judged} of ${samples.length} samples are judged and saved in ${runDir}; continue with: verdict eval --resume ${runDir}`
      : "";
    if (signal?.aborted) {
      const reason = interruptReason(signal);
      throw new InterruptedError(reason.signal, `interrupted by ${reason.signal}${hint ? `: ${hint}` : ""}`);
    }
    if (err instanceof VerdictError && hint) err.message = `${err.message}\n${hint}`;
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await closePools();
    try {
      store?.close();
    } catch (e) {
      // Never hides the error that ended the run; a resume re-reads what reached the disk.
      log(`warning: closing ${RUN_FILES.verdicts}: ${(e as Error).message}`);
    }
  }
}

/** Opens the run's results store, saying so when a torn last line had to be cut off. */
function openStore(runDir: string, log: (line: string) => void): ResultsStore {
  const store = openResultsStore(runDir);
  if (store.repairedBytes > 0) {
    log(`resume: cut off a torn last line of ${RUN_FILES.verdicts} (${store.repairedBytes} bytes); its sample is judged again`);
  }
  return store;
}

/** Throws InputError when a resumed run's settings or inputs differ from those it started with. */
function assertSameRun(
  previous: RunManifest,
  now: { benchmark: string; split: string; samplesSha256: string | undefined; limits: JobLimits; hashSeed: number; runDir: string },
): void {
  const file = join(now.runDir, RUN_FILES.manifest);
  const differ = (what: string, then: unknown, current: unknown): InputError =>
    new InputError(
      `cannot resume: ${what} differs from the interrupted run's (${JSON.stringify(then)} then, ${JSON.stringify(current)} now)`,
      file,
    );
  if (previous.benchmark !== now.benchmark) throw differ("the benchmark", previous.benchmark, now.benchmark);
  if (previous.split !== now.split) throw differ("the split", previous.split, now.split);
  // Runs from before samples were hashed have no sha256; their verdicts' program hashes still are checked.
  if (previous.samples_sha256 !== undefined && previous.samples_sha256 !== now.samplesSha256) {
    throw differ("the samples file (sha256)", previous.samples_sha256 ?? "reference", now.samplesSha256 ?? "reference");
  }
  const { reference_seconds: _r, ...limits } = previous.limits;
  if (JSON.stringify(sortKeys(limits)) !== JSON.stringify(sortKeys(now.limits))) throw differ("the limits", limits, now.limits);
  if (previous.sandbox.hashSeed !== now.hashSeed) throw differ("the hash seed", previous.sandbox.hashSeed, now.hashSeed);
}

/** Throws InputError when verdicts on disk belong to samples this run does not have (another samples file). */
function assertVerdictsMatchSamples(store: ResultsStore, samples: Sample[], missing: readonly string[], runDir: string): void {
  if (store.existing.size === 0) return;
  const programs = new Map(samples.map((s) => [sampleKey(s.taskId, s.sampleIndex), s.program]));
  const noSample = new Set(missing);
  for (const [key, v] of store.existing) {
    // `--missing fail` wrote these for tasks the samples file still has no sample of.
    if (v.status === "missing" && noSample.has(v.task_id)) continue;
    const program = programs.get(key);
    if (program === undefined || programDigest(program) !== v.program_sha256) {
      throw new InputError(
        `cannot resume: the verdict for sample ${key} was made for ${program === undefined ? "a sample this run does not have" : "a different program"}`,
        join(runDir, RUN_FILES.verdicts),
      );
    }
  }
}

/** Object with its keys sorted, for a comparison that ignores key order. */
function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** The options a resume needs, with paths made absolute so it can run from any directory. */
function storedOptions(opts: EvalOptions): StoredEvalOptions {
  const absolute = (p: string): string => (existsSync(p) ? resolve(p) : p);
  return {
    benchmark: absolute(opts.benchmark),
    split: opts.split,
    samples: opts.samples === "reference" ? "reference" : resolve(opts.samples),
    missing: opts.missing ?? "error",
    ...(opts.dataDir !== undefined ? { dataDir: resolve(opts.dataDir) } : {}),
    challenge: opts.challenge ?? false,
    isolation: opts.isolation,
    workers: opts.workers,
    k: opts.k,
    noCache: opts.noCache,
    ...(opts.noVerdictCache === true ? { noVerdictCache: true } : {}),
    limits: opts.limits,
    hashSeed: opts.hashSeed,
  };
}

/** Where judged verdicts go and how they are reused. */
export interface JudgeOptions {
  /** Append each verdict here as it is made (and skip samples it already holds). */
  store?: ResultsStore;
  cache?: VerdictCache;
  limits: JobLimits;
  hashSeed: number;
  /** Digest of the code that decides verdicts (part of the cache key); default: this process's own. */
  judgeDigest?: string;
  progress: boolean;
  /** How many samples will come, for the progress bar (unknown while streaming). */
  total?: number;
  /** Called with each verdict as it is made. */
  onVerdict?: (v: SampleVerdict) => void;
  /**
   * Aborting it stops the judging: no new job starts, verdicts still in flight are dropped (a
   * resume judges them again), and judgeSamples rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Keep every verdict for the return value (the default). False for long streams: verdicts
   * go only to `onVerdict` and the store, memory stays flat, and the result is empty.
   */
  collect?: boolean;
}

/**
 * Judge samples in the pool as they arrive (a list, or a stream still being generated), skipping
 * those the store already holds. Verdicts come back in the order the samples came in.
 * The first failure (an infrastructure error, a full disk, an interrupt) stops the judging:
 * jobs in flight finish or are cut short, nothing more is written, and the failure is thrown.
 */
export async function judgeSamples(
  benchmark: Benchmark,
  samples: Iterable<Sample> | AsyncIterable<Sample>,
  pool: SandboxPool,
  opts: JudgeOptions,
): Promise<SampleVerdict[]> {
  const { store, cache, signal } = opts;
  const collect = opts.collect ?? true;
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
  const limitsKey = JSON.stringify({
    limits: opts.limits,
    seed: opts.hashSeed,
    image: pool.info.imageId,
    judge: opts.judgeDigest ?? currentJudgeDigest(),
  });
  const results = new Map<string, SampleVerdict>(collect ? (store?.existing ?? []) : []);
  /** Samples taken up (on disk already, or judged now): a sample listed twice is judged once. */
  const seen = new Set<string>(store?.existing.keys() ?? []);
  const order: string[] = [];
  const progress = createProgress(opts.total ?? 0, "judging", opts.progress && opts.total !== undefined);
  let done = 0;
  let stopped = false;
  let failure: unknown;
  const stop = (err: unknown): void => {
    if (stopped) return;
    stopped = true;
    failure = err;
  };
  const onAbort = (): void => stop(interruptReason(signal ?? AbortSignal.abort()));
  if (signal?.aborted) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });

  const judgeOne = async (sample: Sample): Promise<SampleVerdict> => {
    const task = tasks.get(sample.taskId);
    if (task === undefined) throw new Error(`internal: no task ${sample.taskId}`);
    const programSha256 = programDigest(sample.program);
    const key = sha256(`${programSha256}\n${hashOf(task)}\n${limitsKey}`);
    const hit = cache?.get(key);
    const record = { task_id: sample.taskId, sample_index: sample.sampleIndex, program: sample.program };
    if (hit !== undefined) {
      store?.appendSample(record);
      return { ...hit, task_id: sample.taskId, sample_index: sample.sampleIndex, cached: true };
    }
    const t0 = Date.now();
    const job = buildJob(task, sample, opts.limits, `${sample.taskId}#${sample.sampleIndex}`);
    let verdict: SampleVerdict;
    try {
      const raw = await pool.run(job);
      store?.appendSample({ ...record, stdout: raw.stdout, stderr: raw.stderr });
      verdict = judgeSample(task, sample, raw, {
        // The runner's own clock: time in the sandbox, not time queued for a container.
        seconds: raw.wallSeconds,
        cached: false,
        programSha256,
        groups: benchmark.groups,
      });
    } catch (e) {
      if (!(e instanceof SandboxFault)) throw e;
      store?.appendSample(record);
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
  const worker = async (): Promise<void> => {
    while (!stopped) {
      let item: IteratorResult<Sample>;
      try {
        item = await pull();
      } catch (e) {
        stop(e);
        return;
      }
      if (item.done || stopped) return;
      const sample = item.value;
      const k = sampleKey(sample.taskId, sample.sampleIndex);
      if (collect) order.push(k);
      if (seen.has(k)) continue;
      seen.add(k);
      let verdict: SampleVerdict;
      try {
        verdict = await judgeOne(sample);
      } catch (e) {
        stop(e);
        return;
      }
      // After a stop, a verdict still in flight may come from a job the stop cut short (a
      // closed pool): it is dropped, and a resume judges its sample again.
      if (stopped) return;
      try {
        store?.append(verdict);
      } catch (e) {
        stop(e);
        return;
      }
      if (collect) results.set(k, verdict);
      opts.onVerdict?.(verdict);
      progress.tick(++done);
    }
  };
  try {
    // A few more jobs in flight than workers keeps every container busy while the host judges.
    await Promise.all(Array.from({ length: Math.max(1, pool.info.workers * 2) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
    progress.end();
  }
  if (stopped) {
    // Let a stream that feeds us know that nothing more will be pulled.
    await iterator.return?.().catch(() => undefined);
    throw failure;
  }
  if (!collect) return [];
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
