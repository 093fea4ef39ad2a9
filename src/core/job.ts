import type { TaggedValue } from "./py-value.js";

/**
 * What the untrusted process is asked to do for one test. It carries inputs only:
 * expected values never leave the trusted side.
 *
 * - `call`: call `fn(*args)` in the program's namespace; `project` applies a fixed,
 *   benchmark-chosen projection in the job (`not_none`: a bool stays itself,
 *   anything else becomes `value is not None`) so non-plain results can be judged.
 * - `expr`: evaluate a Python expression in the program's namespace.
 * - `exec`: execute statements (a non-decomposable assert); the value is None.
 * - `stdio`: run the whole program as `__main__` with this stdin; the value is its stdout.
 */
export type WireTest =
  | { kind: "call"; fn: string; args: TaggedValue[]; project?: "not_none" }
  | { kind: "expr"; src: string }
  | { kind: "exec"; src: string }
  | { kind: "stdio"; stdin: string };

/** Resource limits for one job, enforced by the in-container runner. */
export interface JobLimits {
  /** CPU seconds allowed per test, with a wall-clock backstop of 3× (one number for all, or one per test). */
  testSeconds: number | number[];
  /** CPU seconds allowed to load the program and run the setup code (wall-clock backstop 3×). */
  loadSeconds: number;
  /** Address-space limit of the job process, in MiB. */
  memoryMb: number;
  /** Bytes of stdout plus stderr the job may write before it is stopped. */
  outputBytes: number;
  /**
   * What one return value may cost before it travels as a digest: its JSON bytes plus 16 per
   * item and 48 per container, about its size once decoded. A job's values together may cost
   * 8x this (over it: output_limit).
   */
  valueBytes: number;
  /**
   * The per-sample budget, EvalPlus's: the whole job (every load and test) may use
   * min(sampleSeconds, the sum of its test limits) + 1 CPU seconds, with a wall-clock backstop
   * of 1.5x that; over it, the test running is `timeout` and the rest are not run.
   * Absent: no budget beyond the per-test limits.
   */
  sampleSeconds?: number;
}

/** One unit of sandboxed work: a program, optional setup code, and test inputs. */
export interface Job {
  id: string;
  program: string;
  /** Code run after the program and before the tests (MBPP's test_setup_code). */
  setup: string;
  tests: WireTest[];
  limits: JobLimits;
  /** After a test kills the process (timeout, memory, signal), run the rest in a new process. */
  continueAfterCrash: boolean;
  /** The job's CPU budget in seconds, instead of the one its limits give (a part of a split sample gets what the sample had left). */
  sampleBudgetSeconds?: number;
}

/** How the untrusted process ended one test, as the runner observed it. */
export type RawTestStatus =
  | "value" // returned a value (v holds it, still untrusted)
  | "raised" // raised an exception (exc, msg)
  | "timeout"
  | "memory"
  | "killed" // died by a signal (sig)
  | "exited" // the process exited during the test (code)
  | "output_limit"
  | "unserializable" // the value is not a plain Python value or too large
  | "protocol" // the result channel carried something malformed
  | "skipped"; // not run because an earlier test ended the process

/** One test's raw result. Every field but `i` and `st` is optional and untrusted. */
export interface RawTestResult {
  i: number;
  st: RawTestStatus;
  v?: TaggedValue;
  exc?: string;
  msg?: string;
  sig?: number;
  code?: number;
  /** Seconds the test took, measured by the runner. */
  t?: number;
}

/** How loading the program (and the setup code) went. */
export interface RawLoad {
  st: "ok" | "syntax_error" | "raised" | "timeout" | "memory" | "killed" | "exited" | "output_limit" | "protocol";
  exc?: string;
  msg?: string;
  sig?: number;
  code?: number;
  line?: number;
}

/**
 * A running job, as the host may steer it: `cut` asks the runner to end the job early so that
 * another worker runs the tests it has not started. It resolves with the tests [from, to) given
 * up (the job still runs test `from`, so both sides run it), or null when nothing was cut.
 */
export interface JobControl {
  cut(): Promise<CutSpan | null>;
  /** Stops the job at once: its result is no longer needed (resolves once the runner has read it). */
  cancel(): Promise<void>;
}

/** The tests [from, to) a cut job gave up, and the CPU seconds the job had used when it was cut. */
export interface CutSpan {
  from: number;
  to: number;
  usedCpuSeconds?: number;
}

/** What a sandbox hands back for one job. Verdicts are computed from this on the trusted side. */
export interface RawJobResult {
  id: string;
  load: RawLoad;
  tests: RawTestResult[];
  /** The first bytes of stdout and stderr, for reports. */
  stdout: string;
  stderr: string;
  /** Peak resident memory of the job's processes, in KiB. */
  maxRssKb: number;
  wallSeconds: number;
  /** CPU seconds the job's processes used, by the container's CPU counter (absent on the host backend). */
  cpuSeconds?: number;
  /** The engine that ran it, in a pool spanning several (its label); absent on one engine. */
  engine?: string;
}
