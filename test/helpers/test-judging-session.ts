/**
 * TEST HELPER ONLY: a JudgingSession (src/core/session.ts) over today's real pieces — the
 * benchmark loader, resolveBenchmark (expected values in a reference pool of their own),
 * createDockerSandbox, buildJob and judgeSample — so the service's HTTP tests run real programs
 * in real containers before the product's session lands. The product never uses this file.
 */
import { randomBytes } from "node:crypto";
import { InputError } from "../../src/core/errors.js";
import { SandboxFault } from "../../src/core/errors.js";
import type { Job, JobLimits, RawJobResult } from "../../src/core/job.js";
import type { SandboxPool } from "../../src/core/sandbox.js";
import type { JudgeItem, JudgeRequestOptions, Judgement, JudgingSession, RunProgramOptions } from "../../src/core/session.js";
import type { Task } from "../../src/core/task.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { judgeSample, sandboxErrorVerdict } from "../../src/judge/judge-sample.js";
import { resolveBenchmark } from "../../src/runner/ground-truth.js";
import { buildJob } from "../../src/session/job-builder.js";
import { DEFAULT_LIMITS, RUNNER_HEADROOM_MB } from "../../src/sandbox/limits.js";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { sha256 } from "../../src/util/hash.js";
import { testImage } from "./sandbox-image.js";

/** What the test session is opened on. */
export interface TestSessionOptions {
  benchmark: string;
  split: string;
  dataDir?: string;
  workers: number;
  /** Every container carries `verdict.run=<label>`, so a test can look for leftovers by it. */
  label: string;
  limits?: JobLimits;
}

/** Opens a test-only judging session (see the module comment). */
export async function openTestJudgingSession(opts: TestSessionOptions): Promise<JudgingSession> {
  const docker = connectDocker();
  const image = await testImage();
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const hashSeed = 0;
  const spec = await loadBenchmark(opts.benchmark, { split: opts.split, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), challenge: false });
  const base = { image: image.tag, cpus: 1, pidsLimit: 512, tmpfsMb: 256, hashSeed, labels: { [RUN_LABEL]: opts.label } };
  const { benchmark } = await resolveBenchmark(spec, {
    imageId: image.id,
    hashSeed,
    noCache: false,
    openPool: (memoryMb) => createDockerSandbox(docker, { ...base, isolation: "pool", workers: opts.workers, memoryMb }),
  });
  const memoryMb = Math.max(limits.memoryMb, ...benchmark.tasks.map((t) => t.memoryMb ?? 0));
  const pool: SandboxPool = await createDockerSandbox(docker, { ...base, isolation: "pool", workers: opts.workers, memoryMb: memoryMb + RUNNER_HEADROOM_MB });
  const byId = new Map(benchmark.tasks.map((t) => [t.taskId, t]));
  const memo = new Map<string, Promise<Judgement>>();
  let seq = 0;

  const task = (id: string): Task => {
    const bare = id.replace(/^Mbpp\//i, "");
    const found = byId.get(id) ?? byId.get(bare) ?? byId.get(`Mbpp/${bare}`);
    if (found === undefined) throw new InputError(`no task ${JSON.stringify(id)} in ${benchmark.name} ${benchmark.split}`);
    return found;
  };
  /** The pool's run, cut short (for the caller) by an abort. */
  const runJob = (job: Job, signal: AbortSignal | undefined): Promise<RawJobResult> => {
    if (signal === undefined) return pool.run(job);
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      pool.run(job).then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  };
  const judgeOnce = async (t: Task, program: string, options: JudgeRequestOptions): Promise<Judgement> => {
    const judged = options.tests !== undefined ? { ...t, tests: [...options.tests] } : t;
    const sample = { taskId: t.taskId, sampleIndex: 0, program };
    const job = buildJob(judged, sample, limits, `test-session-${seq++}`);
    job.continueAfterCrash = options.untilFirstFailure === false;
    const programSha256 = sha256(program);
    const t0 = Date.now();
    let raw: RawJobResult;
    try {
      raw = await runJob(job, options.signal);
    } catch (e) {
      if (!(e instanceof SandboxFault)) throw e;
      const v = sandboxErrorVerdict(judged, sample, e.message, { seconds: (Date.now() - t0) / 1000, programSha256 });
      const { sample_index: _s, ...rest } = v;
      return { ...rest, passed: 0, total: judged.tests.length, compiles: false };
    }
    const v = judgeSample(judged, sample, raw, { seconds: raw.wallSeconds, cached: false, programSha256, groups: benchmark.groups });
    const { sample_index: _s, ...rest } = v;
    return { ...rest, passed: v.tests.filter((x) => x.outcome === "pass").length, total: v.tests.length, compiles: raw.load.st !== "syntax_error" };
  };
  const judge = (taskOrId: Task | string, program: string, options: JudgeRequestOptions = {}): Promise<Judgement> => {
    const t = typeof taskOrId === "string" ? task(taskOrId) : taskOrId;
    const key = sha256(JSON.stringify([program, t.taskId, t.setup, options.tests ?? t.tests, options.untilFirstFailure ?? true], (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
    const hit = memo.get(key);
    if (hit !== undefined) return hit.then((j) => ({ ...j, cached: true }));
    const p = judgeOnce(t, program, options);
    memo.set(key, p);
    // An aborted or failed judgement is not kept: the next request judges afresh.
    p.catch(() => memo.delete(key));
    return p;
  };
  return {
    benchmark,
    sandbox: pool.info,
    limits,
    hashSeed,
    task,
    judge,
    judgeMany: (items: readonly JudgeItem[], o?: { signal?: AbortSignal }) =>
      Promise.all(items.map((i) => judge(i.task, i.program, { ...i.options, ...(o?.signal ? { signal: o.signal } : {}) }))),
    run: (program: string, o: RunProgramOptions = {}) => {
      const l = { ...limits, ...o.limits };
      const job: Job = {
        id: `test-run-${randomBytes(4).toString("hex")}`,
        program,
        setup: "",
        tests: [{ kind: "stdio", stdin: o.stdin ?? "" }],
        limits: { ...l, memoryMb: Math.min(l.memoryMb, memoryMb), testSeconds: [typeof l.testSeconds === "number" ? l.testSeconds : (l.testSeconds[0] ?? 4)] },
        continueAfterCrash: false,
      };
      return runJob(job, o.signal);
    },
    close: () => pool.close(),
  };
}
