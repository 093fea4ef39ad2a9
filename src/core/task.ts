import type { WireTest } from "./job.js";
import type { PyValue } from "./py-value.js";

/**
 * How a returned value is judged against the expected one. Chosen by the benchmark
 * (data), applied by trusted code on decoded plain values.
 *
 * - `eq`: Python `==`.
 * - `evalplus`: EvalPlus's rule: `==`; else, when atol != 0 (atol becomes 1e-6 when it is 0
 *   and the expected value is a float or a non-empty list/tuple of floats), same type, same
 *   length for list/tuple, and numpy.allclose(out, exp, rtol=1e-7, atol).
 * - `set_eq`: `set(out) == set(exp)`; with `atol` (EvalPlus's set-equality oracles), when the
 *   sets differ, EvalPlus's float fallback of `evalplus` applies as well (same type, same
 *   length, numpy.allclose with that atol, 1e-6 when it is 0 and the expected value is float-like).
 * - `truthy` / `falsy`: `bool(out)` is True / False (expected is ignored).
 * - `isclose`: `math.isclose(out, exp, rel_tol, abs_tol)`.
 * - `always`: any value passes (a benchmark whose oracle accepts everything that returns).
 */
export type Comparator =
  | { kind: "eq" }
  | { kind: "evalplus"; atol: number }
  | { kind: "set_eq"; atol?: number }
  | { kind: "truthy" }
  | { kind: "falsy" }
  | { kind: "isclose"; relTol: number; absTol: number }
  | { kind: "always" };

/**
 * A builtin the judge applies on the host to the job's value, as plain data, before comparing
 * (a decomposed `set(f(x)) == {1, 2}` sends f(x) back, never set() run in the job).
 */
export type View = "set" | "frozenset" | "list" | "tuple" | "len" | "int";

/** The trusted half of a test: the expected value, how to compare, and accepted alternatives. */
export interface Expectation {
  expected: PyValue;
  comparator: Comparator;
  /** Views applied to the returned value, innermost first, before any comparison. */
  view?: View[];
  /** A value that also passes when its own comparator accepts it (EvalPlus's special oracles). */
  alternatives?: { expected: PyValue; comparator: Comparator }[];
}

/** One test of a task: what the job runs (inputs only) and how trusted code judges it. */
export interface Test {
  /** Stable within the task, e.g. "test/0", "base/12", "plus/3". */
  id: string;
  /** "test", "challenge", "base", "plus", ... Groups get their own status when a benchmark has several. */
  group: string;
  input: WireTest;
  /** null: the test passes when the job finishes it without an exception (an in-job assert). */
  expect: Expectation | null;
  /** The assert ran inside the untrusted process, so its pass is weaker evidence. */
  weak?: boolean;
  /** Per-test time limit in CPU seconds (wall-clock backstop 3×), overriding the run's default. */
  seconds?: number;
  /**
   * Where `seconds` came from, when the reference's time calibrated it: `seconds` =
   * max(floorSeconds, factor × referenceSeconds). Said in a timeout's detail; not part of what is judged.
   */
  calibration?: CalibratedLimit;
  /** Human-readable form for reports, e.g. the original assert. */
  display?: string;
}

/** How a test's time limit was derived from the reference solution's time on it. */
export interface CalibratedLimit {
  factor: number;
  referenceSeconds: number;
  /** The benchmark's own minimum (MBPP+: 4 s); the run's --timeout is another floor, applied when the job is built. */
  floorSeconds: number;
}

/** A benchmark task, with every test's expectation resolved. */
export interface Task {
  /** Canonical id, e.g. "11" for MBPP, "Mbpp/2" for MBPP+. */
  taskId: string;
  /** The natural-language task and any prompt text. */
  text: string;
  /** What a `completion` sample is appended to (EvalPlus's prompt). Empty when unused. */
  prompt: string;
  /** The reference solution (a whole program). */
  reference: string;
  /** Code run after the program and before the tests. */
  setup: string;
  entryPoint?: string;
  tests: Test[];
  /** Memory limit for this task in MiB, when the benchmark calibrates one. */
  memoryMb?: number;
  /** Seconds the reference solution took on all tests: an estimate of a sample's cost, for scheduling. */
  costSeconds?: number;
}

/** A loaded benchmark: tasks in order plus what identifies the data. */
export interface Benchmark {
  name: string;
  split: string;
  /** sha256 of each data file read, by file name. */
  dataSha256: Record<string, string>;
  tasks: Task[];
  /** Groups whose statuses are reported separately (e.g. ["base", "plus"]). */
  groups: string[];
}

/** An expectation still to be computed by running the reference solution (trusted) in the sandbox. */
export interface ExpectFromReference {
  from: "reference";
  comparator: Comparator;
  /**
   * Extra accepted values, each computed by calling a trusted oracle function (defined in
   * `TaskSpec.oracleCode`) on the same inputs, e.g. EvalPlus's `_surface_Area` for Mbpp/581.
   */
  alternatives?: { fn: string; comparator: Comparator }[];
}

/** An MBPP-style assert, decomposed and resolved before judging (see src/runner/ground-truth.ts). */
export interface AssertInput {
  kind: "assert";
  src: string;
}

/** A test as a benchmark loader produces it: inputs known, expectation possibly pending. */
export interface TestSpec extends Omit<Test, "input" | "expect"> {
  input: Test["input"] | AssertInput;
  expect: Expectation | ExpectFromReference | null;
}

/** A task as a benchmark loader produces it, before expectations are resolved. */
export interface TaskSpec extends Omit<Task, "tests"> {
  tests: TestSpec[];
  /** Trusted helper code (oracle functions) appended to the reference program when computing expectations. */
  oracleCode?: string;
  /** Per-test time limit = max(minSeconds, factor × the reference's time on that test) (EvalPlus). */
  timeCalibration?: { factor: number; minSeconds: number };
}

/** A loaded benchmark before expectations are resolved. */
export interface BenchmarkSpec extends Omit<Benchmark, "tasks"> {
  tasks: TaskSpec[];
}
