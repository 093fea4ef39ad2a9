/**
 * Model-written cases become project Tests: a call of the task's entry point with the case's
 * arguments, judged by the task's own comparison rule against the case's output. Cases that
 * cannot become one are marked before anything runs: `too_long` (over the size cap, checked
 * before the text is parsed at all), `unparsable` (not a call with literal arguments and a
 * literal output) or `duplicate` (the same arguments as an earlier case of the same task).
 */
import { PySet, type PyValue } from "../core/py-value.js";
import type { Comparator, Task, Test } from "../core/task.js";
import { encodeValue } from "../judge/codec.js";
import { entryPointOf } from "../prompts/prompt-task.js";
import { DEFAULT_MAX_CASE_CHARS, renderCaseBlock } from "../prompts/tcg.js";
import type { CaseText } from "./case-blocks.js";
import { type LiteralLimits, parseCallArguments, parsePyLiteral } from "./py-literal.js";

/** The group generated tests carry, beside a benchmark's "test", "base", "plus". */
export const TCG_GROUP = "tcg";

/** Where a case came from: the TCG model's name, the request's index for its task, the case's index in the answer. */
export interface CaseOrigin {
  model: string;
  request: number;
  case: number;
}

/** Statuses a case can get before it runs. */
export type PreRunStatus = "unparsable" | "duplicate" | "too_long";

/** What a task's generated tests call, and how their values are judged. */
export interface TcgTarget {
  entryPoint: string;
  comparator: Comparator;
  /** The projection the benchmark applies to the entry point's result (MBPP+'s `not_none`). */
  project?: "not_none";
  /** The task's longest calibrated per-test limit: generated tests get the same room. */
  seconds?: number;
}

/** One case, ready to run on the reference (`test` set) or already decided (`status` set). */
export interface PreparedCase {
  taskId: string;
  origin: CaseOrigin;
  /** The test id: `tcg/<model>/<request>/<case>`. */
  id: string;
  inputText: string;
  outputText: string;
  status?: PreRunStatus;
  detail?: string;
  test?: Test;
}

/** How one answer's cases are prepared. */
export interface PrepareOptions {
  model: string;
  request: number;
  /** Cases asked for: later ones in the answer are left out and counted as `extra`. */
  cases: number;
  /** Longest case block, rendered in the paper's format (default 100, the paper's). */
  maxCaseChars?: number;
  /** Input keys of the task's earlier cases, across its requests; this call adds its own. */
  seen: Set<string>;
  literal?: LiteralLimits;
}

/** The cases of one answer, and how far its count was from the count asked for. */
export interface PreparedAnswer {
  cases: PreparedCase[];
  /** Cases beyond the count asked for, left out. */
  extra: number;
  /** Cases asked for that the answer did not hold. */
  missing: number;
}

const DISPLAY_CHARS = 120;

/** A generated test's id. */
export function tcgTestId(origin: CaseOrigin): string {
  return `tcg/${origin.model}/${origin.request}/${origin.case}`;
}

/** The comparison a generated case is judged by: the benchmark's, except that a case's stated value always counts. */
function caseComparator(c: Comparator | undefined): Comparator {
  // An MBPP `assert f(x)` judges truthiness and ignores any expected value; a generated case
  // states the value it expects, so it is compared with ==.
  if (c === undefined || c.kind === "truthy" || c.kind === "falsy") return { kind: "eq" };
  return c;
}

/**
 * What a task's generated tests call and how they are judged: the entry point (the task's own,
 * else the function its asserts call), the comparator of its first judged test, the projection
 * its call tests apply, and its longest time limit. Undefined for a task with no function to
 * call (stdin/stdout programs).
 */
export function tcgTarget(task: Task): TcgTarget | undefined {
  const asserts = task.tests.map((t) => t.display ?? (t.input.kind === "expr" || t.input.kind === "exec" ? t.input.src : ""));
  const entryPoint = entryPointOf({ taskId: task.taskId, text: task.text, tests: asserts, ...(task.entryPoint ? { entryPoint: task.entryPoint } : {}) });
  if (entryPoint === undefined) return undefined;
  const judged = task.tests.find((t) => t.expect !== null);
  const project = task.tests.find((t) => t.input.kind === "call" && t.input.project !== undefined)?.input;
  const limits = task.tests.map((t) => t.seconds).filter((s): s is number => s !== undefined);
  return {
    entryPoint,
    comparator: caseComparator(judged?.expect?.comparator),
    ...(project?.kind === "call" && project.project ? { project: project.project } : {}),
    ...(limits.length > 0 ? { seconds: Math.max(...limits) } : {}),
  };
}

