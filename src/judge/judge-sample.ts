/**
 * Turns what the sandbox observed (RawJobResult) into a SampleVerdict. Trusted code: the
 * untrusted job only ever supplied values and exception text, which are decoded strictly
 * and compared here.
 *
 * Mapping of raw statuses to outcomes:
 * - value: decoded (failure → unserializable), then judged by the test's expectation
 *   (pass / wrong_answer); a test without expectation (an in-job assert) passes on any value;
 * - raised: runtime_error "Type: message" (MemoryError → memory_exceeded; an AssertionError
 *   from an in-job assert → wrong_answer, since that is the assert failing);
 * - timeout, memory, killed, output_limit, unserializable: the outcome of the same name;
 * - exited: runtime_error "exited with code N" (an early `exit(0)` is never a pass);
 * - protocol: runtime_error "result channel corrupted";
 * - skipped: the outcome of the test that ended the process, so a crash counts once in the
 *   sample status and every later test shows why it did not run.
 * A failed load gives every test the load's outcome. The sample status is pass when every
 * test passes, else the first non-passing outcome in test order; per group likewise.
 * A raw result that is inconsistent with the job (missing or duplicate test results, a skip
 * with nothing before it that ended the process) is the sandbox's fault: SandboxFault.
 */
import { SandboxFault } from "../core/errors.js";
import type { RawLoad, RawJobResult, RawTestResult } from "../core/job.js";
import type { Outcome } from "../core/outcome.js";
import type { PyValue } from "../core/py-value.js";
import type { Sample } from "../core/sample.js";
import type { Comparator, Expectation, Task, Test } from "../core/task.js";
import type { SampleVerdict, TestVerdict } from "../core/sample-verdict.js";
import { decodeValue } from "./codec.js";
import { evalplusAtolOf, expectationHolds, isFloats, pySetKeys, withEvalplusFloatAtol } from "./comparators.js";
import { pyRepr } from "./py-repr.js";
import { applyViews } from "./views.js";

/** What judgeSample needs besides the task, the sample and the raw result. */
export interface JudgeSampleOptions {
  /** Wall-clock seconds the sample took to judge. */
  seconds: number;
  cached: boolean;
  programSha256: string;
  /** Groups reported separately; "base" and "plus" fill base_status and plus_status. */
  groups: string[];
  /** The job's per-test CPU limits (seconds), as it ran: each test's verdict records its limit, and a timeout says it. */
  testSeconds?: readonly number[];
}

/** What sandboxErrorVerdict needs. */
export interface SandboxErrorOptions {
  seconds: number;
  programSha256: string;
  /** Defaults to the groups the task's tests use. */
  groups?: string[];
  cached?: boolean;
}

interface Judged {
  outcome: Outcome;
  detail?: string;
}

const EXC_MAX = 100;
const MSG_MAX = 300;
const REPR_MAX = 120;

const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  4: "SIGILL",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  31: "SIGSYS",
};

function clip(s: string, max: number): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/** Untrusted exception text as "Type: message", bounded. */
function exceptionText(exc: unknown, msg: unknown, fallback: string): string {
  const type = typeof exc === "string" && exc !== "" ? clip(exc, EXC_MAX) : fallback;
  const message = typeof msg === "string" && msg !== "" ? `: ${clip(msg, MSG_MAX)}` : "";
  return type + message;
}

function signalText(sig: unknown): string {
  if (typeof sig !== "number" || !Number.isInteger(sig)) return "killed by a signal";
  const name = SIGNALS[sig];
  return `killed by signal ${sig}${name ? ` (${name})` : ""}`;
}

function exitText(code: unknown): string {
  return typeof code === "number" && Number.isInteger(code) ? `exited with code ${code}` : "exited";
}

