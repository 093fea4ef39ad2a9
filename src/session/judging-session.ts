/**
 * The judging session (docs/ARCHITECTURE.md, "The judging session"): the one way to judge
 * programs. Opening it checks the engine, makes the image present, removes a killed run's
 * orphans, computes the expected values once (cached) in a reference pool that is closed before
 * any candidate runs, and fixes the limits; the candidates' pool starts on the first job. Every
 * judgement goes through one path: the session's memo (identical program, tests and limits are
 * judged once), the verdict cache across sessions, a job built from the task (or the tests asked
 * for), the pool, and the trusted judge. Pipelines, the test-case generator, the search and the
 * service judge through it; none of them opens a pool.
 */
import { randomBytes } from "node:crypto";
import { InputError, SandboxFault } from "../core/errors.js";
import type { Job, JobLimits, RawJobResult } from "../core/job.js";
import type { Sample } from "../core/sample.js";
import type { JudgeItem, JudgeRequestOptions, Judgement, RunProgramOptions } from "../core/session.js";
import type { Benchmark, Task } from "../core/task.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import type { SandboxInfo, SandboxPool } from "../core/sandbox.js";
import { judgeSample as judgeRaw, sandboxErrorVerdict } from "../judge/judge-sample.js";
import { programDigest } from "../judge/program-identity.js";
import { resolveBenchmark } from "../runner/ground-truth.js";
import { describeReferenceFailure } from "../runner/reference-failures.js";
import { createCostEstimates, type CostEstimates } from "../runner/cost-estimates.js";
import { createVerdictCache, currentJudgeDigest, type VerdictCache } from "../runner/verdict-cache.js";
import { sandboxBackend, type BackendImage, type BackendOptions, type SandboxBackend } from "../sandbox/backends.js";
import { DEFAULT_CONTAINER, DEFAULT_LIMITS, RUNNER_HEADROOM_MB } from "../sandbox/limits.js";
import { cacheDir } from "../util/paths.js";
import { buildJob } from "./job-builder.js";
import { judgementKey, sessionKeyPart, testsDigest } from "./judgement-key.js";
import { createMemo } from "./session-memo.js";
import type { JudgedSample } from "../runner/judge-samples.js";
import type { GroundTruthReport, JudgingSessionOptions, LocalJudgingSession } from "./session-options.js";
import { createSessionPools, runUnder, underSignal, type SessionPools } from "./session-pools.js";
import { createTaskResolver } from "./task-resolver.js";
import { createTailSplitter, type TailSplitter } from "../runner/tail-split.js";

/** A judgement before it is given a sample identity: the verdict's content and the output it printed. */
interface Judged {
  verdict: Omit<SampleVerdict, "task_id" | "sample_index">;
  stdout?: string;
  stderr?: string;
}