/** A key equal for equal argument lists: the tagged form, with set items in a fixed order. */
export function inputKey(args: readonly PyValue[]): string {
  const canon = (v: PyValue): PyValue => {
    if (Array.isArray(v)) return v.map(canon);
    if (v instanceof PySet) {
      const items = v.items.map(canon).map((x) => [JSON.stringify(encodeValue(x)), x] as const);
      items.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return new PySet(items.map(([, x]) => x), v.frozen);
    }
    return v;
  };
  return JSON.stringify(args.map((a) => encodeValue(canon(a))));
}

/** How a generated test reads in reports: `fn(<input>) == <output>` on one line, cut to 120 characters. */
export function tcgDisplay(fn: string, inputText: string, outputText: string): string {
  const flat = `${fn}(${inputText}) == ${outputText}`.replace(/\s*\n\s*/g, " ");
  return flat.length > DISPLAY_CHARS ? `${flat.slice(0, DISPLAY_CHARS - 1)}…` : flat;
}

/** Reads one case into a test, or says why it cannot run. */
function prepareOne(task: Task, target: TcgTarget | undefined, text: CaseText, base: PreparedCase, opts: PrepareOptions): PreparedCase {
  const max = opts.maxCaseChars ?? DEFAULT_MAX_CASE_CHARS;
  // Sized before parsing, so a huge literal is never read.
  const size = renderCaseBlock(text.input, text.output).length;
  if (size > max) return { ...base, status: "too_long", detail: `case block of ${size} characters (limit ${max})` };
  if (text.problem !== undefined) return { ...base, status: "unparsable", detail: text.problem };
  if (target === undefined) return { ...base, status: "unparsable", detail: `task ${task.taskId} has no function entry point to call` };
  const args = parseCallArguments(text.input, target.entryPoint, opts.literal);
  if (!args.ok) return { ...base, status: "unparsable", detail: `input: ${args.reason}` };
  const expected = parsePyLiteral(text.output, opts.literal);
  if (!expected.ok) return { ...base, status: "unparsable", detail: `output: ${expected.reason}` };
  const key = inputKey(args.value);
  if (opts.seen.has(key)) return { ...base, status: "duplicate", detail: "the same input as an earlier case of this task" };
  opts.seen.add(key);
  const test: Test = {
    id: base.id,
    group: TCG_GROUP,
    input: { kind: "call", fn: target.entryPoint, args: args.value.map(encodeValue), ...(target.project ? { project: target.project } : {}) },
    expect: { expected: expected.value, comparator: target.comparator },
    ...(target.seconds !== undefined ? { seconds: target.seconds } : {}),
    display: tcgDisplay(target.entryPoint, text.input, text.output),
  };
  return { ...base, test };
}

/**
 * Turns one answer's cases into tests for `task` (see the module comment). Keeps the first
 * `opts.cases` cases; `target` comes from tcgTarget (undefined: every case is unparsable).
 */
export function prepareCases(task: Task, target: TcgTarget | undefined, texts: readonly CaseText[], opts: PrepareOptions): PreparedAnswer {
  const kept = texts.slice(0, opts.cases);
  const cases = kept.map((text, i) => {
    const origin: CaseOrigin = { model: opts.model, request: opts.request, case: i };
    const base: PreparedCase = { taskId: task.taskId, origin, id: tcgTestId(origin), inputText: text.input, outputText: text.output };
    return prepareOne(task, target, text, base, opts);
  });
  return { cases, extra: texts.length - kept.length, missing: opts.cases - kept.length };
}

/** The task with its tests replaced by the given generated ones: what the reference (or any program) is judged on. */
export function withTests(task: Task, tests: Test[]): Task {
  return { ...task, tests };
}
