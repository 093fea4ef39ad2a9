import { describe, expect, it } from "vitest";
import type { RawJobResult } from "../../src/core/job.js";
import { OUTCOMES, type Outcome } from "../../src/core/outcome.js";
import type { Task } from "../../src/core/task.js";
import { judgeSample } from "../../src/judge/judge-sample.js";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";
import { prepareCases, tcgTarget, withTests } from "../../src/tcg/generated-tests.js";
import { applyValidation, CASE_VALIDITIES, validityOf } from "../../src/tcg/validation.js";

const task: Task = {
  taskId: "11",
  text: "remove first and last occurrence",
  prompt: "",
  reference: "def remove_Occ(s, ch):\n    ...\n",
  setup: "",
  tests: [{ id: "test/0", group: "test", input: { kind: "expr", src: "remove_Occ('a','b')" }, expect: { expected: "a", comparator: { kind: "eq" } }, display: "assert remove_Occ('a','b') == 'a'" }],
};
const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

describe("validityOf", () => {
  const table: [Outcome, string][] = [
    ["pass", "valid"],
    ["wrong_answer", "wrong_output"],
    ["timeout", "timeout"],
    ["runtime_error", "reference_error"],
    ["unserializable", "reference_error"],
    ["memory_exceeded", "reference_error"],
    ["output_limit", "reference_error"],
    ["killed", "reference_error"],
    ["syntax_error", "reference_error"],
    ["sandbox_error", "sandbox_error"],
  ];
  it.each(table)("%s → %s", (outcome, validity) => {
    expect(validityOf(outcome)).toBe(validity);
  });

  it("gives every outcome a validity", () => {
    for (const o of OUTCOMES) expect(CASE_VALIDITIES).toContain(validityOf(o));
  });
});

describe("applyValidation", () => {
  it("reads validity from the reference's judged verdicts, keeping pre-run statuses", () => {
    const answer = [
      block("'hello', 'l'", "'heo'"), // the reference returns 'heo': valid
      block("'abcda', 'a'", "'bcda'"), // the reference returns 'bcd': wrong output
      block("'x', 'x'", "'y'"), // makes the reference loop: timeout
      block("None, 'a'", "''"), // the reference raises: reference error
      block("'hello', 'l'", "'heo'"), // repeats case 0: duplicate
      block("open('f')", "1"), // not a literal: unparsable
    ].join("");
    const { cases } = prepareCases(task, tcgTarget(task), parseCaseBlocks(answer), { model: "m", request: 0, cases: 6, seen: new Set() });
    const runnable = cases.flatMap((c) => (c.test ? [c.test] : []));
    expect(runnable).toHaveLength(4);
    // What the sandbox reports for the reference on those four tests (with continue-after-crash).
    const raw: RawJobResult = {
      id: "reference",
      load: { st: "ok" },
      tests: [
        { i: 0, st: "value", v: "heo", t: 0.001 },
        { i: 1, st: "value", v: "bcd", t: 0.001 },
        { i: 2, st: "timeout", t: 4 },
        { i: 3, st: "raised", exc: "AttributeError", msg: "'NoneType' object has no attribute 'replace'" },
      ],
      stdout: "",
      stderr: "",
      maxRssKb: 1000,
      wallSeconds: 4.1,
    };
    const verdict = judgeSample(withTests(task, runnable), { taskId: "11", sampleIndex: 0, program: task.reference }, raw, {
      seconds: 4.1,
      cached: false,
      programSha256: "x",
      groups: [],
    });
    const validated = applyValidation(cases, verdict.tests);
    expect(validated.map((c) => [c.validity, c.detail])).toEqual([
      ["valid", undefined],
      ["wrong_output", "expected 'bcda' got 'bcd'"],
      ["timeout", "time limit exceeded"],
      ["reference_error", "AttributeError: 'NoneType' object has no attribute 'replace'"],
      ["duplicate", "the same input as an earlier case of this task"],
      ["unparsable", expect.stringMatching(/^input: the name "open"/)],
    ]);
    expect(validated[0]?.test?.id).toBe("tcg/m/0/0");
    expect(validated.map((c) => c.reference?.outcome)).toEqual(["pass", "wrong_answer", "timeout", "runtime_error", undefined, undefined]);
    // Without a calibration the tests keep the task's limit; with one, a valid test gets max(floor, factor × the reference's time).
    expect(validated[0]?.test?.seconds).toBe(runnable[0]?.seconds);
    const calibrated = applyValidation(cases, verdict.tests, { factor: 4, minSeconds: 0.5 });
    expect(calibrated[0]?.test?.seconds).toBe(0.5);
    const slow = applyValidation(cases, verdict.tests.map((t) => (t.id === "tcg/m/0/0" ? { ...t, seconds: 0.25 } : t)), { factor: 4, minSeconds: 0.5 });
    expect(slow[0]?.test?.seconds).toBe(1);
    expect(slow[0]?.reference).toEqual({ outcome: "pass", seconds: 0.25 });
    // Only valid cases are calibrated: the others are never run again.
    expect(calibrated[1]?.test?.seconds).toBe(runnable[1]?.seconds);
  });

  it("throws when a case that ran has no verdict (a harness bug, never a validity)", () => {
    const { cases } = prepareCases(task, tcgTarget(task), parseCaseBlocks(block("'a', 'b'", "'a'")), { model: "m", request: 0, cases: 3, seen: new Set() });
    expect(() => applyValidation(cases, [])).toThrow(/no reference verdict for generated test tcg\/m\/0\/0/);
  });
});