/** Opens a judging session (see the module comment); close it when done. */
export async function openJudgingSession(options: JudgingSessionOptions): Promise<LocalJudgingSession> {
  if ((options.benchmark === undefined) === (options.resolved === undefined)) {
    throw new Error("internal: a judging session needs exactly one of `benchmark` (to resolve) and `resolved`");
  }
  const log = options.log ?? (() => {});
  const backend = typeof options.backend === "object" ? options.backend : sandboxBackend(options.backend ?? (options.engines !== undefined ? "engines" : "docker"), backendOptions(options));
  const isolation = options.isolation ?? "pool";
  if (!backend.isolations.includes(isolation)) throw new InputError(`the ${backend.name} backend has no ${isolation} isolation (it has ${backend.isolations.join(", ")})`);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const hashSeed = options.hashSeed ?? 0;
  const signal = options.signal;
  const stopReason = (): Error => (signal?.aborted ? (signal.reason as Error) : new Error("the judging session is closed"));
  const checkpoint = (): void => {
    if (signal?.aborted) throw stopReason();
  };

  await backend.check();
  const image = await backend.prepareImage(log);
  checkpoint();
  if (options.pruneOrphans === true && options.labels !== undefined) {
    const pruned = await backend.pruneOrphans(options.labels);
    if (pruned > 0) log(`resume: removed ${pruned} container(s) the interrupted run left behind`);
  }
  const container = { ...DEFAULT_CONTAINER, ...options.container };
  const base = {
    image: image.tag,
    workers: options.workers,
    hashSeed,
    ...container,
    log,
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
    ...(options.engineWaitSeconds !== undefined ? { engineWaitSeconds: options.engineWaitSeconds } : {}),
  };
  let benchmark: Benchmark | undefined = options.resolved;
  const pools: SessionPools = createSessionPools(
    backend,
    () => ({ ...base, isolation, memoryMb: options.containerMemoryMb ?? candidateMemory(limits, benchmark) + RUNNER_HEADROOM_MB, labels: { ...options.labels } }),
    stopReason,
  );
  // Expected values are computed in containers of their own (role reference), never a candidate's.
  const openReferencePool = (memoryMb: number): Promise<SandboxPool> => pools.open({ ...base, isolation: "pool", memoryMb, labels: { ...options.labels, "verdict.role": "reference" } });
  const onAbort = (): void => void pools.closeAll();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    checkpoint();
    let groundTruth: GroundTruthReport = { refSeconds: 0, refRunSeconds: 0, failures: [], unscorable: [], cached: false };
    if (options.benchmark !== undefined) {
      // Expected values are computed in containers of their own, closed before any candidate
      // runs: no candidate container ever holds an expected value, not even in freed memory.
      const resolved = await resolveBenchmark(options.benchmark, {
        imageId: image.id,
        hashSeed,
        noCache: options.groundTruthCache === false,
        log,
        progress: options.progress === true,
        openPool: openReferencePool,
      });
      checkpoint();
      benchmark = resolved.benchmark;
      groundTruth = { refSeconds: resolved.refSeconds, refRunSeconds: resolved.refRunSeconds, failures: resolved.failures, unscorable: resolved.unscorable, cached: resolved.cached };
      for (const f of groundTruth.failures) log(`warning: ${describeReferenceFailure(f)}`);
    }
    if (benchmark === undefined) throw new Error("internal: no benchmark");
    // The candidates' containers start now, while the caller gets its samples ready (a failed
    // start is said by the first job that needs them; a close waits for the start).
    pools.candidates().catch(() => undefined);
    const sandbox = backend.describe(image, { isolation, workers: options.workers, hashSeed });
    const resolveTasks = createTaskResolver({
      imageId: image.id,
      hashSeed,
      noCache: options.groundTruthCache === false,
      groups: benchmark.groups,
      log,
      openReferencePool,
    });
    return sessionOver({ options, backend, image, benchmark, groundTruth, limits, hashSeed, isolation, pools, stopReason, sandbox, resolveTasks, detach: () => signal?.removeEventListener("abort", onAbort) });
  } catch (err) {
    signal?.removeEventListener("abort", onAbort);
    await pools.closeAll();
    throw err;
  }
}

/** What the session's backend is made with: the engine (or engines) and the runtime. */
function backendOptions(options: JudgingSessionOptions): BackendOptions {
  return {
    ...(options.docker !== undefined ? { docker: options.docker } : {}),
    ...(options.engines !== undefined ? { engines: options.engines } : {}),
    ...(options.runtime !== undefined ? { runtime: options.runtime } : {}),
  };
}

/** The memory the candidates' jobs may need: the limit, or more for a task whose reference needed more. */
function candidateMemory(limits: JobLimits, benchmark: Benchmark | undefined): number {
  return Math.max(limits.memoryMb, ...(benchmark?.tasks ?? []).map((t) => t.memoryMb ?? 0));
}

/** Everything the session's methods close over. */
interface SessionParts {
  options: JudgingSessionOptions;
  backend: SandboxBackend;
  image: BackendImage;
  benchmark: Benchmark;
  groundTruth: GroundTruthReport;
  limits: JobLimits;
  hashSeed: number;
  isolation: JudgingSessionOptions["isolation"] & string;
  pools: SessionPools;
  stopReason: () => Error;
  detach: () => void;
  /** What the manifest records of the sandbox. */
  sandbox: SandboxInfo;
  resolveTasks: LocalJudgingSession["resolveTasks"];
}

