import { pyHashKey, pyTypeName as typeName } from "../judge/py-equals.js";
import { PyComplex, PyDict, PySet, PyTuple, type PyValue } from "../core/py-value.js";

/**
 * MBPP+ stores each input as a JSON list of arguments, and JSON has no tuples, sets or
 * complex numbers. EvalPlus rebuilds them with per-task rules (`mbpp_deserialize_inputs`);
 * these are those rules, by name. benchmarks/mbpp-plus.yaml says which task uses which.
 * Each follows EvalPlus's Python expression for its group, written over PyValues.
 */
export const INPUT_TRANSFORMS = {
  /** `[tuple(a) for a in args]` */
  tuple_each_arg: (args) => args.map(pyTuple),
  /** `[[tuple(x) for x in a] for a in args]` */
  tuple_items_each_arg: (args) => args.map((a) => iterate(a).map(pyTuple)),
  /** `[[tuple(x) for x in args[0]], args[1]]` */
  tuple_items_first_arg: (args) => [iterate(arg(args, 0)).map(pyTuple), arg(args, 1)],
  /** `[args[0], tuple(args[1])]` */
  tuple_second_arg: (args) => [arg(args, 0), pyTuple(arg(args, 1))],
  /** `[tuple(args[0]), *args[1:]]` */
  tuple_first_arg: (args) => [pyTuple(arg(args, 0)), ...args.slice(1)],
  /** `[tuple(tuple(x) for x in a) for a in args]` */
  tuple_of_tuples_each_arg: (args) => args.map((a) => new PyTuple(iterate(a).map(pyTuple))),
  /** `[tuple(tuple(x) if isinstance(x, list) else x for x in args[0])]` */
  tuple_with_tuple_items_first_arg: (args) => [
    new PyTuple(iterate(arg(args, 0)).map((x) => (Array.isArray(x) ? new PyTuple(x) : x))),
  ],
  /**
   * `[[set(x) if isinstance(x, list) and len(x) else {} for x in args[0]]]`: anything but a
   * non-empty list becomes an empty *dict*, exactly as EvalPlus does (its serializer wrote
   * empty sets as empty lists, and `{}` is a dict literal).
   */
  sets_first_arg_items: (args) => [
    iterate(arg(args, 0)).map((x) => (Array.isArray(x) && x.length > 0 ? pySet(x) : new PyDict([]))),
  ],
  /** `(float(args[0]), complex(args[1]))` */
  float_complex_args: (args) => [pyFloat(arg(args, 0)), pyComplex(arg(args, 1))],
  /** `[complex(args[0])]` */
  complex_first_arg: (args) => [pyComplex(arg(args, 0))],
  /** `[{k: tuple(v) for k, v in args[0].items()}, *args[1:]]` */
  tuple_dict_values_first_arg: (args) => {
    const d = arg(args, 0);
    if (!(d instanceof PyDict)) throw new TransformError(`expected a dict as the first argument, got ${typeName(d)}`);
    return [new PyDict(d.entries.map(([k, v]) => [k, pyTuple(v)])), ...args.slice(1)];
  },
  /** Every list, at every depth, becomes a tuple (dict contents are left alone, as in EvalPlus). */
  deep_tuples: (args) => args.map(deepTuples),
} as const satisfies Record<string, (args: PyValue[]) => PyValue[]>;

/** The name of an input transform. */
export type InputTransformName = keyof typeof INPUT_TRANSFORMS;

/** Every transform name, for schema validation. */
export const INPUT_TRANSFORM_NAMES = Object.keys(INPUT_TRANSFORMS) as [InputTransformName, ...InputTransformName[]];

/** An input a transform cannot apply to (EvalPlus would have raised on it too). */
export class TransformError extends Error {
  override name = "TransformError";
}

/** Applies a named transform to one input's argument list. */
export function applyInputTransform(name: InputTransformName, args: PyValue[]): PyValue[] {
  return INPUT_TRANSFORMS[name](args);
}

