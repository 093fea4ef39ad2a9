/**
 * A generated case's validity: what running it on the reference solution said about it. The
 * judge compares the reference's value with the case's output by the task's rules
 * (src/judge/judge-sample.ts), so a pass means the case states what the reference returns.
 *
 * | reference outcome on the case | validity |
 * |---|---|
 * | pass | `valid` |
 * | wrong_answer | `wrong_output` (the case's output is not what the reference returns) |
 * | timeout | `timeout` (an input the reference cannot finish, e.g. one that makes it loop) |
 * | runtime_error, unserializable, memory_exceeded, output_limit, killed, syntax_error | `reference_error` (the input is outside what the reference handles, or its value cannot be compared) |
 * | sandbox_error (or any outcome no program caused) | `sandbox_error`: nobody's verdict on the case; left out of every rate |
 *
 * Cases decided before running keep `unparsable`, `duplicate` or `too_long`.
 *
 * The reference runs the cases with the task's longest calibrated limit (the room its
 * benchmark tests get); a valid case's test is then calibrated on the reference's own time on
 * it, EvalPlus's max(floor, 4 × the reference's time) (src/benchmarks/time-calibration.ts), and
 * keeps the reference's outcome and time beside its validity.
 */
import type { Outcome } from "../core/outcome.js";
import type { TestVerdict } from "../core/sample-verdict.js";
import type { JudgingSession } from "../core/session.js";
import type { Task } from "../core/task.js";
import { calibratedSeconds, DEFAULT_CALIBRATION, type TimeCalibration } from "../benchmarks/time-calibration.js";
import type { PreparedCase } from "./generated-tests.js";

export const CASE_VALIDITIES = [
  "valid",
  "wrong_output",
  "reference_error",
  "timeout",
  "unparsable",
  "duplicate",
  "too_long",
  "sandbox_error",
] as const;

/** Every way a generated case ends up (see the table above). */
export type CaseValidity = (typeof CASE_VALIDITIES)[number];

/** A case with its validity and, when not valid, why. */
export interface ValidatedCase extends PreparedCase {
  validity: CaseValidity;
  /** What the reference did on the case's test, when it ran: its outcome and wall time. */
  reference?: { outcome: Outcome; seconds?: number };
}

/** The validity a reference outcome gives a case (the table above). */
export function validityOf(outcome: Outcome): CaseValidity {
  switch (outcome) {
    case "pass":
      return "valid";
    case "wrong_answer":
      return "wrong_output";
    case "timeout":
      return "timeout";
    case "runtime_error":
    case "unserializable":
    case "memory_exceeded":
    case "output_limit":
    case "killed":
    case "syntax_error":
      return "reference_error";
    default:
      // sandbox_error, and any outcome that is no program's verdict: nothing is known about the case.
      return "sandbox_error";
  }
}

/**
 * Gives each case its validity: a case decided before running keeps its status; a case that
 * ran takes it from the reference's verdict on its test (matched by test id). A case that ran
 * but has no verdict is a harness bug, so it throws. With `calibration`, a valid case's test
 * gets its time limit from the reference's time on it (the module comment).
 */
export function applyValidation(cases: readonly PreparedCase[], verdicts: readonly TestVerdict[], calibration?: TimeCalibration): ValidatedCase[] {
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  return cases.map((c) => {
    if (c.status !== undefined) return { ...c, validity: c.status };
    const v = byId.get(c.id);
    if (v === undefined) throw new Error(`no reference verdict for generated test ${c.id} of task ${c.taskId}`);
    const validity = validityOf(v.outcome);
    const { detail: _old, ...rest } = c;
    const seconds = validity === "valid" && calibration !== undefined ? calibratedSeconds(calibration, v.seconds) : undefined;
    return {
      ...rest,
      ...(seconds !== undefined && c.test !== undefined ? { test: { ...c.test, seconds } } : {}),
      validity,
      reference: { outcome: v.outcome, ...(v.seconds !== undefined ? { seconds: v.seconds } : {}) },
      ...(validity !== "valid" && v.detail !== undefined ? { detail: v.detail } : {}),
    };
  });
}

/** What validating a task's cases needs of a judging session. */
export type CaseJudge = Pick<JudgingSession, "judge">;

/**
 * Validates one task's prepared cases: the reference runs every runnable case's test in one
 * job, through the judging session (every test run, a crash included), and each case gets its
 * validity (applyValidation). A task without a runnable case runs nothing.
 */
export async function validateCases(
  session: CaseJudge,
  task: Task,
  cases: readonly PreparedCase[],
  options: { calibration?: TimeCalibration; signal?: AbortSignal } = {},
): Promise<ValidatedCase[]> {
  const tests = cases.flatMap((c) => (c.test !== undefined ? [c.test] : []));
  if (tests.length === 0) return applyValidation(cases, [], options.calibration);
  const judged = await session.judge(task, task.reference, { tests, untilFirstFailure: false, ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  return applyValidation(cases, judged.tests, options.calibration ?? DEFAULT_CALIBRATION);
}