/** The session's methods over its resolved parts. */
function sessionOver(p: SessionParts): LocalJudgingSession {
  const { benchmark, limits, pools } = p;
  const byId = new Map(benchmark.tasks.map((t) => [t.taskId, t]));
  const costs = createCostEstimates(benchmark.tasks);
  const splitter = createTailSplitter(() => pools.candidates(), p.sandbox.workers, p.options.split ?? "tail", p.options.log);
  const judging = createJudging(p, costs, splitter);
  const task = (id: string): Task => {
    const bare = id.replace(/^Mbpp\//i, "");
    const found = byId.get(id) ?? byId.get(bare) ?? byId.get(`Mbpp/${bare}`);
    if (found === undefined) throw new InputError(`no task ${JSON.stringify(id)} in ${benchmark.name} ${benchmark.split}`);
    return found;
  };
  const taskOf = (t: Task | string): Task => (typeof t === "string" ? task(t) : t);
  const runJob = async (job: Job, signal?: AbortSignal): Promise<RawJobResult> => runUnder(await pools.candidates(), job, signal);
  const judge = async (t: Task | string, program: string, o: JudgeRequestOptions = {}): Promise<Judgement> => {
    const resolved = taskOf(t);
    const { verdict } = await judging.judge(resolved, program, o);
    return judgementOf(resolved.taskId, verdict);
  };
  return {
    benchmark,
    sandbox: p.sandbox,
    limits,
    hashSeed: p.hashSeed,
    backend: p.backend,
    groundTruth: p.groundTruth,
    costs,
    task,
    judge,
    async judgeMany(items: readonly JudgeItem[], o?: { signal?: AbortSignal }) {
      return Promise.all(items.map((i) => judge(i.task, i.program, { ...i.options, ...(o?.signal ? { signal: o.signal } : {}) })));
    },
    resolveTasks: p.resolveTasks,
    async judgeSample(sample: Sample, o: JudgeRequestOptions = {}): Promise<JudgedSample> {
      const judged = await judging.judge(task(sample.taskId), sample.program, o, `${sample.taskId}#${sample.sampleIndex}`);
      return { ...judged, verdict: { task_id: sample.taskId, sample_index: sample.sampleIndex, ...judged.verdict } };
    },
    run(program: string, o: RunProgramOptions = {}) {
      judging.refuseUnisolated();
      const l = { ...limits, ...o.limits };
      const first = typeof l.testSeconds === "number" ? l.testSeconds : (l.testSeconds[0] ?? DEFAULT_LIMITS.testSeconds);
      const job: Job = {
        id: `run-${randomBytes(4).toString("hex")}`,
        program,
        setup: "",
        tests: [{ kind: "stdio", stdin: o.stdin ?? "" }],
        // The containers are sized for the session's limits: a run may ask for less, never more.
        limits: { ...l, memoryMb: Math.min(l.memoryMb, candidateMemory(limits, benchmark)), testSeconds: [first] as number[] },
        continueAfterCrash: false,
      };
      return runJob(job, o.signal);
    },
    runJob,
    async warm() {
      await pools.candidates();
    },
    engineStats: () => pools.startedCandidates()?.engineStats?.(),
    splitStats: () => splitter.stats(),
    async close() {
      p.detach();
      await pools.closeAll();
    },
  };
}

/** A sample verdict as the contract's Judgement: with the counts rewards need. */
function judgementOf(taskId: string, v: Omit<SampleVerdict, "task_id" | "sample_index">): Judgement {
  const passed = v.tests.filter((t) => t.outcome === "pass").length;
  return { task_id: taskId, ...v, passed, total: v.tests.length, compiles: v.status !== "syntax_error" };
}

/** The one judging path (memo, verdict cache, job, pool, judge) of a session. */
function createJudging(p: SessionParts, costs: CostEstimates, splitter: TailSplitter): { judge(task: Task, program: string, o: JudgeRequestOptions, jobId?: string): Promise<Judged>; refuseUnisolated(): void } {
  const cache: VerdictCache =
    typeof p.options.verdictCache === "object" ? p.options.verdictCache : createVerdictCache(cacheDir("verdicts"), p.options.verdictCache !== false);
  const sessionPart = sessionKeyPart({
    limits: p.limits,
    hashSeed: p.hashSeed,
    imageId: p.image.id,
    judgeDigest: p.options.judgeDigest ?? currentJudgeDigest(),
    ...(p.sandbox.runtime !== undefined ? { runtime: p.sandbox.runtime } : {}),
  });
  const memo = createMemo<Judged>(p.options.memo !== false);
  // A task's tests digest is computed once; tests asked for by a request are hashed each time.
  const digests = new WeakMap<Task, string>();
  const digestOf = (t: Task): string => {
    let d = digests.get(t);
    if (d === undefined) digests.set(t, (d = testsDigest(t)));
    return d;
  };
  let seq = 0;
  const refuseUnisolated = (): void => {
    if (!p.backend.isolated) throw new Error(`the ${p.backend.name} backend runs programs without a sandbox: it times raw jobs, and judges nothing`);
  };

  /** Judges once, under no request's signal: others may wait for the same work (an abort detaches its own caller only). */
  const judgeOnce = async (task: Task, program: string, programSha256: string, key: string, allTests: boolean, jobId: string, ownTests: boolean): Promise<Judged> => {
    const hit = cache.get(key);
    if (hit !== undefined) return { verdict: { ...hit, cached: true } };
    const sample: Sample = { taskId: task.taskId, sampleIndex: 0, program };
    const job = buildJob(task, sample, p.limits, jobId, allTests);
    const t0 = Date.now();
    let raw: RawJobResult;
    try {
      raw = await splitter.run(job);
    } catch (e) {
      if (!(e instanceof SandboxFault)) throw e;
      // A pool closed under the job is the session stopping, not the sandbox failing.
      if (p.pools.stopped) throw p.stopReason();
      // Never a pass, never a silent fail: an infrastructure fault is its own outcome.
      const { task_id: _t, sample_index: _s, ...v } = sandboxErrorVerdict(task, sample, e.message, { seconds: (Date.now() - t0) / 1000, programSha256 });
      return { verdict: v };
    }
    // The runner's own clock: time in the sandbox, not time queued for a container.
    const testSeconds = Array.isArray(job.limits.testSeconds) ? job.limits.testSeconds : undefined;
    // What it took says how long the task's next samples may take (only on the task's own tests).
    if (ownTests) costs.observe(task.taskId, raw.wallSeconds);
    const judged = judgeRaw(task, sample, raw, { seconds: raw.wallSeconds, cached: false, programSha256, groups: p.benchmark.groups, ...(testSeconds ? { testSeconds } : {}) });
    const { task_id: _t, sample_index: _s, ...verdict } = judged;
    const { cached: _c, ...kept } = verdict;
    cache.put(key, kept);
    if (raw.engine !== undefined) verdict.engine = raw.engine;
    return { verdict, stdout: raw.stdout, stderr: raw.stderr };
  };

  return {
    refuseUnisolated,
    async judge(task, program, o, jobId) {
      refuseUnisolated();
      o.signal?.throwIfAborted();
      const judged = o.tests !== undefined ? { ...task, tests: [...o.tests] } : task;
      const programSha256 = programDigest(program);
      const allTests = o.untilFirstFailure === false;
      const key = judgementKey(programSha256, digestOf(judged), sessionPart, allTests);
      const earlier = memo.get(key);
      if (earlier !== undefined) {
        const { verdict } = await underSignal(earlier, o.signal);
        return { verdict: { ...verdict, cached: true } };
      }
      return underSignal(memo.hold(key, judgeOnce(judged, program, programSha256, key, allTests, jobId ?? `${task.taskId}@${++seq}`, o.tests === undefined)), o.signal);
    },
  };
}
