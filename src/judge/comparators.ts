/**
 * How a returned value is judged against the expected one (the Comparator data in
 * src/core/task.ts), applied by trusted code to decoded plain values.
 */
import { PyBytes, PyComplex, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../core/py-value.js";
import type { Comparator, Expectation } from "../core/task.js";
import { pyEquals, pyTypeName, setKeys } from "./py-equals.js";

/** EvalPlus passes rtol=1e-07 to numpy.allclose (numpy.testing.assert_allclose's default). */
export const EVALPLUS_RTOL = 1e-7;
/** The atol EvalPlus enforces when the task's atol is 0 and the expected value is float-like. */
export const EVALPLUS_FLOAT_ATOL = 1e-6;

// numpy materialises several float64 temporaries of the broadcast shape; past 2**26 elements
// they outgrow EvalPlus's 4 GiB memory cap (MemoryError, a fail), so we fail too rather than
// spin on a hostile shape.
const MAX_BROADCAST_ELEMENTS = 1 << 26;
// numpy 2's NPY_MAXDIMS.
const MAX_DIMS = 64;
const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;

/** EvalPlus's `is_floats`: a float, or a non-empty list/tuple whose items are all floats (bools are not). */
export function isFloats(v: PyValue): boolean {
  if (typeof v === "number") return true;
  const items = Array.isArray(v) ? v : v instanceof PyTuple ? v.items : undefined;
  return items !== undefined && items.length > 0 && items.every((x) => typeof x === "number");
}

/** The atol EvalPlus compares with: the task's, or 1e-6 when that is 0 and `expected` is float-like. */
export function evalplusAtol(atol: number, expected: PyValue): number {
  return atol === 0 && isFloats(expected) ? EVALPLUS_FLOAT_ATOL : atol;
}

/**
 * The atol of a comparator that reads EvalPlus's atol variable (its default check, or a set
 * oracle with an atol), else undefined.
 */
export function evalplusAtolOf(c: Comparator): number | undefined {
  return c.kind === "evalplus" || c.kind === "set_eq" ? c.atol : undefined;
}

/**
 * The expectation as EvalPlus applies it once its atol variable has become 1e-6 (see
 * judge-sample): every `evalplus` comparator (and set oracle) with atol 0 gets 1e-6, and so
 * does the abs_tol 0 of an `isclose` alternative to such a check, since EvalPlus's special oracles
 * (Mbpp/581's `abs(out - _surface_Area(*inp)) <= atol`) read that same variable.
 */
export function withEvalplusFloatAtol(e: Expectation): Expectation {
  const raise = (c: Comparator): Comparator => {
    if (c.kind === "evalplus" && c.atol === 0) return { kind: "evalplus", atol: EVALPLUS_FLOAT_ATOL };
    if (c.kind === "set_eq" && c.atol === 0) return { kind: "set_eq", atol: EVALPLUS_FLOAT_ATOL };
    return c;
  };
  const out: Expectation = { expected: e.expected, comparator: raise(e.comparator) };
  const zeroAtol = evalplusAtolOf(e.comparator) === 0;
  const raiseAlternative = (c: Comparator): Comparator =>
    zeroAtol && c.kind === "isclose" && c.absTol === 0 ? { ...c, absTol: EVALPLUS_FLOAT_ATOL } : raise(c);
  if (e.alternatives !== undefined) {
    out.alternatives = e.alternatives.map((a) => ({ expected: a.expected, comparator: raiseAlternative(a.comparator) }));
  }
  return out;
}

/** Python truthiness, `bool(v)`. */
export function pyTruthy(v: PyValue): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "bigint":
      return v !== 0n;
    case "number":
      return v !== 0; // NaN is truthy in Python too
    case "string":
      return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyTuple || v instanceof PySet) return v.items.length > 0;
  if (v instanceof PyBytes) return v.data.length > 0;
  if (v instanceof PyDict) return v.entries.length > 0;
  if (v instanceof PyDigest) return true; // only large values travel as digests
  if (v instanceof PySurrogateStr) return v.codePoints.length > 0;
  return v.re !== 0 || v.im !== 0;
}

/** What `for x in v` yields in Python, or undefined when `v` is not iterable. */
export function pyIterate(v: PyValue): PyValue[] | undefined {
  if (typeof v === "string") return Array.from(v);
  if (v instanceof PySurrogateStr) {
    return v.codePoints.map((cp) => (cp >= 0xd800 && cp <= 0xdfff ? new PySurrogateStr([cp]) : String.fromCodePoint(cp)));
  }
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  if (v instanceof PyDict) return v.entries.map(([k]) => k);
  if (v instanceof PyBytes) return Array.from(v.data, (b) => BigInt(b));
  return undefined;
}