/** The outcome of a load that did not succeed, or undefined when it did. */
function judgeLoad(load: RawLoad): Judged | undefined {
  switch (load.st) {
    case "ok":
      return undefined;
    case "syntax_error": {
      const text = exceptionText(load.exc, load.msg, "SyntaxError");
      // Python's message usually names the line itself ("invalid syntax (<program>, line 2)"): say it once.
      const line = typeof load.line === "number" && Number.isInteger(load.line) && !text.includes(`line ${load.line}`) ? ` (line ${load.line})` : "";
      return { outcome: "syntax_error", detail: text + line };
    }
    case "raised":
      if (load.exc === "MemoryError") return { outcome: "memory_exceeded", detail: exceptionText(load.exc, load.msg, "") };
      return { outcome: "runtime_error", detail: exceptionText(load.exc, load.msg, "exception") };
    case "timeout":
      return { outcome: "timeout", detail: typeof load.msg === "string" && load.msg !== "" ? clip(load.msg, MSG_MAX) : "time limit exceeded while loading" };
    case "memory":
      return { outcome: "memory_exceeded", detail: "memory limit exceeded while loading" };
    case "killed":
      return { outcome: "killed", detail: signalText(load.sig) };
    case "exited":
      return { outcome: "runtime_error", detail: exitText(load.code) };
    case "output_limit":
      return { outcome: "output_limit", detail: "output limit exceeded" };
    case "protocol":
      return { outcome: "runtime_error", detail: "result channel corrupted" };
    default:
      throw new SandboxFault(`malformed raw result: unknown load status ${JSON.stringify(load.st as unknown)}`);
  }
}

function mismatchDetail(e: Expectation, actual: PyValue): string {
  const got = pyRepr(actual, REPR_MAX);
  switch (e.comparator.kind) {
    case "truthy":
      return `expected a truthy value got ${got}`;
    case "falsy":
      return `expected a falsy value got ${got}`;
    case "set_eq":
      return `expected the same set as ${pyRepr(e.expected, REPR_MAX)} got ${got}`;
    default:
      return `expected ${pyRepr(e.expected, REPR_MAX)} got ${got}`;
  }
}

function usesEvalplus(e: Expectation): boolean {
  const reads = (c: Comparator): boolean => evalplusAtolOf(c) !== undefined;
  return reads(e.comparator) || (e.alternatives?.some((a) => reads(a.comparator)) ?? false);
}

/**
 * EvalPlus keeps its `atol` in one variable across a process's inputs: once an input whose
 * expected value is float-like has returned, atol stays 1e-6 for every later input of that
 * run (base and plus inputs are separate runs). Verdicts only match EvalPlus's if that
 * carries over, so it is tracked per group, in test order.
 */
class EvalplusAtolState {
  private readonly raised = new Set<string>();

  /** The expectation to apply to `test`, given what ran before it. */
  expectationFor(test: Test, e: Expectation): Expectation {
    return this.raised.has(test.group) && usesEvalplus(e) ? withEvalplusFloatAtol(e) : e;
  }

  /** Records that `test` returned `actual` (EvalPlus reaches its atol update only then). */
  returned(test: Test, e: Expectation, actual: PyValue): void {
    if (!usesEvalplus(e) || !isFloats(e.expected)) return;
    // The set-equality oracle raises on a non-iterable output before the update.
    if (e.comparator.kind === "set_eq" && pySetKeys(actual) === undefined) return;
    this.raised.add(test.group);
  }
}

function judgeValue(test: Test, r: RawTestResult, atol: EvalplusAtolState): Judged {
  if (test.expect === null) return { outcome: "pass" };
  const decoded = decodeValue(r.v);
  if (!decoded.ok) return { outcome: "unserializable", detail: `unserializable value: ${decoded.reason}` };
  const viewed = applyViews(test.expect.view, decoded.value);
  if (!viewed.ok) return { outcome: viewed.outcome, detail: viewed.detail };
  const e = atol.expectationFor(test, test.expect);
  const pass = expectationHolds(e, viewed.value);
  atol.returned(test, test.expect, viewed.value);
  return pass ? { outcome: "pass" } : { outcome: "wrong_answer", detail: mismatchDetail(e, viewed.value) };
}

