/**
 * Plain Python values as the trusted side sees them.
 *
 * The mapping is chosen so that the common cases need no wrapper:
 * `null` = None, `boolean` = bool, `bigint` = int, `number` = float, `string` = str,
 * `PyValue[]` = list. The rest are small marker classes holding data only.
 */
export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | PyValue[]
  | PyTuple
  | PyBytes
  | PyDict
  | PySet
  | PyComplex
  | PySurrogateStr
  | PyDigest;

/** A Python tuple. */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python bytes object. */
export class PyBytes {
  constructor(readonly data: Uint8Array) {}
}

/** A Python dict, as its (key, value) pairs in insertion order. */
export class PyDict {
  constructor(readonly entries: [PyValue, PyValue][]) {}
}

/** A Python set (`frozen` = false) or frozenset (`frozen` = true). */
export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/** A Python complex number. */
export class PyComplex {
  constructor(
    readonly re: number,
    readonly im: number,
  ) {}
}

/**
 * A Python str holding at least one surrogate code point (U+D800 to U+DFFF), as its code
 * points. A JS string cannot carry one unambiguously: the two code points "\ud83d\ude00" and
 * the one "\U0001F600" are the same UTF-16, yet unequal in Python. Every other str is a
 * plain JS string, so the two forms never hold the same str.
 */
export class PySurrogateStr {
  constructor(readonly codePoints: readonly number[]) {}
}

/**
 * A value too large to send whole (it costs more than the job's `valueBytes`): the sha256 of
 * the repr of its plain projection (the value the small path would send, printed by the base
 * types' own repr, never by the program's) and that repr's length. Two digests are equal when
 * their hashes are and neither holds a NaN; a digest equals nothing else. The same rule applies
 * to the reference and to candidates, so a right answer of any size still passes; only exact
 * equality can be checked this way.
 */
export class PyDigest {
  constructor(
    readonly sha256: string,
    readonly length: number,
    /** The value holds a NaN, so (as NaN equals nothing) it equals nothing, not even its twin. */
    readonly nan = false,
  ) {}
}

/**
 * The tagged-JSON wire form of a PyValue (see docs/ARCHITECTURE.md, "The value codec").
 * `null`, booleans, strings and arrays (lists) are themselves; everything else is a
 * one-key object: {"i": "123"} int, {"f": 1.5 | "nan" | "inf" | "-inf"} float,
 * {"t": [...]} tuple, {"b": "<base64>"} bytes, {"d": [[k, v], ...]} dict,
 * {"s": [...]} set, {"fs": [...]} frozenset, {"c": [re, im]} complex,
 * {"u": [code point, ...]} a str holding surrogates,
 * {"h": "<sha256 hex>:<repr length>[:nan]"} a digest of a value too large to send.
 */
export type TaggedValue = unknown;