/** The hash keys of `set(v)`, or undefined where Python's `set(v)` raises (not iterable, unhashable item). */
export function pySetKeys(v: PyValue): Set<string> | undefined {
  const items = pyIterate(v);
  return items === undefined ? undefined : setKeys(items);
}


/** Python's float(x) for a real number, or undefined where it is not one or would overflow. */
function realToFloat(v: PyValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") {
    const f = Number(v);
    return Number.isFinite(f) ? f : undefined; // OverflowError in Python
  }
  return undefined;
}

/** Python's `math.isclose(a, b, rel_tol=…, abs_tol=…)`; anything that would raise is false. */
export function pyIsClose(a: PyValue, b: PyValue, relTol: number, absTol: number): boolean {
  const x = realToFloat(a);
  const y = realToFloat(b);
  if (x === undefined || y === undefined || relTol < 0 || absTol < 0) return false;
  if (x === y) return true;
  if (Math.abs(x) === Infinity || Math.abs(y) === Infinity) return false;
  const diff = Math.abs(y - x);
  return diff <= Math.abs(relTol * y) || diff <= Math.abs(relTol * x) || diff <= absTol;
}

/** A numeric n-d array as numpy would build it from nested lists/tuples: shape plus flat data. */
interface NdArray {
  shape: number[];
  re: number[];
  im: number[];
}

/**
 * `numpy.asanyarray(v)` for what allclose can use, or undefined where numpy would give a
 * non-numeric array or raise: ragged nesting, str/bytes/None/dict/set items, more than 64
 * dimensions. `role` matters for ints: the expected side becomes an object array (on which
 * isfinite raises) when a nested int is outside int64/uint64, while the actual side stays
 * usable since Python arithmetic on object items converts the int to float.
 */
function toNdArray(v: PyValue, role: "actual" | "expected"): NdArray | undefined {
  const re: number[] = [];
  const im: number[] = [];
  const nested = Array.isArray(v) || v instanceof PyTuple;
  const leaf = (x: PyValue): boolean => {
    if (x instanceof PyComplex) {
      re.push(x.re);
      im.push(x.im);
      return true;
    }
    if (typeof x === "bigint" && nested && role === "expected" && (x < INT64_MIN || x >= UINT64_END)) return false;
    const f = realToFloat(x);
    if (f === undefined) return false;
    re.push(f);
    im.push(0);
    return true;
  };
  const shapeOf = (x: PyValue, depth: number): number[] | undefined => {
    const items = Array.isArray(x) ? x : x instanceof PyTuple ? x.items : undefined;
    if (items === undefined) return leaf(x) ? [] : undefined;
    if (depth >= MAX_DIMS) return undefined;
    if (items.length === 0) return [0];
    let inner: number[] | undefined;
    for (const item of items) {
      const s = shapeOf(item, depth + 1);
      if (s === undefined) return undefined;
      if (inner === undefined) inner = s;
      else if (s.length !== inner.length || s.some((d, i) => d !== inner?.[i])) return undefined; // ragged
    }
    return [items.length, ...(inner as number[])];
  };
  const shape = shapeOf(v, 0);
  return shape === undefined ? undefined : { shape, re, im };
}

