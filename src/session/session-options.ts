import type Docker from "dockerode";
import type { Job, JobLimits, RawJobResult } from "../core/job.js";
import type { Sample } from "../core/sample.js";
import type { Isolation } from "../core/sandbox.js";
import type { JudgeRequestOptions, JudgingSession } from "../core/session.js";
import type { Benchmark, BenchmarkSpec } from "../core/task.js";
import type { TaskReferenceFailure } from "../runner/reference-failures.js";
import type { CostEstimates } from "../runner/cost-estimates.js";
import type { JudgedSample } from "../runner/judge-samples.js";
import type { VerdictCache } from "../runner/verdict-cache.js";
import type { EngineStats } from "../core/sandbox.js";
import type { BackendName, SandboxBackend } from "../sandbox/backends.js";
import type { EngineEndpoint } from "../sandbox/engine-endpoint.js";
import type { SplitMode, SplitStats } from "../runner/tail-split.js";

/**
 * Where a session's sandboxes run: the Docker engines of the pool and the OCI runtime. Every
 * command that judges takes them (`--engines`, `--runtime`: src/cli/flags.ts) and hands them
 * to its session as they are.
 */
export interface SandboxPlacement {
  /** A pool over these engines (the `engines` backend); unset: the one engine DOCKER_HOST names. */
  engines?: readonly EngineEndpoint[];
  /** The OCI runtime of every container (`runsc`: gVisor), registered with every engine; unset: each engine's default. */
  runtime?: string;
}

/** What a judging session is opened on (one of `benchmark` and `resolved` is required). */
export interface JudgingSessionOptions extends SandboxPlacement {
  /** A benchmark as its loader gives it: its expected values are computed once (and cached), in a pool of their own. */
  benchmark?: BenchmarkSpec;
  /** Tasks whose expectations are known already (the soak's, a test's own): no reference runs. */
  resolved?: Benchmark;
  /** A registered backend's name, or a backend (default `docker`). */
  backend?: BackendName | SandboxBackend;
  /** The Docker engine of the `docker` backend (default: DOCKER_HOST, else the local socket). */
  docker?: Docker;
  isolation?: Isolation;
  /** Jobs at once (containers of the candidates' pool). */
  workers: number;
  /** Candidates' limits (default: DEFAULT_LIMITS). */
  limits?: JobLimits;
  /** PYTHONHASHSEED of every sandboxed process (default 0). */
  hashSeed?: number;
  /** Labels on every container of the session (a run's `verdict.run`, so a resume finds its orphans). */
  labels?: Record<string, string>;
  /** First remove every container carrying `labels`: what a killed process of the same run left. */
  pruneOrphans?: boolean;
  /** Reuse cached expected values (default true; false recomputes them). */
  groundTruthCache?: boolean;
  /** The verdict cache across sessions: on (the default), off, or one of the caller's. */
  verdictCache?: boolean | VerdictCache;
  /** Digest of the code that decides verdicts, part of every key (default: this process's own). */
  judgeDigest?: string;
  /**
   * Judge identical (program, tests, limits) once per session (the default). Off for measures
   * that must run every job (the bench's repeats, the soak's two passes).
   */
  memo?: boolean;
  /** Container memory cap of the candidates' pool in MiB (default: the largest job limit + the runner's headroom). */
  containerMemoryMb?: number;
  /** Container settings of every pool (default DEFAULT_CONTAINER). */
  container?: Partial<{ cpus: number; pidsLimit: number; tmpfsMb: number }>;
  /**
   * Tail splitting (src/runner/tail-split.ts): a long sample's tests not yet started run on an
   * idle worker (`tail`, the default), never (`off`), or every sample is cut as it starts (`eager`: tests).
   */
  split?: SplitMode;
  /** How long jobs wait for a Docker engine that went away (a restart). */
  engineWaitSeconds?: number;
  log?: (line: string) => void;
  /** Draw a progress bar on stderr while the expected values are computed (stderr is a terminal). */
  progress?: boolean;
  /** Aborting it closes every pool of the session at once (containers removed); judgements in flight reject with its reason. */
  signal?: AbortSignal;
}

/** What computing the expected values found (empty for `resolved` tasks). */
export interface GroundTruthReport {
  /** Seconds the reference runs took, when they were computed (now or in the run that cached them). */
  refSeconds: number;
  /** The reference tests' own run time in that computation, summed (the floor of computing them is this over the workers). */
  refRunSeconds: number;
  /** Tests the reference solution failed, in task order. */
  failures: TaskReferenceFailure[];
  /** Tasks with no test left: nothing can score them. */
  unscorable: string[];
  /** The expected values came from the cache. */
  cached: boolean;
}


/**
 * A session opened by `openJudgingSession`: the contract (src/core/session.ts) plus what the
 * pipelines need of it: the ground-truth report, sample identities, raw jobs for measures.
 */
export interface LocalJudgingSession extends JudgingSession {
  readonly backend: SandboxBackend;
  readonly groundTruth: GroundTruthReport;
  /** Estimates of each task's samples' cost, learnt as they are judged: the order a run takes them in. */
  readonly costs: CostEstimates;
  /** Judges a sample of a run: its verdict keeps its sample index; the head of its output comes along (none when reused). */
  judgeSample(sample: Sample, options?: JudgeRequestOptions): Promise<JudgedSample>;
  /** Runs a raw job in the candidates' pool, judged by nobody (the bench's trivial jobs). */
  runJob(job: Job, signal?: AbortSignal): Promise<RawJobResult>;
  /** Starts the candidates' pool now rather than on the first job. */
  warm(): Promise<void>;
  /** What each engine of the candidates' pool did so far (a pool over several engines, once started). */
  engineStats(): EngineStats[] | undefined;
  /** What tail splitting did so far. */
  splitStats(): SplitStats;
}
