import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { PyDict, PySet } from "../../src/core/py-value.js";
import type { Task } from "../../src/core/task.js";
import { parseCaseBlocks } from "../../src/tcg/case-blocks.js";
import { prepareCases, tcgTarget } from "../../src/tcg/generated-tests.js";
import { appendTestsRows, loadGeneratedTests, readTestsFile, testsRow, TESTS_FILE, testsRowSchema } from "../../src/tcg/tests-file.js";
import { applyValidation, type ValidatedCase } from "../../src/tcg/validation.js";

const task = (taskId: string, fn: string): Task => ({
  taskId,
  text: "t",
  prompt: "",
  reference: `def ${fn}(*a):\n    return 0\n`,
  setup: "",
  entryPoint: fn,
  tests: [{ id: "base/0", group: "base", input: { kind: "call", fn, args: [] }, expect: { expected: 0n, comparator: { kind: "evalplus", atol: 0.5 } }, seconds: 5 }],
});
const block = (input: string, output: string): string => `\`\`\`case\n# input:\n${input}\n# output:\n${output}\n\`\`\`\n`;

/** Validated cases for one task, with the reference's outcome per runnable case given in order. */
function validated(t: Task, answer: string, outcomes: ("pass" | "wrong_answer")[], request = 0): ValidatedCase[] {
  const { cases } = prepareCases(t, tcgTarget(t), parseCaseBlocks(answer), { model: "tcg", request, cases: 10, seen: new Set() });
  const runnable = cases.filter((c) => c.test !== undefined);
  return applyValidation(cases, runnable.map((c, i) => ({ id: c.id, outcome: outcomes[i] ?? "pass" })));
}

function runDir(): string {
  return mkdtempSync(join(tmpdir(), "verdict-tcg-tests-"));
}

