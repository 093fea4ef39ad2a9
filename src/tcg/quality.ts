/**
 * How good a TCG's tests are, measured as its peers measure test generators:
 *
 * - validity: valid cases / cases (the paper's TCG quality: the share of generated cases the
 *   reference passes), with a Wilson interval; every case the answers held counts, including
 *   unparsable, too-long and duplicate ones, except `sandbox_error` (no verdict on the case).
 *   Also over the cases that ran on the reference only, and per task;
 * - all-valid rate: tasks whose every counted case is valid / tasks (a task without any
 *   counted case is not all-valid);
 * - TPR (CodeContests+): correct programs (the reference, known-correct samples) accepted by
 *   every valid generated test of their task / correct programs;
 * - kill rate, or TNR: wrong programs (failing samples of earlier runs, non-equivalent mutants
 *   of the reference) that fail at least one valid generated test of their task / wrong programs.
 * A program whose task has no valid test is `untested`; one whose only non-passes are
 * sandbox errors is `undetermined`; both are left out of the rates and counted.
 */
import type { TestVerdict } from "../core/sample-verdict.js";
import { type Interval, wilsonInterval } from "../metrics/wilson.js";
import { CASE_VALIDITIES, type CaseValidity } from "./validation.js";

/** A proportion with its 95% Wilson interval. */
export interface Rate extends Interval {
  successes: number;
  n: number;
}

/** Who a judged program is, for TPR and kill rate. */
export type ProgramRole = "reference" | "correct" | "wrong_sample" | "mutant";

/** One program's verdicts on the valid generated tests of its task. */
export interface ProgramOnGeneratedTests {
  taskId: string;
  role: ProgramRole;
  tests: readonly TestVerdict[];
}

/** Programs of some roles, judged on generated tests. */
export interface ProgramRate {
  /** Accepted (TPR) or killed (kill rate) out of the programs with a decided verdict. */
  rate: Rate;
  untested: number;
  undetermined: number;
}

/** Everything tcgQuality measures (see the module comment). */
export interface TcgQuality {
  cases: { total: number; counted: number; byValidity: Record<CaseValidity, number> };
  validity: Rate;
  /** Valid / cases that ran on the reference (valid, wrong_output, reference_error, timeout). */
  validityOfExecuted: Rate;
  tasks: { total: number; withoutCases: number; allValid: Rate };
  perTask: Record<string, { counted: number; valid: number }>;
  tpr: { reference: ProgramRate; correct: ProgramRate; all: ProgramRate; testPassRate: Rate };
  killRate: { samples: ProgramRate; mutants: ProgramRate; all: ProgramRate };
}

/** What tcgQuality reads: the run's tasks, its cases' validities, and programs judged on the valid tests. */
export interface TcgQualityInput {
  taskIds: readonly string[];
  cases: readonly { taskId: string; validity: CaseValidity }[];
  programs?: readonly ProgramOnGeneratedTests[];
}

const EXECUTED = new Set<CaseValidity>(["valid", "wrong_output", "reference_error", "timeout"]);

/** A rate from counts, with its Wilson interval. */
export function rate(successes: number, n: number): Rate {
  return { successes, n, ...wilsonInterval(successes, n) };
}

/** What a program's verdicts on its task's valid generated tests say of it. */
export type ProgramDecision = "pass" | "fail" | "undetermined" | "untested";

/** A program's verdict on its task's generated tests: any real failure decides; sandbox errors alone do not; no test, untested. */
export function decideProgram(tests: readonly TestVerdict[]): ProgramDecision {
  if (tests.length === 0) return "untested";
  if (tests.some((t) => t.outcome !== "pass" && t.outcome !== "sandbox_error")) return "fail";
  return tests.some((t) => t.outcome === "sandbox_error") ? "undetermined" : "pass";
}

function programRate(programs: readonly ProgramOnGeneratedTests[], roles: readonly ProgramRole[], success: "pass" | "fail"): ProgramRate {
  let successes = 0;
  let n = 0;
  let untested = 0;
  let undetermined = 0;
  for (const p of programs) {
    if (!roles.includes(p.role)) continue;
    const d = decideProgram(p.tests);
    if (d === "untested") untested++;
    else if (d === "undetermined") undetermined++;
    else {
      n++;
      if (d === success) successes++;
    }
  }
  return { rate: rate(successes, n), untested, undetermined };
}

/** Validity, all-valid rate, TPR and kill rate of a TCG run (see the module comment). */
export function tcgQuality(input: TcgQualityInput): TcgQuality {
  const byValidity = Object.fromEntries(CASE_VALIDITIES.map((v) => [v, 0])) as Record<CaseValidity, number>;
  const perTask: Record<string, { counted: number; valid: number }> = {};
  for (const id of input.taskIds) perTask[id] = { counted: 0, valid: 0 };
  for (const c of input.cases) {
    byValidity[c.validity]++;
    if (c.validity === "sandbox_error") continue;
    const t = (perTask[c.taskId] ??= { counted: 0, valid: 0 });
    t.counted++;
    if (c.validity === "valid") t.valid++;
  }
  const total = input.cases.length;
  const counted = total - byValidity.sandbox_error;
  const executed = input.cases.filter((c) => EXECUTED.has(c.validity)).length;
  const tasks = Object.values(perTask);
  const programs = input.programs ?? [];
  const correct = programs.filter((p) => p.role === "reference" || p.role === "correct");
  const decidedTests = correct.flatMap((p) => p.tests).filter((t) => t.outcome !== "sandbox_error");
  return {
    cases: { total, counted, byValidity },
    validity: rate(byValidity.valid, counted),
    validityOfExecuted: rate(byValidity.valid, executed),
    tasks: {
      total: tasks.length,
      withoutCases: tasks.filter((t) => t.counted === 0).length,
      allValid: rate(tasks.filter((t) => t.counted > 0 && t.valid === t.counted).length, tasks.length),
    },
    perTask,
    tpr: {
      reference: programRate(programs, ["reference"], "pass"),
      correct: programRate(programs, ["correct"], "pass"),
      all: programRate(programs, ["reference", "correct"], "pass"),
      testPassRate: rate(decidedTests.filter((t) => t.outcome === "pass").length, decidedTests.length),
    },
    killRate: {
      samples: programRate(programs, ["wrong_sample"], "fail"),
      mutants: programRate(programs, ["mutant"], "fail"),
      all: programRate(programs, ["wrong_sample", "mutant"], "fail"),
    },
  };
}
