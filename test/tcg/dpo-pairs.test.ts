import { describe, expect, it } from "vitest";
import type { Comparator, Task } from "../../src/core/task.js";
import { pyEquals } from "../../src/judge/py-equals.js";
import { createRng } from "../../src/metrics/rng.js";
import { buildTcgPrompt } from "../../src/prompts/tcg.js";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";
import { buildDpoPairs, constrainedPermutation } from "../../src/tcg/dpo-pairs.js";
import { prepareCases, tcgTarget } from "../../src/tcg/generated-tests.js";
import { parseCallArguments, parsePyLiteral } from "../../src/tcg/py-literal.js";
import { testsRow, type TestsRow } from "../../src/tcg/tests-file.js";
import { applyValidation } from "../../src/tcg/validation.js";

const task = (taskId: string, comparator: Comparator = { kind: "eq" }): Task => ({
  taskId,
  text: `task ${taskId}`,
  prompt: "",
  reference: "def f(x):\n    return x\n",
  setup: "",
  entryPoint: "f",
  tests: [{ id: "base/0", group: "base", input: { kind: "call", fn: "f", args: [] }, expect: { expected: 0n, comparator } }],
});
const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

/** tests.jsonl rows of one request: cases as [input, output, reference outcome]. */
function rows(t: Task, request: number, cases: [string, string, "pass" | "wrong_answer" | "runtime_error"][]): TestsRow[] {
  const answer = cases.map(([i, o]) => block(i, o)).join("");
  const { cases: prepared } = prepareCases(t, tcgTarget(t), parseCaseBlocks(answer), { model: "m", request, cases: 50, seen: new Set() });
  const outcomes = new Map(cases.map(([input, , outcome]) => [input, outcome]));
  const verdicts = prepared.filter((c) => c.test !== undefined).map((c) => ({ id: c.id, outcome: outcomes.get(c.inputText) ?? "pass" }));
  return applyValidation(prepared, verdicts).map(testsRow);
}

const source = (all: TestsRow[], k = 3) => ({
  rows: all,
  promptFor: (id: string) => buildTcgPrompt({ taskId: id, text: `task ${id}`, tests: [], code: "def f(x):\n    return x\n" }, { cases: k }).prompt,
  casesPerCompletion: k,
});

/** The (input, output) pairs of a completion, as values. */
function pairsOf(completion: string): { args: unknown; out: unknown; text: [string, string] }[] {
  return parseCaseBlocks(completion).map((c) => {
    const args = parseCallArguments(c.input, "f");
    const out = parsePyLiteral(c.output);
    if (!args.ok || !out.ok) throw new Error(`unreadable case in ${completion}`);
    return { args: args.value, out: out.value, text: [c.input, c.output] };
  });
}

