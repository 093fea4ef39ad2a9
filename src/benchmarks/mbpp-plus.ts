import { InputError } from "../core/errors.js";
import { PyDict, PyTuple, type PyValue } from "../core/py-value.js";
import type { BenchmarkSpec, Comparator, ExpectFromReference, TaskSpec, TestSpec } from "../core/task.js";
import { encodeValue } from "../judge/codec.js";
import { pyRepr } from "../judge/py-repr.js";
import {
  type BenchmarkConfig,
  type ConfigOracle,
  loadBenchmarkConfig,
  splitRange,
  toComparator,
} from "./benchmark-config.js";
import { resolveDataFile } from "./data.js";
import { readJsonlLines } from "./jsonl.js";
import type { BenchmarkLoadOptions } from "./load-options.js";
import { inSplit } from "./mbpp.js";
import { applyInputTransform, TransformError } from "./mbpp-plus-transforms.js";
import { parsePythonJson } from "./python-json.js";

/** Test displays stop here: some MBPP+ inputs are lists of thousands of items. */
const DISPLAY_CHARS = 120;

/** The fields of one MbppPlus.jsonl line that verdict uses. */
export interface MbppPlusRow {
  taskId: string;
  number: number;
  prompt: string;
  entryPoint: string;
  canonicalSolution: string;
  atol: number;
  baseInput: PyValue[];
  plusInput: PyValue[];
}

/** Loads EvalPlus MBPP+ (399 tasks): base and plus inputs, expected values from the reference. */
export async function loadMbppPlus(opts: BenchmarkLoadOptions = {}, config?: BenchmarkConfig): Promise<BenchmarkSpec> {
  const cfg = config ?? (await loadBenchmarkConfig("mbpp-plus"));
  const split = opts.split ?? cfg.splits.default;
  const range = splitRange(cfg, split);
  const source = cfg.data[0];
  if (!source) throw new InputError(`${cfg.name} has no data file`);
  const data = await resolveDataFile(source.file, { source, dataDir: opts.dataDir });
  const tasks: TaskSpec[] = [];
  for (const line of await readJsonlLines(data.path)) {
    const row = parseRow(data.path, line.line, line.text);
    if (!inSplit(row.number, range)) continue;
    try {
      tasks.push(rowToTask(row, cfg));
    } catch (err) {
      // Say which data line the task came from; an error that already names its file stays as it is.
      if (err instanceof TransformError || (err instanceof InputError && err.file === undefined)) {
        throw new InputError(`${row.taskId}: ${err.message}`, data.path, line.line);
      }
      throw err;
    }
  }
  return { name: cfg.name, split, dataSha256: { [data.name]: data.sha256 }, tasks, groups: [...cfg.groups] };
}

/**
 * One MBPP+ row as a task spec: one call test per input, expectations from the reference.
 * Throws TransformError for an input its task's transform cannot take, InputError when the
 * definition's oracle is for another entry point.
 */
export function rowToTask(row: MbppPlusRow, cfg: BenchmarkConfig): TaskSpec {
  const transform = cfg.input_transforms?.[String(row.number)];
  const oracle = cfg.oracles?.[String(row.number)];
  if (oracle && oracle.entry_point !== row.entryPoint) {
    throw new InputError(
      `benchmarks/${cfg.name}.yaml oracles.${row.number}: the definition is for ${oracle.entry_point}() but ${row.taskId}'s entry point is ${row.entryPoint}()`,
    );
  }
  const expect = expectation(oracle, row.atol);
  const project = oracle?.project;
  const makeTests = (inputs: PyValue[], group: string): TestSpec[] =>
    inputs.map((input, i) => {
      let args = asArgs(input, `${group}_input[${i}]`);
      try {
        if (transform) args = applyInputTransform(transform, args);
      } catch (err) {
        if (!(err instanceof TransformError)) throw err;
        throw new TransformError(`${group}_input[${i}]: ${transform}: ${err.message}`, { cause: err });
      }
      return {
        id: `${group}/${i}`,
        group,
        input: { kind: "call", fn: row.entryPoint, args: args.map(encodeValue), ...(project ? { project } : {}) },
        expect,
        display: callRepr(row.entryPoint, args, DISPLAY_CHARS),
      };
    });
  const oracleFns = [...new Set(oracle?.alternatives?.map((a) => a.fn) ?? [])];
  return {
    taskId: row.taskId,
    text: promptText(row.prompt),
    prompt: row.prompt,
    reference: row.prompt + row.canonicalSolution,
    setup: "",
    entryPoint: row.entryPoint,
    tests: [...makeTests(row.baseInput, "base"), ...makeTests(row.plusInput, "plus")],
    ...(oracleFns.length > 0 ? { oracleCode: oracleFns.map((fn) => cfg.oracle_functions?.[fn] ?? "").join("\n") } : {}),
    ...(cfg.time_calibration
      ? { timeCalibration: { factor: cfg.time_calibration.factor, minSeconds: cfg.time_calibration.min_seconds } }
      : {}),
  };
}

