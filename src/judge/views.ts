/**
 * The builtins a decomposed assert applies to the program's value (src/core/task.ts `View`),
 * run here on the host on the value as plain data, exactly as Python runs them on plain
 * values. In the job they would run on the program's own objects, which decide how they
 * iterate, hash, compare and convert.
 */
import { PyBytes, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../core/py-value.js";
import type { View } from "../core/task.js";
import type { Outcome } from "../core/outcome.js";
import { pyIterate } from "./comparators.js";
import { pyHashKey, pyTypeName } from "./py-equals.js";
import { pyRepr } from "./py-repr.js";

/** A view's result, or how applying it ends (as the assert would: an exception, or a value too large to see). */
export type ViewResult = { ok: true; value: PyValue } | { ok: false; outcome: Outcome; detail: string };

/** Raised by a view where Python raises: the exception's text. */
class PyRaise extends Error {}

function iterate(v: PyValue): PyValue[] {
  const items = pyIterate(v);
  if (items === undefined) throw new PyRaise(`TypeError: '${pyTypeName(v)}' object is not iterable`);
  return items;
}

function toSet(v: PyValue, frozen: boolean): PySet {
  const seen = new Set<string>();
  const items: PyValue[] = [];
  for (const item of iterate(v)) {
    const key = pyHashKey(item);
    if (key === undefined) throw new PyRaise(`TypeError: unhashable type: '${pyTypeName(item)}'`);
    // Python keeps the first of equal items (set([1, 1.0]) is {1}).
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(item);
  }
  return new PySet(items, frozen);
}

function length(v: PyValue): bigint {
  if (typeof v === "string") return BigInt(Array.from(v).length);
  if (v instanceof PySurrogateStr) return BigInt(v.codePoints.length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof PyTuple || v instanceof PySet) return BigInt(v.items.length);
  if (v instanceof PyDict) return BigInt(v.entries.length);
  if (v instanceof PyBytes) return BigInt(v.data.length);
  throw new PyRaise(`TypeError: object of type '${pyTypeName(v)}' has no len()`);
}

/** Python's int(x) in base 10 from a str or bytes: ASCII digits only (other Unicode digits raise here). */
function parseInt10(text: string, shown: PyValue): bigint {
  const m = /^\s*([+-]?)(\d+(?:_\d+)*)\s*$/.exec(text);
  if (m === null) throw new PyRaise(`ValueError: invalid literal for int() with base 10: ${pyRepr(shown, 60)}`);
  const n = BigInt((m[2] as string).replaceAll("_", ""));
  return m[1] === "-" ? -n : n;
}

function toInt(v: PyValue): bigint {
  switch (typeof v) {
    case "boolean":
      return v ? 1n : 0n;
    case "bigint":
      return v;
    case "number":
      if (Number.isNaN(v)) throw new PyRaise("ValueError: cannot convert float NaN to integer");
      if (!Number.isFinite(v)) throw new PyRaise("OverflowError: cannot convert float infinity to integer");
      return BigInt(Math.trunc(v));
    case "string":
      return parseInt10(v, v);
  }
  if (v instanceof PyBytes) {
    // int(b"12") reads ASCII; a byte above 0x7f is never a digit or a space there.
    return parseInt10(Array.from(v.data, (b) => (b < 0x80 ? String.fromCharCode(b) : "\u0000")).join(""), v);
  }
  if (v instanceof PySurrogateStr) throw new PyRaise(`ValueError: invalid literal for int() with base 10: ${pyRepr(v, 60)}`);
  throw new PyRaise(`TypeError: int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`);
}

function apply(view: View, v: PyValue): PyValue {
  switch (view) {
    case "set":
      return toSet(v, false);
    case "frozenset":
      return toSet(v, true);
    case "list":
      return [...iterate(v)];
    case "tuple":
      return new PyTuple([...iterate(v)]);
    case "len":
      return length(v);
    case "int":
      return toInt(v);
    default: {
      const unknown: never = view;
      throw new Error(`unknown view ${JSON.stringify(unknown)}`);
    }
  }
}

/** Applies `views` (innermost first) to a returned value; no views: the value itself. */
export function applyViews(views: readonly View[] | undefined, value: PyValue): ViewResult {
  let v = value;
  for (const view of views ?? []) {
    // A digest holds no items to iterate, count or convert.
    if (v instanceof PyDigest) {
      return { ok: false, outcome: "output_limit", detail: `return value too large to apply ${view}() to (it came back as a digest)` };
    }
    try {
      v = apply(view, v);
    } catch (err) {
      if (!(err instanceof PyRaise)) throw err;
      return { ok: false, outcome: "runtime_error", detail: `${err.message} (in ${view}() of the returned value)` };
    }
  }
  return { ok: true, value: v };
}
