/**
 * The value codec: tagged JSON (docs/ARCHITECTURE.md, "The value codec") to and from PyValue.
 *
 * Decoding is the trust boundary's gate: whatever the untrusted job sent, the host either
 * gets a plain PyValue or a reason to call the result `unserializable`. Nothing in a wire
 * value can reach the host as anything but data.
 */
import { InputError } from "../core/errors.js";
import {
  PyBytes,
  PyComplex,
  PyDict,
  PyDigest,
  PySet,
  PySurrogateStr,
  PyTuple,
  type PyValue,
  type TaggedValue,
} from "../core/py-value.js";
import { pyHashKey, pyTypeName } from "./py-equals.js";

/** The deepest container nesting the codec accepts (the job refuses deeper values too). */
export const MAX_DEPTH = 200;

const TWO_53 = 2 ** 53;
const HEX_INT = /^-?0x[0-9a-fA-F]+$/;
/** A digest payload: sha256 of the value's plain repr, the repr's length, and whether it holds a NaN. */
const DIGEST = /^([0-9a-f]{64}):(0|[1-9][0-9]{0,15})(:nan)?$/;
/** A UTF-16 code unit that is half of no pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a JS string holds a lone surrogate: the one thing it can hold that UTF-8 cannot. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Nesting allowed in trusted benchmark JSON (Python's json module stops near 1000 too). */
const MAX_JSON_DEPTH = 1000;

/** A decoded value, or why the wire value is not one. */
export type DecodeResult = { ok: true; value: PyValue } | { ok: false; reason: string };

const CONTAINER_TAGS = new Set(["t", "s", "fs", "d"]);
const FAIL: unique symbol = Symbol("decode failed");
type Decoded = PyValue | typeof FAIL;

interface DecodeState {
  reason: string;
  /** Path segments to the failing value, innermost last; filled while unwinding. */
  path: string[];
}

function fail(state: DecodeState, reason: string): typeof FAIL {
  state.reason = reason;
  return FAIL;
}

function isPlainObject(x: object): x is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function decodeFloat(x: unknown): number | undefined {
  if (typeof x === "number") return x;
  if (x === "nan") return NaN;
  if (x === "inf") return Infinity;
  if (x === "-inf") return -Infinity;
  return undefined;
}

function decodeItems(items: unknown, depth: number, state: DecodeState, what: string): PyValue[] | typeof FAIL {
  if (!Array.isArray(items)) return fail(state, `${what} payload is not an array`);
  const out: PyValue[] = new Array<PyValue>(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = decodeAt(items[i], depth, state);
    if (v === FAIL) {
      state.path.push(`[${i}]`);
      return FAIL;
    }
    out[i] = v;
  }
  return out;
}

function decodeSet(items: unknown, depth: number, state: DecodeState, frozen: boolean): Decoded {
  const what = frozen ? "frozenset" : "set";
  const decoded = decodeItems(items, depth, state, what);
  if (decoded === FAIL) return FAIL;
  const seen = new Set<string>();
  for (let i = 0; i < decoded.length; i++) {
    const item = decoded[i] as PyValue;
    const key = pyHashKey(item);
    if (key === undefined) return fail(state, `${what} element ${i} is unhashable (${pyTypeName(item)})`);
    if (seen.has(key)) return fail(state, `${what} element ${i} is a duplicate`);
    seen.add(key);
  }
  return new PySet(decoded, frozen);
}

function decodeDict(pairs: unknown, depth: number, state: DecodeState): Decoded {
  if (!Array.isArray(pairs)) return fail(state, "dict payload is not an array");
  const entries: [PyValue, PyValue][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pairs.length; i++) {
    const pair: unknown = pairs[i];
    if (!Array.isArray(pair) || pair.length !== 2) return fail(state, `dict entry ${i} is not a [key, value] pair`);
    const k = decodeAt(pair[0], depth, state);
    if (k === FAIL) {
      state.path.push(`.d[${i}][0]`);
      return FAIL;
    }
    const key = pyHashKey(k);
    if (key === undefined) return fail(state, `dict key ${i} is unhashable (${pyTypeName(k)})`);
    if (seen.has(key)) return fail(state, `dict key ${i} is a duplicate`);
    seen.add(key);
    const v = decodeAt(pair[1], depth, state);
    if (v === FAIL) {
      state.path.push(`.d[${i}][1]`);
      return FAIL;
    }
    entries.push([k, v]);
  }
  return new PyDict(entries);
}