/** The expectation every test of a task shares (the reference computes the value itself). */
function expectation(oracle: ConfigOracle | undefined, atol: number): ExpectFromReference {
  const comparator: Comparator = oracle?.comparator
    ? toComparator(oracle.comparator, atol)
    : { kind: "evalplus", atol };
  const alternatives = oracle?.alternatives?.map((a) => ({ fn: a.fn, comparator: toComparator(a.comparator, atol) }));
  return { from: "reference", comparator, ...(alternatives ? { alternatives } : {}) };
}

/** The docstring's inside: the task text and its example assert. */
function promptText(prompt: string): string {
  const m = /^\s*("""|''')([\s\S]*?)\1\s*$/.exec(prompt);
  return (m ? (m[2] as string) : prompt).trim();
}

/** `fn(arg, …)` as the call would be written in Python, cut at `maxChars`. */
function callRepr(fn: string, args: PyValue[], maxChars: number): string {
  const text = pyRepr(new PyTuple(args), Math.max(8, maxChars - fn.length));
  // A one-element tuple prints "(x,)"; the call has no trailing comma.
  return fn + (args.length === 1 && text.endsWith(",)") ? `${text.slice(0, -2)})` : text);
}

function asArgs(input: PyValue, where: string): PyValue[] {
  if (!Array.isArray(input)) throw new TransformError(`${where} is not a list of arguments`);
  return input;
}

function parseRow(path: string, lineNo: number, text: string): MbppPlusRow {
  let value: PyValue;
  try {
    value = parsePythonJson(text);
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, path, lineNo);
  }
  if (!(value instanceof PyDict)) throw new InputError("not a JSON object", path, lineNo);
  const fields = new Map<string, PyValue>();
  for (const [k, v] of value.entries) if (typeof k === "string") fields.set(k, v);
  const str = (name: string): string => {
    const v = fields.get(name);
    if (typeof v !== "string") throw new InputError(`${name}: expected a string`, path, lineNo);
    return v;
  };
  const list = (name: string): PyValue[] => {
    const v = fields.get(name);
    // Mbpp/793 stores its (empty) plus_input as {}; EvalPlus iterates it as no inputs.
    if (v instanceof PyDict && v.entries.length === 0) return [];
    if (!Array.isArray(v)) throw new InputError(`${name}: expected a list`, path, lineNo);
    return v;
  };
  const taskId = str("task_id");
  const m = /^Mbpp\/([1-9][0-9]*)$/.exec(taskId);
  if (!m) throw new InputError(`task_id: expected "Mbpp/<number>", got ${JSON.stringify(taskId)}`, path, lineNo);
  const atol = fields.get("atol");
  if (typeof atol !== "number" && typeof atol !== "bigint") throw new InputError("atol: expected a number", path, lineNo);
  return {
    taskId,
    number: Number(m[1]),
    prompt: str("prompt"),
    entryPoint: str("entry_point"),
    canonicalSolution: str("canonical_solution"),
    atol: Number(atol),
    baseInput: list("base_input"),
    plusInput: list("plus_input"),
  };
}