function judgeRaw(test: Test, r: RawTestResult, atol: EvalplusAtolState): Judged {
  switch (r.st) {
    case "value":
      return judgeValue(test, r, atol);
    case "raised":
      if (r.exc === "MemoryError") return { outcome: "memory_exceeded", detail: exceptionText(r.exc, r.msg, "") };
      if (r.exc === "AssertionError" && test.expect === null) {
        return { outcome: "wrong_answer", detail: exceptionText(r.exc, r.msg, "") };
      }
      return { outcome: "runtime_error", detail: exceptionText(r.exc, r.msg, "exception") };
    case "timeout":
      // The runner's own words (it says when the sample's budget, not the test's limit, ran out).
      return { outcome: "timeout", detail: typeof r.msg === "string" && r.msg !== "" ? clip(r.msg, MSG_MAX) : "time limit exceeded" };
    case "memory":
      return { outcome: "memory_exceeded", detail: "memory limit exceeded" };
    case "killed":
      return { outcome: "killed", detail: signalText(r.sig) };
    case "exited":
      return { outcome: "runtime_error", detail: exitText(r.code) };
    case "output_limit":
      return { outcome: "output_limit", detail: "output limit exceeded" };
    case "unserializable":
      return {
        outcome: "unserializable",
        detail: typeof r.msg === "string" && r.msg !== "" ? clip(r.msg, MSG_MAX) : "not a plain Python value",
      };
    case "protocol":
      return { outcome: "runtime_error", detail: "result channel corrupted" };
    default:
      throw new SandboxFault(`malformed raw result: unknown test status ${JSON.stringify(r.st as unknown)}`);
  }
}

function testVerdict(test: Test, judged: Judged, seconds?: unknown, limit?: number): TestVerdict {
  const v: TestVerdict = { id: test.id, outcome: judged.outcome };
  if (typeof seconds === "number" && Number.isFinite(seconds) && seconds >= 0) v.seconds = seconds;
  if (limit !== undefined) v.limit_s = limit;
  if (judged.detail !== undefined) v.detail = judged.detail;
  if (test.weak) v.weak = true;
  return v;
}

/** A wall-clock time near this multiple of the CPU limit means the runner's backstop ended the test. */
const WALL_BACKSTOP = 3;

/** Seconds as a person reads them: "4.0", "0.93", "0.012". */
function secondsText(x: number): string {
  return x >= 1 ? x.toFixed(1) : String(Number(x.toPrecision(2)));
}

/**
 * What a timeout's limit was and how it was counted: "4.0 s CPU limit (4 × reference 0.93 s),
 * 11.0 s wall". The limit is the larger of the run's --timeout and the test's calibrated
 * limit (max(the benchmark's floor, factor × the reference's time)); the runner stops a test on
 * CPU time, or on wall time at 3 × the limit (a program that sleeps or waits).
 */
function timeoutDetail(test: Test, limit: number, r: RawTestResult): string {
  const cal = test.calibration;
  const scaled = cal !== undefined ? `${cal.factor} × reference ${secondsText(cal.referenceSeconds)} s` : undefined;
  let how: string;
  if (test.seconds !== undefined && limit === test.seconds && cal !== undefined) {
    how = cal.factor * cal.referenceSeconds >= cal.floorSeconds ? scaled ?? "" : `the benchmark's floor; ${scaled} is less`;
  } else {
    how = scaled !== undefined ? `--timeout; ${scaled} is less` : "--timeout";
  }
  const wall = typeof r.t === "number" && Number.isFinite(r.t) ? r.t : undefined;
  const backstop = wall !== undefined && wall >= WALL_BACKSTOP * limit * 0.98 ? ` (the wall-clock backstop, ${WALL_BACKSTOP} × the limit)` : "";
  const counted = `${secondsText(limit)} s CPU limit (${how})${wall !== undefined ? `, ${secondsText(wall)} s wall${backstop}` : ""}`;
  // The runner's own words come first when it says more (the sample's whole budget was spent).
  return typeof r.msg === "string" && r.msg !== "" ? `${clip(r.msg, MSG_MAX)}; ${counted}` : counted;
}

/** Raw results by test index, checked against the job's tests. */
function indexResults(task: Task, raw: RawJobResult): Map<number, RawTestResult> {
  if (!Array.isArray(raw.tests)) throw new SandboxFault("malformed raw result: tests is not a list");
  const byIndex = new Map<number, RawTestResult>();
  for (const r of raw.tests) {
    const i = r?.i;
    if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= task.tests.length) {
      throw new SandboxFault(`malformed raw result: test index ${JSON.stringify(i)} out of range`);
    }
    if (byIndex.has(i)) throw new SandboxFault(`malformed raw result: test ${i} reported twice`);
    byIndex.set(i, r);
  }
  return byIndex;
}