describe("constrainedPermutation", () => {
  it("finds a permutation meeting the constraint, the same for the same seed", () => {
    const allowed = (i: number, j: number): boolean => i !== j;
    const a = constrainedPermutation(5, allowed, createRng(1));
    expect(a).toBeDefined();
    expect([...(a as number[])].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(a?.every((j, i) => j !== i)).toBe(true);
    expect(constrainedPermutation(5, allowed, createRng(1))).toEqual(a);
  });

  it("says when none exists", () => {
    expect(constrainedPermutation(1, (i, j) => i !== j, createRng(0))).toBeUndefined();
    // Three cases whose outputs are all equal: no case can take another's output.
    expect(constrainedPermutation(3, () => false, createRng(0))).toBeUndefined();
    expect(constrainedPermutation(0, () => true, createRng(0))).toBeUndefined();
  });
});

describe("buildDpoPairs", () => {
  it("pairs K valid cases with the same inputs under moved outputs, and with the model's own invalid cases", () => {
    const t = task("1");
    const all = [
      ...rows(t, 0, [["1", "1", "pass"], ["2", "2", "pass"], ["3", "4", "wrong_answer"]]),
      ...rows(t, 1, [["5", "5", "pass"], ["6", "6", "pass"], ["x", "1", "pass"]]),
    ];
    const { pairs, counts } = buildDpoPairs(source(all), 7);
    expect(counts).toEqual({ rows: 3, shuffled: 1, own_invalid: 2, chunks_not_shuffled: 1, tasks_without_valid: 0, tasks_without_prompt: 0 });
    const prompt = source(all).promptFor("1");
    expect(pairs.every((p) => p.prompt === prompt && !p.chosen.startsWith(prompt))).toBe(true);
    // Valid cases in order, three at a time: (1, 2, 5), then (6), too few to shuffle.
    expect(pairs[0]?.chosen).toBe(block("1", "1") + block("2", "2") + block("5", "5").trim());
    expect(pairs.filter((p) => p.kind === "shuffled").map((p) => pairsOf(p.rejected).map((c) => c.text[0]))).toEqual([["1", "2", "5"]]);
    // Request 0's wrong output, request 1's unreadable case; each against a valid chunk in turn.
    const own = pairs.filter((p) => p.kind === "own_invalid");
    expect(own.map((p) => p.rejected)).toEqual([block("3", "4").trim(), block("x", "1").trim()]);
    expect(own.map((p) => p.chosen)).toEqual([pairs[0]?.chosen, block("6", "6").trim()]);
  });

  it("never lets a shuffled case keep a matching output, whatever the outputs and the seed", () => {
    const rng = createRng(99);
    for (let trial = 0; trial < 200; trial++) {
      const n = 2 + rng.int(5);
      // Few distinct outputs, so repeats are common: equal outputs must never be swapped in.
      const cases = Array.from({ length: n }, (_, i): [string, string, "pass"] => [String(i), String(rng.int(3)), "pass"]);
      const { pairs } = buildDpoPairs(source(rows(task(`t${trial}`), 0, cases), n), trial);
      for (const p of pairs) {
        expect(p.rejected).not.toBe(p.chosen);
        const chosen = pairsOf(p.chosen);
        pairsOf(p.rejected).forEach((r, i) => {
          expect(r.text[0]).toBe(chosen[i]?.text[0]);
          expect(pyEquals(r.out as never, chosen[i]?.out as never)).toBe(false);
        });
      }
      const distinct = new Set(cases.map(([, o]) => o)).size;
      const most = Math.max(...[...new Set(cases.map(([, o]) => o))].map((o) => cases.filter(([, x]) => x === o).length));
      // A move exists exactly when no output is held by more than half the cases.
      expect(pairs.length, JSON.stringify(cases)).toBe(distinct > 1 && most <= n / 2 ? 1 : 0);
    }
  });

  it("judges outputs by the task's comparison: values close enough to pass are never swapped in", () => {
    const t = task("c", { kind: "isclose", relTol: 1e-3, absTol: 0 });
    const all = rows(t, 0, [["1", "1.0", "pass"], ["2", "1.0001", "pass"], ["3", "5.0", "pass"]]);
    expect(buildDpoPairs(source(all), 1).pairs.filter((p) => p.kind === "shuffled")).toEqual([]);
    const all4 = rows(t, 0, [["1", "1.0", "pass"], ["2", "1.0001", "pass"], ["3", "5.0", "pass"], ["4", "5.00001", "pass"]]);
    const { pairs } = buildDpoPairs(source(all4, 4), 1);
    const moved = pairsOf(pairs[0]?.rejected ?? "").map((c) => c.text[1]);
    expect(moved.slice(0, 2).every((o) => o.startsWith("5"))).toBe(true);
    expect(moved.slice(2).every((o) => o.startsWith("1"))).toBe(true);
  });

  it("is deterministic with a seed", () => {
    const cases = Array.from({ length: 6 }, (_, i): [string, string, "pass"] => [String(i), String(i * 10), "pass"]);
    const all = rows(task("d"), 0, cases);
    const a = buildDpoPairs(source(all, 6), 5);
    expect(buildDpoPairs(source(all, 6), 5)).toEqual(a);
    const others = [6, 7, 8, 9].map((s) => buildDpoPairs(source(all, 6), s).pairs[0]?.rejected);
    expect(others.some((r) => r !== a.pairs[0]?.rejected)).toBe(true);
  });

  it("leaves out tasks without valid cases or without a prompt, and counts them", () => {
    const all = [...rows(task("none"), 0, [["1", "2", "wrong_answer"]]), ...rows(task("noprompt"), 0, [["1", "1", "pass"], ["2", "2", "pass"]])];
    const { pairs, counts } = buildDpoPairs({ ...source(all), promptFor: (id) => (id === "noprompt" ? undefined : "p\n") }, 0);
    expect(pairs).toEqual([]);
    expect(counts).toMatchObject({ tasks_without_valid: 1, tasks_without_prompt: 1 });
  });
});