/** `{"u": [code points]}`: a str holding surrogates (canonical only: at least one surrogate). */
function decodeSurrogateStr(payload: unknown, state: DecodeState): Decoded {
  if (!Array.isArray(payload)) return fail(state, "str payload is not a list of code points");
  let surrogate = false;
  for (const cp of payload) {
    if (!Number.isInteger(cp) || (cp as number) < 0 || (cp as number) > 0x10ffff) return fail(state, "str payload holds something other than code points");
    if ((cp as number) >= 0xd800 && (cp as number) <= 0xdfff) surrogate = true;
  }
  if (!surrogate) return fail(state, "str payload holds no surrogate (it must travel as a JSON string)");
  return new PySurrogateStr(payload as number[]);
}

function decodeBytes(payload: unknown, state: DecodeState): Decoded {
  if (typeof payload !== "string" || !BASE64.test(payload)) return fail(state, "bytes payload is not base64");
  const buf = Buffer.from(payload, "base64");
  // Only the canonical spelling round-trips; anything else (stray padding bits) is forged.
  if (buf.toString("base64") !== payload) return fail(state, "bytes payload is not canonical base64");
  // Copy out of Node's shared allocation pool.
  return new PyBytes(new Uint8Array(buf));
}

function decodeTagged(obj: Record<string, unknown>, depth: number, state: DecodeState): Decoded {
  const keys = Object.keys(obj);
  if (keys.length !== 1) return fail(state, `tagged value must have exactly one key, got ${keys.length}`);
  const tag = keys[0] as string;
  const payload = obj[tag];
  if (CONTAINER_TAGS.has(tag) && depth >= MAX_DEPTH) return fail(state, `nested deeper than ${MAX_DEPTH} levels`);
  switch (tag) {
    case "i":
      if (typeof payload !== "string" || !HEX_INT.test(payload)) return fail(state, "int payload is not a hex string");
      return payload.startsWith("-") ? -BigInt(payload.slice(1)) : BigInt(payload);
    case "f": {
      const f = decodeFloat(payload);
      return f === undefined ? fail(state, "float payload is not a number, 'nan', 'inf' or '-inf'") : f;
    }
    case "c": {
      if (!Array.isArray(payload) || payload.length !== 2) return fail(state, "complex payload is not [re, im]");
      const re = decodeFloat(payload[0]);
      const im = decodeFloat(payload[1]);
      if (re === undefined || im === undefined) return fail(state, "complex parts are not float payloads");
      return new PyComplex(re, im);
    }
    case "b":
      return decodeBytes(payload, state);
    case "u":
      return decodeSurrogateStr(payload, state);
    case "t": {
      const items = decodeItems(payload, depth + 1, state, "tuple");
      if (items === FAIL) {
        state.path.push(".t");
        return FAIL;
      }
      return new PyTuple(items);
    }
    case "s":
    case "fs": {
      const set = decodeSet(payload, depth + 1, state, tag === "fs");
      if (set === FAIL) state.path.push(`.${tag}`);
      return set;
    }
    case "d":
      return decodeDict(payload, depth + 1, state);
    case "h": {
      const m = typeof payload === "string" ? DIGEST.exec(payload) : null;
      if (m === null) return fail(state, "digest payload is not '<sha256 hex>:<length>[:nan]'");
      return new PyDigest(m[1] as string, Number(m[2]), m[3] !== undefined);
    }
    default:
      return fail(state, `unknown tag ${JSON.stringify(tag.slice(0, 20))}`);
  }
}

/** `depth` counts the containers around `wire`; a container may sit inside at most MAX_DEPTH - 1 others. */
function decodeAt(wire: unknown, depth: number, state: DecodeState): Decoded {
  switch (typeof wire) {
    case "string":
      // Python's str has code points, the host's UTF-16: a lone surrogate here could be half
      // of a pair the job split in two. The job sends any str holding one as {"u": …}.
      if (LONE_SURROGATE.test(wire)) return fail(state, 'a string with a lone surrogate (it must travel as {"u": [code points]})');
      return wire;
    case "boolean":
      return wire;
    case "number":
      // A bare number is an int; floats always travel tagged, so a fraction here is forged.
      if (!Number.isInteger(wire)) return fail(state, "bare number is not an integer");
      if (Math.abs(wire) > TWO_53) return fail(state, "bare integer beyond 2**53 (must be {\"i\": hex})");
      return BigInt(wire);
    case "object":
      if (wire === null) return null;
      if (Array.isArray(wire)) {
        if (depth >= MAX_DEPTH) return fail(state, `nested deeper than ${MAX_DEPTH} levels`);
        return decodeItems(wire, depth + 1, state, "list");
      }
      if (!isPlainObject(wire)) return fail(state, "not a JSON value");
      return decodeTagged(wire, depth, state);
    default:
      return fail(state, `not a JSON value (${typeof wire})`);
  }
}

