import type { JobLimits } from "./job.js";
import type { Outcome } from "./outcome.js";
import type { EngineSummary, SandboxInfo } from "./sandbox.js";

/**
 * What `verdict eval` does with benchmark tasks that have no sample: `error` refuses the
 * samples file, `fail` scores each such task as a failure (outcome `missing`), `skip` scores
 * the tasks that have samples and labels every figure "partial: N of M tasks".
 */
export type MissingPolicy = (typeof MISSING_POLICIES)[number];

/** The missing-task policies, in the order `--missing` lists them. */
export const MISSING_POLICIES = ["error", "fail", "skip"] as const;

/** What can become of a test the reference failed (see ReferenceFailure.handling). */
export const REFERENCE_FAILURE_HANDLINGS = ["left_out", "unverified", "uncalibrated", "alternative_dropped"] as const;

/** A test the reference solution itself failed (a benchmark defect, or too little memory), and what became of it. */
export interface ReferenceFailure {
  /** The test's id, e.g. "plus/86". */
  test: string;
  /** What the reference did instead of passing, e.g. "memory: …", "raised ZeroDivisionError: division by zero". */
  why: string;
  /**
   * What happens to the test: `left_out` (no expected value: the test is not run), `unverified`
   * (an MBPP assert run whole inside the job, its pass weak), `uncalibrated` (kept, with the
   * run's own time limit), `alternative_dropped` (kept, without the alternative answer the failed oracle would give).
   */
  handling: (typeof REFERENCE_FAILURE_HANDLINGS)[number];
}

/** summary.json, and the single object `verdict eval --json` prints. */
export interface RunSummary {
  benchmark: string;
  split: string;
  tasks: number;
  samples: number;
  /** Unbiased pass@k for each requested k not above the smallest per-task sample count. */
  pass_at_k: Record<string, number>;
  /** For benchmarks with base and plus tests: pass@k on the base tests alone. */
  base_pass_at_k?: Record<string, number>;
  outcomes: Partial<Record<Outcome, number>>;
  /** Samples whose pass rests on an assert run inside the untrusted process. */
  weak_passes?: number;
  seconds: number;
  /** Tasks of the benchmark split (M); `tasks` (N) is how many the figures cover. Absent in summaries written before it was recorded. */
  tasks_total?: number;
  /** The figures cover fewer tasks than the benchmark has: every rendering says "partial: N of M tasks". */
  partial?: boolean;
  /** How tasks without a sample were treated. */
  missing_policy?: MissingPolicy;
  /** Tasks with no sample, in benchmark order: scored as failures (`fail`) or left out of the figures (`skip`). */
  tasks_missing?: string[];
  /** Tasks with no test left (the reference failed every one): never scored, and left out of the figures. */
  tasks_unscorable?: string[];
  /** Per task, the tests its reference solution failed, why, and what became of each. */
  reference_failures?: Record<string, ReferenceFailure[]>;
  /** A pool over several Docker engines: what each engine did in this session. */
  engines?: EngineSummary[];
  /**
   * What came from the caches: verdicts reused from the verdict cache (of `samples`), and
   * whether the expected values (and the reference timings the limits derive from) were cached.
   */
  cached?: { verdicts: number; expected_values?: boolean };
  /**
   * Tasks with a sample that finished a test within 25% of its time limit: on a busier machine
   * the same program may time out, so their verdicts can flip between runs (timing-bound).
   */
  timing_bound?: string[];
}

/** The limits a manifest records: the candidates' limits, and how long computing the expected values took. */
export interface ManifestLimits extends Partial<JobLimits> {
  /** Seconds the reference runs took (information, not a limit: `compare` does not compare it). */
  reference_seconds?: number;
  /** The per-test CPU limits the run derived (max(--timeout, the test's calibrated limit)), as a digest and totals. */
  test_limits?: TestLimitsDigest;
}

/** Every per-test time limit of a run in one line: equal digests, equal limits on every test. */
export interface TestLimitsDigest {
  tests: number;
  total_s: number;
  max_s: number;
  sha256: string;
}

/** manifest.json: everything needed to reproduce and compare a run. */
export interface RunManifest {
  run_id: string;
  verdict_version: string;
  created_at: string;
  benchmark: string;
  split: string;
  data_sha256: Record<string, string>;
  samples_source: string;
  samples_sha256?: string;
  /** The tests the samples were judged on, when not only the benchmark's: `tcg:RUN_DIR` or `benchmark+tcg:RUN_DIR`. */
  tests?: string;
  /** sha256 of that TCG run's tests.jsonl. */
  tests_sha256?: string;
  sandbox: SandboxInfo;
  limits: ManifestLimits;
  k: number[];
  /** Tests the reference solution failed, one line each saying why and what became of the test. */
  reference_failures?: string[];
  /** How tasks without a sample are treated (`verdict eval --missing`). */
  missing_policy?: MissingPolicy;
  status: "running" | "complete" | "interrupted";
  node: string;
  host: { cpus: number; platform: string };
}
