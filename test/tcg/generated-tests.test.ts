import { describe, expect, it } from "vitest";
import { PySet, PyTuple } from "../../src/core/py-value.js";
import type { Task } from "../../src/core/task.js";
import { encodeValue } from "../../src/judge/codec.js";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";
import { inputKey, prepareCases, tcgTarget, tcgTestId, TCG_GROUP, withTests, type PrepareOptions } from "../../src/tcg/generated-tests.js";

/** MBPP task 11 as ground truth resolves it: decomposed asserts, compared with ==. */
const mbpp11: Task = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  prompt: "",
  reference: "def remove_Occ(s,ch):\n    return s\n",
  setup: "",
  tests: [0, 1].map((i) => ({
    id: `test/${i}`,
    group: "test",
    input: { kind: "expr", src: `remove_Occ("s${i}","l")` },
    expect: { expected: "x", comparator: { kind: "eq" } },
    display: `assert remove_Occ("s${i}","l") == "x"`,
  })),
};

/** An MBPP+ task: its own entry point, EvalPlus comparison, calibrated limits, a projection. */
const plus: Task = {
  taskId: "Mbpp/7",
  text: "find words",
  prompt: "",
  reference: "def find_char_long(text):\n    return []\n",
  setup: "",
  entryPoint: "find_char_long",
  tests: [
    { id: "base/0", group: "base", input: { kind: "call", fn: "find_char_long", args: ["a"], project: "not_none" }, expect: { expected: [], comparator: { kind: "evalplus", atol: 0 } }, seconds: 4 },
    { id: "plus/0", group: "plus", input: { kind: "call", fn: "find_char_long", args: ["b"], project: "not_none" }, expect: { expected: [], comparator: { kind: "evalplus", atol: 0 } }, seconds: 6.5 },
  ],
};

const opts = (over: Partial<PrepareOptions> = {}): PrepareOptions => ({ model: "tcg-1.3b", request: 0, cases: 3, seen: new Set(), ...over });
const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

describe("tcgTarget", () => {
  it("finds an MBPP task's entry point in its asserts and uses its comparator", () => {
    expect(tcgTarget(mbpp11)).toEqual({ entryPoint: "remove_Occ", comparator: { kind: "eq" } });
  });

  it("takes an MBPP+ task's entry point, comparator, projection and longest limit", () => {
    expect(tcgTarget(plus)).toEqual({ entryPoint: "find_char_long", comparator: { kind: "evalplus", atol: 0 }, project: "not_none", seconds: 6.5 });
  });

  it("compares a stated value with == where the benchmark only checks truthiness", () => {
    const truthy: Task = { ...mbpp11, tests: [{ ...mbpp11.tests[0]!, expect: { expected: null, comparator: { kind: "truthy" } } }] };
    expect(tcgTarget(truthy)?.comparator).toEqual({ kind: "eq" });
    const isclose: Task = { ...mbpp11, tests: [{ ...mbpp11.tests[0]!, expect: { expected: 1, comparator: { kind: "isclose", relTol: 1e-3, absTol: 0 } } }] };
    expect(tcgTarget(isclose)?.comparator).toEqual({ kind: "isclose", relTol: 1e-3, absTol: 0 });
  });

  it("has no target for a stdin/stdout task", () => {
    const stdio: Task = { ...mbpp11, tests: [{ id: "t", group: "test", input: { kind: "stdio", stdin: "1" }, expect: { expected: "1", comparator: { kind: "eq" } } }] };
    expect(tcgTarget(stdio)).toBeUndefined();
  });
});