describe("tests.jsonl", () => {
  const a = task("Mbpp/1", "f");
  const b = task("Mbpp/2", "g");
  const casesA = validated(a, block("{1: (2, 3)}, {4}", "1.5") + block("[1]", "2") + block("x", "3"), ["pass", "wrong_answer"]);
  const casesB = validated(b, block("b'\\x00', 2**3", "1") + block("-1-2j", "None"), ["pass"]);

  it("writes a row per case with its origin, validity, texts and tagged values", () => {
    const row = testsRow(casesA[0] as ValidatedCase);
    expect(row).toEqual({
      task_id: "Mbpp/1",
      id: "tcg/tcg/0/0",
      origin: { model: "tcg", request: 0, case: 0 },
      validity: "valid",
      input_text: "{1: (2, 3)}, {4}",
      output_text: "1.5",
      input: { kind: "call", fn: "f", args: [{ d: [[1, { t: [2, 3] }]] }, { s: [4] }] },
      expect: { expected: { f: 1.5 }, comparator: { kind: "evalplus", atol: 0.5 } },
      seconds: 5,
      reference: { outcome: "pass" },
    });
    expect(testsRow(casesA[2] as ValidatedCase)).toMatchObject({ validity: "unparsable", input: null, expect: null, detail: expect.stringMatching(/name "x"/) });
    expect(testsRowSchema.safeParse(JSON.parse(JSON.stringify(row))).success).toBe(true);
  });

  it("reads back the valid tests of the tasks asked for, values decoded", async () => {
    const dir = runDir();
    await appendTestsRows(join(dir, TESTS_FILE), [...casesA, ...casesB].map(testsRow));
    const loaded = await loadGeneratedTests(dir, [a]);
    expect({ used: loaded.used, notIncluded: loaded.notIncluded, otherTasks: loaded.otherTasks }).toEqual({ used: 1, notIncluded: 3, otherTasks: 1 });
    const tests = loaded.tests.get("Mbpp/1") ?? [];
    expect(tests).toHaveLength(1);
    expect(tests[0]).toMatchObject({ id: "tcg/tcg/0/0", group: "tcg", seconds: 5, display: "f({1: (2, 3)}, {4}) == 1.5" });
    expect(tests[0]?.expect).toEqual({ expected: 1.5, comparator: { kind: "evalplus", atol: 0.5 } });
    expect(tests[0]?.input).toEqual({ kind: "call", fn: "f", args: [{ d: [[1, { t: [2, 3] }]] }, { s: [4] }] });
    expect(tests[0]?.input).toEqual(casesA[0]?.test?.input);
    const both = await loadGeneratedTests(dir, [a, b], ["valid", "wrong_output"]);
    expect([...both.tests.keys()]).toEqual(["Mbpp/1", "Mbpp/2"]);
    expect(both.tests.get("Mbpp/1")?.map((t) => t.id)).toEqual(["tcg/tcg/0/0", "tcg/tcg/0/1"]);
    // Task b's first case holds `2**3`, not a literal; its second passes a complex number.
    expect(casesB.map((c) => c.validity)).toEqual(["unparsable", "valid"]);
    expect(both.tests.get("Mbpp/2")?.[0]?.input).toEqual({ kind: "call", fn: "g", args: [{ c: [-1, -2] }] });
  });

  it("keeps decoded values exact: big ints, sets, dicts, tuples", async () => {
    const dir = runDir();
    const t = task("9", "h");
    const cases = validated(t, block("0x1_0000_0000_0000_0000, {(1, 2)}", "{'a': set()}"), ["pass"]);
    await appendTestsRows(join(dir, TESTS_FILE), cases.map(testsRow));
    const test = (await loadGeneratedTests(dir, [t])).tests.get("9")?.[0];
    expect(test?.input).toEqual({ kind: "call", fn: "h", args: [{ i: "0x10000000000000000" }, { s: [{ t: [1, 2] }] }] });
    expect(test?.expect?.expected).toEqual(new PyDict([["a", new PySet([], false)]]));
  });

  it("names the file, line and field of a bad row", async () => {
    const dir = runDir();
    const path = join(dir, TESTS_FILE);
    const good = JSON.stringify(testsRow(casesA[0] as ValidatedCase));
    const cases: [string, RegExp][] = [
      ["{not json", /:2: not valid JSON/],
      [JSON.stringify({ ...JSON.parse(good), validity: "great" }), /:2: not a tests\.jsonl row: validity/],
      [JSON.stringify({ ...JSON.parse(good), origin: { model: "m", request: -1, case: 0 } }), /:2: not a tests\.jsonl row: origin\.request/],
      [JSON.stringify({ ...JSON.parse(good), input: null }), /:2: input and expect must both be set or both be null/],
      [JSON.stringify({ ...JSON.parse(good), input: { kind: "call", fn: "os.system", args: [] } }), /:2: not a tests\.jsonl row: input\.fn: must be a Python identifier/],
      [JSON.stringify({ ...JSON.parse(good), expect: { expected: { q: 1 }, comparator: { kind: "eq" } } }), /:2: expect\.expected: not a value in the codec's tagged form: unknown tag "q"/],
      [good, /:2: test tcg\/tcg\/0\/0 of task Mbpp\/1 appears twice/],
    ];
    for (const [second, message] of cases) {
      writeFileSync(path, `${good}\n${second}\n`);
      const err = await loadGeneratedTests(dir, [a]).catch((e: unknown) => e);
      expect(err, second).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toMatch(message);
    }
    await expect(loadGeneratedTests(join(dir, "absent"), [a])).rejects.toThrow(/cannot read/);
  });

  it("leaves out a torn last line (a kill mid-write), and cuts it off the file when asked to repair", async () => {
    const dir = runDir();
    const path = join(dir, TESTS_FILE);
    const whole = `${JSON.stringify(testsRow(casesA[0] as ValidatedCase))}\n`;
    const torn = JSON.stringify(testsRow(casesA[1] as ValidatedCase)).slice(0, 40);
    writeFileSync(path, whole + torn);
    expect((await readTestsFile(path)).map((r) => r.row.id)).toEqual(["tcg/tcg/0/0"]);
    expect(readFileSync(path, "utf8")).toBe(whole + torn);
    expect((await readTestsFile(path, { repair: true })).map((r) => r.row.id)).toEqual(["tcg/tcg/0/0"]);
    expect(readFileSync(path, "utf8")).toBe(whole);
    // Rows appended after the repair start on a line of their own.
    await appendTestsRows(path, [testsRow(casesA[1] as ValidatedCase)]);
    expect((await readTestsFile(path)).map((r) => r.row.id)).toEqual(["tcg/tcg/0/0", "tcg/tcg/0/1"]);
  });

  it("reads rows a newer verdict wrote with extra fields", async () => {
    const dir = runDir();
    const path = join(dir, TESTS_FILE);
    writeFileSync(path, `${JSON.stringify({ ...testsRow(casesA[0] as ValidatedCase), reference_seconds: 0.01 })}\n`);
    expect((await readTestsFile(path))[0]?.row.validity).toBe("valid");
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(2);
  });
});
