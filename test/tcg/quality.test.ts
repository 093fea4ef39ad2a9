import { describe, expect, it } from "vitest";
import type { Outcome } from "../../src/core/outcome.js";
import { type ProgramOnGeneratedTests, type ProgramRole, tcgQuality } from "../../src/tcg/quality.js";
import type { CaseValidity } from "../../src/tcg/validation.js";

const cases = (taskId: string, ...validities: CaseValidity[]): { taskId: string; validity: CaseValidity }[] =>
  validities.map((validity) => ({ taskId, validity }));
const program = (taskId: string, role: ProgramRole, ...outcomes: Outcome[]): ProgramOnGeneratedTests => ({
  taskId,
  role,
  tests: outcomes.map((outcome, i) => ({ id: `tcg/m/0/${i}`, outcome })),
});

describe("tcgQuality", () => {
  // Four tasks. 1: three valid. 2: valid, wrong_output, duplicate. 3: valid, unparsable,
  // too_long, plus a sandbox_error that counts nowhere. 4: reference_error, timeout, valid, valid.
  const input = {
    taskIds: ["1", "2", "3", "4"],
    cases: [
      ...cases("1", "valid", "valid", "valid"),
      ...cases("2", "valid", "wrong_output", "duplicate"),
      ...cases("3", "valid", "unparsable", "too_long", "sandbox_error"),
      ...cases("4", "reference_error", "timeout", "valid", "valid"),
    ],
  };

  it("computes validity over every counted case, with the Wilson interval", () => {
    const q = tcgQuality(input);
    // 14 cases, 1 sandbox_error: 13 counted, 7 valid.
    expect(q.cases).toMatchObject({ total: 14, counted: 13 });
    expect(q.cases.byValidity).toEqual({
      valid: 7,
      wrong_output: 1,
      reference_error: 1,
      timeout: 1,
      unparsable: 1,
      duplicate: 1,
      too_long: 1,
      sandbox_error: 1,
    });
    expect(q.validity.successes).toBe(7);
    expect(q.validity.n).toBe(13);
    expect(q.validity.estimate).toBeCloseTo(7 / 13, 12);
    // Wilson 95% for 7/13, by hand: centre (p + z²/2n)/(1 + z²/n) = 0.5297, half-width 0.2383.
    expect(q.validity.low).toBeCloseTo(0.2914, 4);
    expect(q.validity.high).toBeCloseTo(0.7679, 4);
    // Run on the reference: 7 valid + wrong_output + reference_error + timeout = 10.
    expect(q.validityOfExecuted).toMatchObject({ successes: 7, n: 10 });
    expect(q.validityOfExecuted.low).toBeCloseTo(0.3968, 4);
    expect(q.validityOfExecuted.high).toBeCloseTo(0.8922, 4);
  });

  it("counts a task all-valid only when every counted case is, and a task without cases as not", () => {
    const q = tcgQuality({ ...input, taskIds: [...input.taskIds, "5"] });
    expect(q.perTask).toEqual({
      "1": { counted: 3, valid: 3 },
      "2": { counted: 3, valid: 1 },
      "3": { counted: 3, valid: 1 },
      "4": { counted: 4, valid: 2 },
      "5": { counted: 0, valid: 0 },
    });
    expect(q.tasks).toMatchObject({ total: 5, withoutCases: 1, allValid: { successes: 1, n: 5, estimate: 0.2 } });
  });

  it("measures TPR on correct programs and kill rate on wrong ones, leaving out the undecided", () => {
    const programs = [
      program("1", "reference", "pass", "pass", "pass"),
      program("2", "reference", "pass"),
      program("1", "correct", "pass", "pass", "pass"),
      program("1", "correct", "pass", "wrong_answer", "pass"), // a correct sample the tests reject
      program("4", "correct", "pass", "sandbox_error"), // undetermined
      program("5", "correct"), // its task has no valid test: untested
      program("1", "wrong_sample", "pass", "pass", "pass"), // survives
      program("2", "wrong_sample", "runtime_error"), // killed
      program("1", "mutant", "pass", "timeout", "pass"), // killed
      program("4", "mutant", "sandbox_error", "wrong_answer"), // killed: a real failure decides
      program("4", "mutant", "pass", "pass"), // survives
      program("3", "mutant", "sandbox_error"), // undetermined
    ];
    const q = tcgQuality({ ...input, programs });
    expect(q.tpr.reference).toMatchObject({ rate: { successes: 2, n: 2, estimate: 1 }, untested: 0, undetermined: 0 });
    expect(q.tpr.correct).toMatchObject({ rate: { successes: 1, n: 2, estimate: 0.5 }, untested: 1, undetermined: 1 });
    expect(q.tpr.all.rate).toMatchObject({ successes: 3, n: 4, estimate: 0.75 });
    // Tests of correct programs, sandbox errors left out: 3 + 1 + 3 + 3 + 1 = 11, one failed.
    expect(q.tpr.testPassRate).toMatchObject({ successes: 10, n: 11 });
    expect(q.killRate.samples.rate).toMatchObject({ successes: 1, n: 2, estimate: 0.5 });
    expect(q.killRate.mutants).toMatchObject({ rate: { successes: 2, n: 3 }, undetermined: 1 });
    expect(q.killRate.all.rate).toMatchObject({ successes: 3, n: 5, estimate: 0.6 });
  });

  it("reports empty rates with the uninformative interval", () => {
    const q = tcgQuality({ taskIds: [], cases: [] });
    expect(q.validity).toEqual({ successes: 0, n: 0, estimate: 0, low: 0, high: 1 });
    expect(q.killRate.all.rate.n).toBe(0);
  });
});
