/** Every way one test (or one sample) can end. Expected outcomes are data, never thrown. */
export const OUTCOMES = [
  "pass",
  "wrong_answer",
  "runtime_error",
  "syntax_error",
  "timeout",
  "memory_exceeded",
  "output_limit",
  "unserializable",
  "killed",
  /** No sample was submitted for the task (`verdict eval --missing fail`): a failure with no program behind it. */
  "missing",
  "sandbox_error",
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that are the program's fault; `sandbox_error` is the harness's, and `missing` has no program. */
export type ProgramOutcome = Exclude<Outcome, "sandbox_error" | "missing">;