describe("prepareCases", () => {
  const target = tcgTarget(mbpp11);

  it("turns each readable case into a call test of the entry point, judged by the task's rule", () => {
    const texts = parseCaseBlocks(block("'hello', 'l'", "'heo'") + block("remove_Occ('abcda', 'a')", "'bcd'"));
    const { cases, extra, missing } = prepareCases(mbpp11, target, texts, opts({ request: 2 }));
    expect({ extra, missing }).toEqual({ extra: 0, missing: 1 });
    expect(cases.map((c) => c.id)).toEqual(["tcg/tcg-1.3b/2/0", "tcg/tcg-1.3b/2/1"]);
    expect(cases[0]).toMatchObject({ taskId: "11", origin: { model: "tcg-1.3b", request: 2, case: 0 }, inputText: "'hello', 'l'", outputText: "'heo'" });
    expect(cases[0]?.status).toBeUndefined();
    expect(cases[0]?.test).toEqual({
      id: "tcg/tcg-1.3b/2/0",
      group: TCG_GROUP,
      input: { kind: "call", fn: "remove_Occ", args: ["hello", "l"] },
      expect: { expected: "heo", comparator: { kind: "eq" } },
      display: "remove_Occ('hello', 'l') == 'heo'",
    });
    expect(cases[1]?.test?.input).toEqual({ kind: "call", fn: "remove_Occ", args: ["abcda", "a"] });
  });

  it("carries an MBPP+ task's projection and limit into its tests", () => {
    const { cases } = prepareCases(plus, tcgTarget(plus), parseCaseBlocks(block("'ab cdef'", "['cdef']")), opts());
    expect(cases[0]?.test).toMatchObject({
      input: { kind: "call", fn: "find_char_long", args: ["ab cdef"], project: "not_none" },
      expect: { expected: ["cdef"], comparator: { kind: "evalplus", atol: 0 } },
      seconds: 6.5,
    });
  });

  it("keeps the first K cases and counts the rest as extra", () => {
    const texts = parseCaseBlocks([1, 2, 3, 4, 5].map((i) => block(`'${i}', 'l'`, `'${i}'`)).join(""));
    const { cases, extra, missing } = prepareCases(mbpp11, target, texts, opts());
    expect(cases.map((c) => c.inputText)).toEqual(["'1', 'l'", "'2', 'l'", "'3', 'l'"]);
    expect({ extra, missing }).toEqual({ extra: 2, missing: 0 });
  });

  it("marks over-long, unreadable and repeated cases before anything runs", () => {
    const seen = new Set<string>();
    const first = prepareCases(mbpp11, target, parseCaseBlocks(block("'a', 'b'", "'a'")), opts({ seen }));
    expect(first.cases[0]?.status).toBeUndefined();
    const answer = [
      block("'a', 'b'", "'x'"), // same input as request 0's case
      block(`'${"a".repeat(70)}', 'b'`, "''"),
      block("__import__('os').system('rm -rf /')", "0"),
      block("'a', 'c'", "float('inf')"),
      block("'q'", "lambda: 0"),
      `\`\`\`case\n# input:\n'z', 'z'\n`,
    ].join("");
    const { cases } = prepareCases(mbpp11, target, parseCaseBlocks(answer), opts({ seen, request: 1, cases: 10 }));
    expect(cases.map((c) => [c.status, c.detail])).toEqual([
      ["duplicate", "the same input as an earlier case of this task"],
      ["too_long", "case block of 112 characters (limit 100)"],
      ["unparsable", expect.stringMatching(/^input: the name "__import__" is not a literal/)],
      ["unparsable", expect.stringMatching(/^output: the name "float" is not a literal/)],
      ["unparsable", expect.stringMatching(/^output: the name "lambda"/)],
      ["unparsable", "no `# output:` line"],
    ]);
    expect(cases.every((c) => c.test === undefined)).toBe(true);
  });

  it("sizes a case before reading it, so a huge literal is never parsed", () => {
    const huge = `[${"1, ".repeat(2_000_000)}1]`;
    const started = performance.now();
    const { cases } = prepareCases(mbpp11, target, [{ input: huge, output: "1" }], opts());
    expect(performance.now() - started).toBeLessThan(200);
    expect(cases[0]?.status).toBe("too_long");
  });

  it("honours a configured size cap", () => {
    const { cases } = prepareCases(mbpp11, target, parseCaseBlocks(block("'hello', 'l'", "'heo'")), opts({ maxCaseChars: 40 }));
    expect(cases[0]).toMatchObject({ status: "too_long", detail: "case block of 50 characters (limit 40)" });
  });

  it("marks every case of a task without an entry point unparsable", () => {
    const { cases } = prepareCases(mbpp11, undefined, parseCaseBlocks(block("1", "1")), opts());
    expect(cases[0]).toMatchObject({ status: "unparsable", detail: "task 11 has no function entry point to call" });
  });
});

describe("inputKey and ids", () => {
  it("equates argument lists that Python would, sets in any order", () => {
    expect(inputKey([new PySet([1n, 2n], false)])).toBe(inputKey([new PySet([2n, 1n], false)]));
    expect(inputKey([[1n, 2n]])).not.toBe(inputKey([new PyTuple([1n, 2n])]));
    expect(inputKey([1n])).not.toBe(inputKey([1]));
    expect(inputKey(["a"])).toBe(JSON.stringify([encodeValue("a")]));
  });

  it("names a test by model, request and case", () => {
    expect(tcgTestId({ model: "m", request: 3, case: 1 })).toBe("tcg/m/3/1");
    expect(withTests(mbpp11, []).tests).toEqual([]);
    expect(withTests(mbpp11, []).reference).toBe(mbpp11.reference);
  });
});