function arg(args: PyValue[], i: number): PyValue {
  if (i >= args.length) throw new TransformError(`expected at least ${i + 1} arguments, got ${args.length}`);
  return args[i] as PyValue;
}

/** Python's iteration order over a value, as `tuple(v)` / `for x in v` sees it. */
function iterate(v: PyValue): PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (typeof v === "string") return Array.from(v);
  if (v instanceof PyDict) return v.entries.map(([k]) => k);
  if (v instanceof PySet) return v.items;
  throw new TransformError(`${typeName(v)} is not iterable`);
}

/** Python's `tuple(v)`. */
function pyTuple(v: PyValue): PyTuple {
  return v instanceof PyTuple ? v : new PyTuple([...iterate(v)]);
}

/** Python's `set(items)`: equal elements collapse to the first one. */
function pySet(items: PyValue[]): PySet {
  const seen = new Set<string>();
  const unique: PyValue[] = [];
  for (const item of items) {
    const key = pyHashKey(item);
    if (key === undefined) throw new TransformError(`unhashable set element: ${typeName(item)}`);
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(item);
    }
  }
  return new PySet(unique, false);
}

function deepTuples(v: PyValue): PyValue {
  return Array.isArray(v) ? new PyTuple(v.map(deepTuples)) : v;
}

// Python's float() and complex() string grammar: digits may be grouped by single underscores.
const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_BODY = String.raw`(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf(?:inity)?|nan)`;
const FLOAT_RE = new RegExp(String.raw`^[+-]?${FLOAT_BODY}$`, "i");
const REAL_RE = new RegExp(String.raw`^([+-]?${FLOAT_BODY})$`, "i");
const IMAG_RE = new RegExp(String.raw`^([+-]?(?:${FLOAT_BODY})?)j$`, "i");
const BOTH_RE = new RegExp(String.raw`^([+-]?${FLOAT_BODY})([+-](?:${FLOAT_BODY})?)j$`, "i");

/** Python's `float(x)` for the values MBPP+ stores: int, float, bool or str. */
export function pyFloat(v: PyValue): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim();
    if (!FLOAT_RE.test(s)) throw new TransformError(`could not convert string to float: ${JSON.stringify(v)}`);
    return parseFloatLiteral(s);
  }
  throw new TransformError(`float() argument must be a string or a real number, not ${typeName(v)}`);
}

/** Python's `complex(x)` for an int, float, bool, complex or str (e.g. "(1+2j)", "-3j", "(-0-1e-16j)"). */
export function pyComplex(v: PyValue): PyComplex {
  if (v instanceof PyComplex) return v;
  if (typeof v !== "string") return new PyComplex(pyFloat(v), 0);
  let s = v.trim();
  if (s.startsWith("(") && s.endsWith(")")) s = s.slice(1, -1).trim();
  let m = REAL_RE.exec(s);
  if (m) return new PyComplex(parseFloatLiteral(m[1] as string), 0);
  m = IMAG_RE.exec(s);
  if (m) return new PyComplex(0, parseImag(m[1] as string));
  m = BOTH_RE.exec(s);
  if (m) return new PyComplex(parseFloatLiteral(m[1] as string), parseImag(m[2] as string));
  throw new TransformError(`complex() arg is a malformed string: ${JSON.stringify(v)}`);
}

/** The coefficient before `j`: empty or a bare sign means 1. */
function parseImag(s: string): number {
  if (s === "" || s === "+") return 1;
  if (s === "-") return -1;
  return parseFloatLiteral(s);
}

function parseFloatLiteral(s: string): number {
  const t = s.replace(/_/g, "").toLowerCase();
  const sign = t.startsWith("-") ? -1 : 1;
  const body = t.replace(/^[+-]/, "");
  if (body === "inf" || body === "infinity") return sign * Infinity;
  if (body === "nan") return NaN;
  // Number() rounds decimal text correctly (like Python) and keeps the sign of -0.
  return Number(t);
}
