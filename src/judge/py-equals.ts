import { PyBytes, PyComplex, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../core/py-value.js";

/** Python's name for the type of a value (`type(v).__name__`). */
export function pyTypeName(v: PyValue): string {
  if (v === null) return "NoneType";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return "float";
    case "string":
      return "str";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof PyBytes) return "bytes";
  if (v instanceof PyDict) return "dict";
  if (v instanceof PySet) return v.frozen ? "frozenset" : "set";
  if (v instanceof PySurrogateStr) return "str";
  if (v instanceof PyDigest) return "object";
  return "complex";
}

/** Whether Python could use the value as a dict key or set element (`hash(v)` would not raise). */
export function isHashable(v: PyValue): boolean {
  if (Array.isArray(v) || v instanceof PyDict) return false;
  if (v instanceof PySet) return v.frozen && v.items.every(isHashable);
  if (v instanceof PyTuple) return v.items.every(isHashable);
  return true;
}

// Values from separate processes are never the same object, so every NaN is unequal to
// every other (Python's `x is y` shortcut never applies): each gets a key of its own.
let nanCounter = 0;

function floatKey(x: number): string {
  if (Number.isNaN(x)) return `nan#${nanCounter++}`;
  // An integral float equals the int of the same value (1.0 == 1, -0.0 == 0): share its key.
  // Up to 2**53 String() prints the exact digits (and -0 as "0") and is much cheaper; above,
  // it prints the shortest round-trip digits, not the value (2**64 → "18446744073709552000").
  if (Number.isInteger(x)) return Number.isSafeInteger(x) ? `i${String(x)}` : `i${BigInt(x)}`;
  return `f${x}`;
}

function seqKey(tag: string, keys: string[]): string {
  // Length prefixes keep nested keys unambiguous without escaping.
  let out = tag + "(";
  for (const k of keys) out += `${k.length}:${k}`;
  return out + ")";
}

/**
 * A string that two hashable values share exactly when Python's `==` holds between them,
 * so dict and set membership is a Map lookup instead of O(n²) comparisons.
 * Returns undefined for unhashable values (list, dict, set, or a tuple holding one).
 */
export function pyHashKey(v: PyValue): string | undefined {
  if (v === null) return "N";
  switch (typeof v) {
    case "boolean":
      return v ? "i1" : "i0";
    case "bigint":
      return `i${v}`;
    case "number":
      return floatKey(v);
    case "string":
      return "s" + v;
  }
  if (Array.isArray(v) || v instanceof PyDict) return undefined;
  if (v instanceof PyDigest) return v.nan ? `nan#${nanCounter++}` : `h${v.sha256}`;
  // "u" and "s" never meet: a str with a surrogate is never a plain JS string.
  if (v instanceof PySurrogateStr) return `u${v.codePoints.join(",")}`;
  if (v instanceof PyBytes) return "b" + Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString("hex");
  if (v instanceof PyTuple) {
    const keys: string[] = [];
    for (const item of v.items) {
      const k = pyHashKey(item);
      if (k === undefined) return undefined;
      keys.push(k);
    }
    return seqKey("t", keys);
  }
  if (v instanceof PySet) {
    if (!v.frozen) return undefined;
    const keys = setKeys(v.items);
    if (keys === undefined) return undefined;
    return seqKey("F", [...keys].sort());
  }
  if (v instanceof PyComplex) {
    if (v.im === 0) return floatKey(v.re);
    if (Number.isNaN(v.re) || Number.isNaN(v.im)) return `nan#${nanCounter++}`;
    // String() prints -0 as "0", matching -0.0 == 0.0.
    return `c${String(v.re)},${String(v.im)}`;
  }
  return undefined;
}

/** The distinct hash keys of some elements (what `set(items)` holds); undefined if one is unhashable. */
export function setKeys(items: Iterable<PyValue>): Set<string> | undefined {
  const keys = new Set<string>();
  for (const item of items) {
    const k = pyHashKey(item);
    if (k === undefined) return undefined;
    keys.add(k);
  }
  return keys;
}

type Real = boolean | bigint | number;

function isReal(v: PyValue): v is Real {
  const t = typeof v;
  return t === "boolean" || t === "bigint" || t === "number";
}

function realEquals(a: Real, b: Real): boolean {
  const x = typeof a === "boolean" ? (a ? 1n : 0n) : a;
  const y = typeof b === "boolean" ? (b ? 1n : 0n) : b;
  if (typeof x === "bigint" && typeof y === "bigint") return x === y;
  if (typeof x === "number" && typeof y === "number") return x === y;
  // int vs float compares exact values, as CPython does: 2**53 + 1 != float(2**53).
  const f = typeof x === "number" ? x : (y as number);
  const i = typeof x === "bigint" ? x : (y as bigint);
  return Number.isInteger(f) && BigInt(f) === i;
}

function numericEquals(a: Real | PyComplex, b: Real | PyComplex): boolean {
  if (a instanceof PyComplex && b instanceof PyComplex) return a.re === b.re && a.im === b.im;
  if (a instanceof PyComplex) return a.im === 0 && realEquals(a.re, b as Real);
  if (b instanceof PyComplex) return b.im === 0 && realEquals(a, b.re);
  return realEquals(a, b);
}

function codePointsEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function seqEquals(a: PyValue[], b: PyValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!pyEquals(a[i] as PyValue, b[i] as PyValue)) return false;
  return true;
}

function dictEquals(a: PyDict, b: PyDict): boolean {
  if (a.entries.length !== b.entries.length) return false;
  const byKey = new Map<string, PyValue>();
  for (const [k, v] of b.entries) {
    const key = pyHashKey(k);
    if (key === undefined) return false; // not a real dict: Python could not have built it
    byKey.set(key, v);
  }
  if (byKey.size !== b.entries.length) return false;
  for (const [k, v] of a.entries) {
    const key = pyHashKey(k);
    if (key === undefined || !byKey.has(key)) return false;
    if (!pyEquals(v, byKey.get(key) as PyValue)) return false;
  }
  return true;
}

function setEquals(a: PySet, b: PySet): boolean {
  const ka = setKeys(a.items);
  const kb = setKeys(b.items);
  if (ka === undefined || kb === undefined || ka.size !== kb.size) return false;
  for (const k of ka) if (!kb.has(k)) return false;
  return true;
}

/**
 * Python 3 `a == b` on plain values: numbers compare by value across bool, int, float and
 * complex; list and tuple never equal each other; set equals frozenset; NaN equals nothing;
 * str by code points.
 */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a instanceof PySurrogateStr || b instanceof PySurrogateStr) {
    return a instanceof PySurrogateStr && b instanceof PySurrogateStr && codePointsEqual(a.codePoints, b.codePoints);
  }
  const aNum = isReal(a) || a instanceof PyComplex;
  const bNum = isReal(b) || b instanceof PyComplex;
  if (aNum || bNum) return aNum && bNum && numericEquals(a as Real | PyComplex, b as Real | PyComplex);
  if (Array.isArray(a)) return Array.isArray(b) && seqEquals(a, b);
  if (a instanceof PyTuple) return b instanceof PyTuple && seqEquals(a.items, b.items);
  if (a instanceof PyBytes) return b instanceof PyBytes && bytesEqual(a.data, b.data);
  if (a instanceof PyDict) return b instanceof PyDict && dictEquals(a, b);
  if (a instanceof PySet) return b instanceof PySet && setEquals(a, b);
  if (a instanceof PyDigest) return b instanceof PyDigest && a.sha256 === b.sha256 && !a.nan && !b.nan;
  return false;
}