function broadcastShape(a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` laid out in the broadcast `out` shape (0 along broadcast dimensions). */
function broadcastStrides(shape: number[], out: number[]): number[] {
  const strides = new Array<number>(out.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = out.length - shape.length + i;
    const d = shape[i] as number;
    strides[j] = d === 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

function elementClose(xr: number, xi: number, yr: number, yi: number, rtol: number, atol: number): boolean {
  // numpy 2: (|x - y| <= atol + rtol * |y|) & isfinite(y) | (x == y)
  const diff = xi === 0 && yi === 0 ? Math.abs(xr - yr) : Math.hypot(xr - yr, xi - yi);
  const absY = yi === 0 ? Math.abs(yr) : Math.hypot(yr, yi);
  const finiteY = Number.isFinite(yr) && Number.isFinite(yi);
  return (diff <= atol + rtol * absY && finiteY) || (xr === yr && xi === yi);
}

/**
 * `numpy.allclose(actual, expected, rtol, atol)` (numpy 2, equal_nan=False) on plain values:
 * nested lists/tuples become arrays and broadcast, bools count as 0/1, NaN is never close,
 * an infinity only to the same infinity; wherever numpy would raise, false.
 */
export function numpyAllclose(actual: PyValue, expected: PyValue, rtol: number, atol: number): boolean {
  const x = toNdArray(actual, "actual");
  const y = toNdArray(expected, "expected");
  if (x === undefined || y === undefined) return false;
  const shape = broadcastShape(x.shape, y.shape);
  if (shape === undefined) return false;
  const size = shape.reduce((p, d) => p * d, 1);
  if (size > MAX_BROADCAST_ELEMENTS) return false;
  const same = x.re.length === size && y.re.length === size;
  if (same) {
    for (let i = 0; i < size; i++) {
      if (!elementClose(x.re[i] as number, x.im[i] as number, y.re[i] as number, y.im[i] as number, rtol, atol)) return false;
    }
    return true;
  }
  const xs = broadcastStrides(x.shape, shape);
  const ys = broadcastStrides(y.shape, shape);
  const index = new Array<number>(shape.length).fill(0);
  let xi = 0;
  let yi = 0;
  for (let n = 0; n < size; n++) {
    if (!elementClose(x.re[xi] as number, x.im[xi] as number, y.re[yi] as number, y.im[yi] as number, rtol, atol)) return false;
    // Odometer step over the broadcast shape.
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = (index[d] as number) + 1;
      if (i < (shape[d] as number)) {
        index[d] = i;
        xi += xs[d] as number;
        yi += ys[d] as number;
        break;
      }
      index[d] = 0;
      xi -= (i - 1) * (xs[d] as number);
      yi -= (i - 1) * (ys[d] as number);
    }
  }
  return true;
}

function seqLength(v: PyValue): number | undefined {
  return Array.isArray(v) ? v.length : v instanceof PyTuple ? v.items.length : undefined;
}

/**
 * EvalPlus's fallback once its exact (or set) match failed: with a non-zero atol (1e-6 when
 * the task's is 0 and the expected value is float-like), the same Python type, the same
 * length for list/tuple, and numpy.allclose(rtol=1e-07, atol).
 */
function evalplusClose(actual: PyValue, expected: PyValue, taskAtol: number): boolean {
  const atol = evalplusAtol(taskAtol, expected);
  if (atol === 0) return false;
  if (pyTypeName(actual) !== pyTypeName(expected)) return false;
  if (seqLength(actual) !== seqLength(expected)) return false;
  return numpyAllclose(actual, expected, EVALPLUS_RTOL, atol);
}

/** EvalPlus's check (evalplus/eval/__init__.py, unsafe_execute): exact `==`, else its float fallback. */
export function evalplusEquals(actual: PyValue, expected: PyValue, taskAtol: number): boolean {
  return pyEquals(actual, expected) || evalplusClose(actual, expected, taskAtol);
}

/**
 * `set(actual) == set(expected)`. With `taskAtol` it is EvalPlus's set-equality oracle
 * (MBPP_OUTPUT_SET_EQ_TASKS): when the sets differ, the same float fallback as every other
 * task (Mbpp/769 returns lists of floats); where `set()` raises, EvalPlus's test fails outright.
 */
export function setEquals(actual: PyValue, expected: PyValue, taskAtol?: number): boolean {
  const a = pySetKeys(actual);
  const b = pySetKeys(expected);
  if (a === undefined || b === undefined) return false;
  if (a.size === b.size && [...a].every((k) => b.has(k))) return true;
  return taskAtol !== undefined && evalplusClose(actual, expected, taskAtol);
}

/** Whether `actual` passes against `expected` under one comparator. */
export function compareValues(c: Comparator, actual: PyValue, expected: PyValue): boolean {
  // A value too large to send travels as the digest of its repr: only exact equality of
  // digests can be checked, whatever the comparator (a tolerance needs the values).
  if ((actual instanceof PyDigest || expected instanceof PyDigest) && c.kind !== "always" && c.kind !== "truthy" && c.kind !== "falsy") {
    return pyEquals(actual, expected);
  }
  switch (c.kind) {
    case "eq":
      return pyEquals(actual, expected);
    case "evalplus":
      return evalplusEquals(actual, expected, c.atol);
    case "set_eq":
      return setEquals(actual, expected, c.atol);
    case "truthy":
      return pyTruthy(actual);
    case "falsy":
      return !pyTruthy(actual);
    case "isclose":
      return pyIsClose(actual, expected, c.relTol, c.absTol);
    case "always":
      return true;
    default: {
      const unknown: never = c;
      throw new Error(`unknown comparator ${JSON.stringify(unknown)}`);
    }
  }
}

/** Whether `actual` meets the expectation: its main comparison or any accepted alternative. */
export function expectationHolds(e: Expectation, actual: PyValue): boolean {
  if (compareValues(e.comparator, actual, e.expected)) return true;
  return e.alternatives?.some((a) => compareValues(a.comparator, actual, a.expected)) ?? false;
}
