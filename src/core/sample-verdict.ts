import type { Outcome } from "./outcome.js";

/** The judged outcome of one test. */
export interface TestVerdict {
  id: string;
  outcome: Outcome;
  seconds?: number;
  /** The test's time limit in CPU seconds, when it ran (the run's --timeout, or more for a test calibrated on a slow reference). */
  limit_s?: number;
  /** Why it did not pass: exception type and message, or a short expected/actual diff. */
  detail?: string;
  weak?: boolean;
}

/** One line of verdicts.jsonl: the judged outcome of one sample. */
export interface SampleVerdict {
  task_id: string;
  sample_index: number;
  /** pass when every test passed; otherwise the first failing test's (or the load's) outcome. */
  status: Outcome;
  /** Status per test group, for benchmarks with several (MBPP+: base_status, plus_status). */
  base_status?: Outcome;
  plus_status?: Outcome;
  tests: TestVerdict[];
  /** Why the program failed to load, when it did. */
  load_detail?: string;
  /** Some passing test ran its assert inside the untrusted process. */
  weak: boolean;
  seconds: number;
  /** CPU seconds the sample's processes used in the sandbox (loads and tests), when the sandbox counts them. */
  cpu_s?: number;
  /** The verdict was reused from the verdict cache. */
  cached: boolean;
  /** sha256 of the program judged. */
  program_sha256: string;
  /** The engine that ran it, in a pool spanning several Docker engines (absent when cached or on one engine). */
  engine?: string;
}