function judgeTests(task: Task, raw: RawJobResult, limits?: readonly number[]): TestVerdict[] {
  const byIndex = indexResults(task, raw);
  const atol = new EvalplusAtolState();
  // The last test that did not return normally: what a later "skipped" inherits.
  let ender: { id: string; judged: Judged } | undefined;
  return task.tests.map((test, i) => {
    const r = byIndex.get(i);
    if (r === undefined) throw new SandboxFault(`malformed raw result: no result for test ${i} (${test.id})`);
    if (r.st === "skipped") {
      if (ender === undefined) throw new SandboxFault(`malformed raw result: test ${i} skipped but nothing ended the process`);
      return testVerdict(test, { outcome: ender.judged.outcome, detail: `not run: test ${ender.id} ended the process` });
    }
    const limit = limits?.[i];
    const found = judgeRaw(test, r, atol);
    const judged = found.outcome === "timeout" && limit !== undefined ? { ...found, detail: timeoutDetail(test, limit, r) } : found;
    ender = r.st === "value" ? undefined : { id: test.id, judged };
    return testVerdict(test, judged, r.t, limit);
  });
}

/**
 * The first non-passing outcome in test order, else pass. No test is no evidence, so there is
 * no status over none: judgeSample refuses a task without tests, and a group the benchmark
 * gave no tests (Mbpp/793 has no plus inputs) is settled by groupStatuses, as EvalPlus does.
 */
function firstFailure(tests: readonly TestVerdict[]): Outcome {
  if (tests.length === 0) throw new Error("internal: a status over no tests");
  return tests.find((t) => t.outcome !== "pass")?.outcome ?? "pass";
}

function groupStatuses(task: Task, tests: readonly TestVerdict[], groups: readonly string[]): Pick<SampleVerdict, "base_status" | "plus_status"> {
  const statusOf = (g: string): Outcome => {
    const own = tests.filter((_, i) => task.tests[i]?.group === g);
    // EvalPlus: a group with no inputs has nothing to fail.
    return own.length === 0 ? "pass" : firstFailure(own);
  };
  const out: Pick<SampleVerdict, "base_status" | "plus_status"> = {};
  if (groups.includes("base")) out.base_status = statusOf("base");
  if (groups.includes("plus")) out.plus_status = statusOf("plus");
  return out;
}

/** Judges one sample's raw job result against its task's tests (see the mapping above). */
export function judgeSample(task: Task, sample: Sample, raw: RawJobResult, opts: JudgeSampleOptions): SampleVerdict {
  if (raw === null || typeof raw !== "object" || raw.load === null || typeof raw.load !== "object") {
    throw new SandboxFault("malformed raw result: no load report");
  }
  if (task.tests.length === 0) {
    // A task with no test left cannot judge anything; passing it would pass any program that loads.
    throw new Error(`internal: task ${task.taskId} has no tests: it is unscorable and must never be judged`);
  }
  const load = judgeLoad(raw.load);
  const tests = load
    ? task.tests.map((test) => testVerdict(test, { outcome: load.outcome }))
    : judgeTests(task, raw, opts.testSeconds);
  const verdict: SampleVerdict = {
    task_id: sample.taskId,
    sample_index: sample.sampleIndex,
    status: load ? load.outcome : firstFailure(tests),
    ...groupStatuses(task, tests, opts.groups),
    tests,
    weak: tests.some((t) => t.outcome === "pass" && t.weak === true),
    seconds: opts.seconds,
    ...(raw.cpuSeconds !== undefined ? { cpu_s: raw.cpuSeconds } : {}),
    cached: opts.cached,
    program_sha256: opts.programSha256,
  };
  if (load?.detail !== undefined) verdict.load_detail = load.detail;
  return verdict;
}

/** A verdict for a sample the sandbox could not judge: sandbox_error everywhere, never a pass or a fail. */
export function sandboxErrorVerdict(task: Task, sample: Sample, message: string, opts: SandboxErrorOptions): SampleVerdict {
  const detail = clip(message, MSG_MAX);
  const tests = task.tests.map((test) => testVerdict(test, { outcome: "sandbox_error", detail }));
  const groups = opts.groups ?? [...new Set(task.tests.map((t) => t.group))];
  return {
    task_id: sample.taskId,
    sample_index: sample.sampleIndex,
    status: "sandbox_error",
    ...(groups.includes("base") ? { base_status: "sandbox_error" as const } : {}),
    ...(groups.includes("plus") ? { plus_status: "sandbox_error" as const } : {}),
    tests,
    weak: false,
    seconds: opts.seconds,
    cached: opts.cached ?? false,
    program_sha256: opts.programSha256,
  };
}
