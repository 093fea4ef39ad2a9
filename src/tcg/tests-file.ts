/**
 * `tests.jsonl`: one line per generated case of a TCG run, valid or not, with where it came
 * from and what validation said. Read back, its valid rows are a benchmark's worth of Tests
 * (what `verdict eval --tests tcg:RUN_DIR` scores against).
 *
 * A row: `task_id`, `id` (the test id, `tcg/<model>/<request>/<case>`), `origin` {model,
 * request, case}, `validity` and `detail`, the case's `input_text` and `output_text` as the
 * model wrote them, and, when they could be read, `input` (the call: `fn`, `args` in the
 * codec's tagged JSON, `project`), `expect` (`expected` in tagged JSON and the `comparator`)
 * and `seconds` (the per-test limit: for a valid case, calibrated on the reference's own time
 * on it); `input` and `expect` are null for a case never read. A case that ran on the
 * reference also has `reference`: its outcome and wall time there.
 *
 * Rows are appended a task at a time, in one write; a kill can tear only the last line, which
 * a reader leaves out (and a resume cuts off, `repair`).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { PyValue } from "../core/py-value.js";
import type { Comparator, Task, Test } from "../core/task.js";
import { describeIssues } from "../benchmarks/benchmark-config.js";
import { parseJsonLine } from "../benchmarks/jsonl.js";
import { decodeValue, encodeValue } from "../judge/codec.js";
import { openJsonlAppender, readJsonlFile } from "../util/jsonl-file.js";
import { TCG_GROUP, tcgDisplay } from "./generated-tests.js";
import { OUTCOMES } from "../core/outcome.js";
import { CASE_VALIDITIES, type CaseValidity, type ValidatedCase } from "./validation.js";

/** The file's name in a TCG run directory. */
export const TESTS_FILE = "tests.jsonl";

const json = z.json();
type Json = z.infer<typeof json>;

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Python identifier");

/** The project's Comparator (src/core/task.ts), as stored. */
export const comparatorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("eq") }).strict(),
  z.object({ kind: z.literal("evalplus"), atol: z.number().nonnegative() }).strict(),
  z.object({ kind: z.literal("set_eq") }).strict(),
  z.object({ kind: z.literal("truthy") }).strict(),
  z.object({ kind: z.literal("falsy") }).strict(),
  z.object({ kind: z.literal("isclose"), relTol: z.number().nonnegative(), absTol: z.number().nonnegative() }).strict(),
  z.object({ kind: z.literal("always") }).strict(),
]) satisfies z.ZodType<Comparator>;

/** One line of tests.jsonl (see the module comment). Loose: lines written by a newer verdict stay readable. */
export const testsRowSchema = z.looseObject({
  task_id: z.string().min(1),
  id: z.string().min(1),
  origin: z.object({ model: z.string().min(1), request: z.int().nonnegative(), case: z.int().nonnegative() }).strict(),
  validity: z.enum(CASE_VALIDITIES),
  detail: z.string().optional(),
  input_text: z.string(),
  output_text: z.string(),
  input: z
    .object({ kind: z.literal("call"), fn: identifier, args: z.array(json), project: z.literal("not_none").optional() })
    .strict()
    .nullable(),
  expect: z.object({ expected: json, comparator: comparatorSchema }).strict().nullable(),
  seconds: z.number().positive().optional(),
  reference: z.object({ outcome: z.enum(OUTCOMES), seconds: z.number().nonnegative().optional() }).strict().optional(),
});

/** One line of tests.jsonl. */
export type TestsRow = z.infer<typeof testsRowSchema>;

/** The tests.jsonl row of a validated case. */
export function testsRow(c: ValidatedCase): TestsRow {
  const test = c.test;
  const input = test?.input.kind === "call" ? test.input : undefined;
  return {
    task_id: c.taskId,
    id: c.id,
    origin: { ...c.origin },
    validity: c.validity,
    ...(c.detail !== undefined ? { detail: c.detail } : {}),
    input_text: c.inputText,
    output_text: c.outputText,
    input: input ? { kind: "call", fn: input.fn, args: input.args as Json[], ...(input.project ? { project: input.project } : {}) } : null,
    expect: test?.expect ? { expected: encodeValue(test.expect.expected) as Json, comparator: test.expect.comparator } : null,
    ...(test?.seconds !== undefined ? { seconds: test.seconds } : {}),
    ...(c.reference !== undefined ? { reference: { ...c.reference } } : {}),
  };
}