/** Decodes an untrusted tagged-JSON value strictly; any other shape is a reason, never a throw. */
export function decodeValue(wire: TaggedValue): DecodeResult {
  const state: DecodeState = { reason: "", path: [] };
  const value = decodeAt(wire, 0, state);
  if (value === FAIL) {
    const where = state.path.length > 0 ? ` at $${state.path.reverse().join("")}` : "";
    return { ok: false, reason: `${state.reason}${where}` };
  }
  return { ok: true, value };
}

function encodeFloat(x: number): number | string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return x;
}

function encodeInt(x: bigint): number | { i: string } {
  if (x <= BigInt(TWO_53) && x >= -BigInt(TWO_53)) return Number(x);
  return { i: x < 0n ? `-0x${(-x).toString(16)}` : `0x${x.toString(16)}` };
}

/**
 * Encodes a PyValue as tagged JSON (call arguments sent into the job).
 * Note: JSON text cannot carry -0.0 inside {"f": …}; it arrives as 0.0.
 */
export function encodeValue(v: PyValue): TaggedValue {
  if (v === null) return null;
  switch (typeof v) {
    case "boolean":
      return v;
    case "string":
      return LONE_SURROGATE.test(v) ? { u: codePoints(v) } : v;
    case "bigint":
      return encodeInt(v);
    case "number":
      return { f: encodeFloat(v) };
  }
  if (Array.isArray(v)) return v.map(encodeValue);
  if (v instanceof PyTuple) return { t: v.items.map(encodeValue) };
  if (v instanceof PyBytes) return { b: Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength).toString("base64") };
  if (v instanceof PyDict) return { d: v.entries.map(([k, x]) => [encodeValue(k), encodeValue(x)]) };
  if (v instanceof PySet) return v.frozen ? { fs: v.items.map(encodeValue) } : { s: v.items.map(encodeValue) };
  if (v instanceof PyDigest) return { h: `${v.sha256}:${v.length}${v.nan ? ":nan" : ""}` };
  if (v instanceof PySurrogateStr) return { u: [...v.codePoints] };
  return { c: [encodeFloat(v.re), encodeFloat(v.im)] };
}

/** The code points of a JS string, as Python reads the same text from JSON: pairs joined, lone halves kept. */
function codePoints(s: string): number[] {
  return Array.from(s, (ch) => ch.codePointAt(0) as number);
}

/**
 * A JS string as the Python str it stands for, read as Python's json module reads the same
 * JSON: a string with a lone surrogate becomes a PySurrogateStr, any other stays itself.
 */
export function pyStr(s: string): string | PySurrogateStr {
  return LONE_SURROGATE.test(s) ? new PySurrogateStr(codePoints(s)) : s;
}

/** Builds a str-keyed dict, later duplicates replacing the value in place (Python's dict semantics). */
function strDict(pairs: [PyValue, PyValue][]): PyDict {
  const index = new Map<string, number>();
  const entries: [PyValue, PyValue][] = [];
  for (const [k, v] of pairs) {
    const key = pyHashKey(k) as string;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, entries.length);
      entries.push([k, v]);
    } else {
      (entries[at] as [PyValue, PyValue])[1] = v;
    }
  }
  return new PyDict(entries);
}

/**
 * Converts already-parsed plain JSON (trusted benchmark data) to PyValue: integers become
 * int, other numbers float, arrays list, objects str-keyed dict. JSON.parse has already
 * turned `1.0` into 1 and rounded big integers: read data files with parsePythonJson
 * (src/benchmarks/python-json.ts) when that matters.
 */
export function fromJson(json: unknown): PyValue {
  return fromJsonAt(json, 0);
}

function fromJsonAt(json: unknown, depth: number): PyValue {
  if (depth > MAX_JSON_DEPTH) throw new InputError("JSON value nested too deeply");
  if (json === null) return null;
  switch (typeof json) {
    case "string":
      return pyStr(json);
    case "boolean":
    case "bigint":
      return json;
    case "number":
      return Number.isInteger(json) ? BigInt(json) : json;
    case "object":
      if (Array.isArray(json)) return json.map((x: unknown) => fromJsonAt(x, depth + 1));
      return strDict(Object.entries(json).map(([k, v]): [PyValue, PyValue] => [pyStr(k), fromJsonAt(v, depth + 1)]));
    default:
      throw new InputError(`not a JSON value: ${typeof json}`);
  }
}