/** Appends rows to a tests.jsonl in one write (a kill can tear only the last line, which a reader leaves out). */
export async function appendTestsRows(path: string, rows: readonly TestsRow[]): Promise<void> {
  if (rows.length === 0) return;
  const file = openJsonlAppender(path);
  try {
    file.append(...rows);
  } finally {
    file.close();
  }
}

function decoded(wire: unknown, path: string, line: number, field: string): PyValue {
  const r = decodeValue(wire);
  if (!r.ok) throw new InputError(`${field}: not a value in the codec's tagged form: ${r.reason}`, path, line);
  return r.value;
}

/** The Test a row describes, or undefined for a case that was never read. Values are decoded strictly. */
export function rowToTest(row: TestsRow, path = TESTS_FILE, line = 0): Test | undefined {
  if (row.input === null || row.expect === null) return undefined;
  const args = row.input.args.map((a, i) => decoded(a, path, line, `input.args[${i}]`));
  const expected = decoded(row.expect.expected, path, line, "expect.expected");
  return {
    id: row.id,
    group: TCG_GROUP,
    input: { kind: "call", fn: row.input.fn, args: args.map(encodeValue), ...(row.input.project ? { project: row.input.project } : {}) },
    expect: { expected, comparator: row.expect.comparator },
    ...(row.seconds !== undefined ? { seconds: row.seconds } : {}),
    display: tcgDisplay(row.input.fn, row.input_text, row.output_text),
  };
}

/**
 * Every whole row of a tests.jsonl, validated; a bad line is an InputError naming the file,
 * line and field. A torn last line (a kill mid-write) is left out, and with `repair` cut off
 * the file, so rows appended after it start on a line of their own.
 */
export async function readTestsFile(path: string, options: { repair?: boolean } = {}): Promise<{ row: TestsRow; line: number }[]> {
  const out: { row: TestsRow; line: number }[] = [];
  if (!existsSync(path)) throw new InputError("cannot read: no such file", path);
  for (const line of readJsonlFile(path, { repair: options.repair === true }).lines) {
    const parsed = testsRowSchema.safeParse(parseJsonLine(path, line));
    if (!parsed.success) throw new InputError(`not a tests.jsonl row: ${describeIssues(parsed.error)}`, path, line.line);
    const row = parsed.data;
    if ((row.input === null) !== (row.expect === null)) throw new InputError("input and expect must both be set or both be null", path, line.line);
    if (row.validity === "valid" && row.input === null) throw new InputError("a valid case must have its input and expect", path, line.line);
    out.push({ row, line: line.line });
  }
  return out;
}

/** Generated tests for a task set, by task id, and what was left out. */
export interface LoadedGeneratedTests {
  tests: Map<string, Test[]>;
  /** Rows used. */
  used: number;
  /** Rows whose validity was not asked for. */
  notIncluded: number;
  /** Rows of tasks outside the given set (a run over more tasks, or another split). */
  otherTasks: number;
}

/**
 * Reads a TCG run's tests.jsonl into Tests for `tasks`: the rows whose validity is in
 * `include` (default: valid only), in file order. A test id repeated within a task is an
 * InputError (ids must tell tests apart in verdicts).
 */
export async function loadGeneratedTests(
  runDir: string,
  tasks: readonly Pick<Task, "taskId">[],
  include: readonly CaseValidity[] = ["valid"],
): Promise<LoadedGeneratedTests> {
  const path = join(runDir, TESTS_FILE);
  const wanted = new Set(tasks.map((t) => t.taskId));
  const tests = new Map<string, Test[]>();
  const ids = new Set<string>();
  const result: LoadedGeneratedTests = { tests, used: 0, notIncluded: 0, otherTasks: 0 };
  for (const { row, line } of await readTestsFile(path)) {
    if (!include.includes(row.validity)) {
      result.notIncluded++;
      continue;
    }
    if (!wanted.has(row.task_id)) {
      result.otherTasks++;
      continue;
    }
    const test = rowToTest(row, path, line);
    if (test === undefined) continue; // an included status that was never read (e.g. unparsable)
    const key = JSON.stringify([row.task_id, row.id]);
    if (ids.has(key)) throw new InputError(`test ${row.id} of task ${row.task_id} appears twice`, path, line);
    ids.add(key);
    const list = tests.get(row.task_id) ?? [];
    list.push(test);
    tests.set(row.task_id, list);
    result.used++;
  }
  return result;
}
