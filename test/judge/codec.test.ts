import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { PyBytes, PyComplex, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../../src/core/py-value.js";
import { decodeValue, encodeValue, fromJson, MAX_DEPTH, pyStr } from "../../src/judge/codec.js";
import { pyEquals } from "../../src/judge/py-equals.js";

const tup = (...items: PyValue[]) => new PyTuple(items);
const set = (...items: PyValue[]) => new PySet(items, false);
const fset = (...items: PyValue[]) => new PySet(items, true);
const dict = (...entries: [PyValue, PyValue][]) => new PyDict(entries);
const bytes = (...data: number[]) => new PyBytes(new Uint8Array(data));

function decoded(wire: unknown): PyValue {
  const r = decodeValue(wire);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(wire)} to decode: ${r.reason}`);
  return r.value;
}

function nested(depth: number, leaf: unknown, wrap: (x: unknown) => unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = wrap(v);
  return v;
}

describe("decodeValue: accepted wire values", () => {
  it.each<[string, unknown, PyValue]>([
    ["None", null, null],
    ["True", true, true],
    ["False", false, false],
    ["str", "héllo", "héllo"],
    ["small int", 42, 42n],
    ["negative int", -7, -7n],
    ["2**53 bare", 2 ** 53, 2n ** 53n],
    ["-0 as a bare int", -0, 0n],
    ["hex big int", { i: "0x20000000000001" }, 2n ** 53n + 1n],
    ["negative hex big int", { i: "-0x1f" }, -31n],
    ["upper-case hex digits", { i: "0xFF" }, 255n],
    ["float", { f: 1.5 }, 1.5],
    ["integral float", { f: 1 }, 1],
    ["nan", { f: "nan" }, NaN],
    ["inf", { f: "inf" }, Infinity],
    ["-inf", { f: "-inf" }, -Infinity],
    ["list", [1, "a", null], [1n, "a", null]],
    ["empty list", [], []],
    ["tuple", { t: [1, { f: 2 }] }, tup(1n, 2)],
    ["empty tuple", { t: [] }, tup()],
    ["set", { s: [1, 2] }, set(1n, 2n)],
    ["frozenset", { fs: ["a"] }, fset("a")],
    ["set of tuples", { s: [{ t: [1, 2] }, { t: [2, 1] }] }, set(tup(1n, 2n), tup(2n, 1n))],
    ["set of frozensets", { s: [{ fs: [1] }] }, set(fset(1n))],
    ["set with two NaNs (distinct objects)", { s: [{ f: "nan" }, { f: "nan" }] }, set(NaN, NaN)],
    ["dict", { d: [["a", [1]], [2, null]] }, dict(["a", [1n]], [2n, null])],
    ["dict with tuple key", { d: [[{ t: [1] }, 1]] }, dict([tup(1n), 1n])],
    ["dict with frozenset key", { d: [[{ fs: [] }, 1]] }, dict([fset(), 1n])],
    ["bytes", { b: "AP8=" }, bytes(0, 255)],
    ["empty bytes", { b: "" }, bytes()],
    ["complex", { c: [1, -2.5] }, new PyComplex(1, -2.5)],
    ["complex with nan/inf parts", { c: ["nan", "-inf"] }, new PyComplex(NaN, -Infinity)],
    ["astral character as a JSON surrogate pair", "\ud83d\ude00", "\u{1F600}"],
    ["str of two lone surrogates, by code point", { u: [0xd83d, 0xde00] }, new PySurrogateStr([0xd83d, 0xde00])],
    ["str holding one surrogate among others", { u: [0x61, 0xdfff, 0x1f600] }, new PySurrogateStr([0x61, 0xdfff, 0x1f600])],
    ["digest", { h: `${"a".repeat(64)}:12` }, new PyDigest("a".repeat(64), 12)],
    ["digest of a value holding a NaN", { h: `${"a".repeat(64)}:12:nan` }, new PyDigest("a".repeat(64), 12, true)],
  ])("%s", (_name, wire, expected) => {
    expect(decoded(wire)).toStrictEqual(expected);
  });

  it("keeps float and int apart", () => {
    expect(typeof decoded({ f: 3 })).toBe("number");
    expect(typeof decoded(3)).toBe("bigint");
  });

  it("decodes a hex int of any size exactly", () => {
    const big = 3n ** 2000n;
    expect(decoded({ i: `0x${big.toString(16)}` })).toBe(big);
  });
});

describe("decodeValue: forged or malformed wire values are refused", () => {
  it.each<[string, unknown, RegExp]>([
    ["bare non-integer number", 1.5, /bare number is not an integer/],
    ["bare integer beyond 2**53", 2 ** 53 + 2, /beyond 2\*\*53/],
    ["undefined", undefined, /not a JSON value/],
    ["a function", () => 1, /not a JSON value/],
    ["a JS bigint", 5n, /not a JSON value/],
    ["empty object", {}, /exactly one key, got 0/],
    ["two tags", { f: 1, t: [] }, /exactly one key, got 2/],
    ["unknown tag", { x: 1 }, /unknown tag/],
    ["tag with extra key", { i: "0x1", extra: true }, /exactly one key/],
    ["__proto__ tag", JSON.parse('{"__proto__": 1}'), /unknown tag/],
    ["non-plain object", new Date(0), /not a JSON value/],
    ["int payload as number", { i: 5 }, /int payload/],
    ["int payload decimal", { i: "123" }, /int payload/],
    ["int payload with junk", { i: "0x1g" }, /int payload/],
    ["int payload with plus sign", { i: "+0x1" }, /int payload/],
    ["int payload empty hex", { i: "0x" }, /int payload/],
    ["float payload string", { f: "1.5" }, /float payload/],
    ["float payload NaN spelling", { f: "NaN" }, /float payload/],
    ["float payload null", { f: null }, /float payload/],
    ["tuple payload not array", { t: "abc" }, /tuple payload is not an array/],
    ["set payload not array", { s: { t: [] } }, /set payload is not an array/],
    ["set with a list element", { s: [[1]] }, /set element 0 is unhashable \(list\)/],
    ["set with a set element", { s: [{ s: [] }] }, /unhashable \(set\)/],
    ["set with a dict element", { fs: [{ d: [] }] }, /frozenset element 0 is unhashable \(dict\)/],
    ["set with a tuple holding a list", { s: [{ t: [[1]] }] }, /unhashable \(tuple\)/],
    ["set with duplicate elements", { s: [1, { f: 1 }] }, /duplicate/],
    ["dict payload not array", { d: {} }, /dict payload is not an array/],
    ["dict entry not a pair", { d: [[1]] }, /not a \[key, value\] pair/],
    ["dict entry triple", { d: [[1, 2, 3]] }, /not a \[key, value\] pair/],
    ["dict with list key", { d: [[[1], 2]] }, /dict key 0 is unhashable \(list\)/],
    ["dict with dict key", { d: [[{ d: [] }, 2]] }, /unhashable \(dict\)/],
    ["dict with duplicate keys", { d: [[1, "a"], [true, "b"]] }, /dict key 1 is a duplicate/],
    ["bytes payload not a string", { b: [1, 2] }, /bytes payload is not base64/],
    ["bytes payload bad characters", { b: "a*==" }, /not base64/],
    ["bytes payload bad length", { b: "abc" }, /not base64/],
    ["bytes payload url-safe alphabet", { b: "-_8=" }, /not base64/],
    ["bytes payload non-canonical padding bits", { b: "AB==" }, /not canonical/],
    ["complex payload one part", { c: [1] }, /complex payload/],
    // A plain string with a lone surrogate could be half of a pair the job split: it must be tagged.
    ["lone high surrogate in a plain string", "a\ud83d", /lone surrogate/],
    ["lone low surrogate in a plain string", "\ude00b", /lone surrogate/],
    ["lone surrogate as a dict key", { d: [["\udfff", 1]] }, /lone surrogate.* at \$\.d\[0\]\[0\]/],
    ["surrogate str payload not a list", { u: "\ud800" }, /str payload is not a list of code points/],
    ["surrogate str payload beyond Unicode", { u: [0xd800, 0x110000] }, /other than code points/],
    ["surrogate str payload fraction", { u: [0xd800, 1.5] }, /other than code points/],
    ["surrogate str payload without a surrogate", { u: [0x61, 0x1f600] }, /holds no surrogate/],
    ["digest with an unknown flag", { h: `${"a".repeat(64)}:12:inf` }, /digest payload/],
    ["complex payload parts not floats", { c: ["1", 2] }, /complex parts/],
    ["nested bad value in a list", [1, [2, 1.5]], /bare number is not an integer at \$\[1\]\[1\]/],
    ["nested bad value in a dict value", { d: [["k", { t: [{ x: 0 }] }]] }, /unknown tag.* at \$\.d\[0\]\[1\]\.t\[0\]/],
  ])("%s", (_name, wire, reason) => {
    const r = decodeValue(wire);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it(`accepts ${MAX_DEPTH} nested lists and refuses ${MAX_DEPTH + 1}`, () => {
    expect(decodeValue(nested(MAX_DEPTH, 1, (x) => [x])).ok).toBe(true);
    const r = decodeValue(nested(MAX_DEPTH + 1, 1, (x) => [x]));
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/deeper than 200/) });
  });

  it.each<[string, (x: unknown) => unknown]>([
    ["tuples", (x) => ({ t: [x] })],
    ["dict values", (x) => ({ d: [[1, x]] })],
    ["frozensets", (x) => ({ fs: [x] })],
  ])("limits the depth of nested %s too", (_name, wrap) => {
    expect(decodeValue(nested(MAX_DEPTH, null, wrap)).ok).toBe(true);
    expect(decodeValue(nested(MAX_DEPTH + 1, null, wrap)).ok).toBe(false);
  });

  it("refuses a hostile 100,000-level nesting without exhausting the stack", () => {
    expect(decodeValue(nested(100_000, 0, (x) => [x])).ok).toBe(false);
  });
});

describe("encodeValue", () => {
  it.each<[string, PyValue, unknown]>([
    ["None", null, null],
    ["bool", true, true],
    ["small int as a JSON integer", 5n, 5],
    ["2**53 still bare", 2n ** 53n, 2 ** 53],
    ["2**53 + 1 as hex", 2n ** 53n + 1n, { i: "0x20000000000001" }],
    ["negative big int as hex", -(2n ** 64n), { i: "-0x10000000000000000" }],
    ["float", 2.5, { f: 2.5 }],
    ["integral float stays tagged", 1, { f: 1 }],
    ["nan", NaN, { f: "nan" }],
    ["-inf", -Infinity, { f: "-inf" }],
    ["list", [1n, "a"], [1, "a"]],
    ["tuple", tup(1n), { t: [1] }],
    ["set", set(1n), { s: [1] }],
    ["frozenset", fset(), { fs: [] }],
    ["dict", dict(["k", tup()]), { d: [["k", { t: [] }]] }],
    ["bytes", bytes(0, 255), { b: "AP8=" }],
    ["str holding surrogates", new PySurrogateStr([0xd83d, 0xde00]), { u: [0xd83d, 0xde00] }],
    ["a JS string with a lone surrogate, as Python's json reads it", "x\ud800", { u: [0x78, 0xd800] }],
    ["digest with NaN", new PyDigest("b".repeat(64), 3, true), { h: `${"b".repeat(64)}:3:nan` }],
    ["complex", new PyComplex(Infinity, -0.5), { c: ["inf", -0.5] }],
  ])("%s", (_name, value, wire) => {
    expect(encodeValue(value)).toStrictEqual(wire);
  });
});

/** A small seeded generator (mulberry32) so the property test is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number, hashable: boolean): PyValue {
  const pick = Math.floor(r() * (depth > 3 ? 8 : hashable ? 11 : 14));
  const n = Math.floor(r() * 4);
  const items = (h: boolean) => Array.from({ length: n }, () => randomValue(r, depth + 1, h));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return BigInt(Math.floor((r() - 0.5) * 2000));
    case 3:
      return (r() < 0.5 ? -1n : 1n) * 7n ** BigInt(Math.floor(r() * 80));
    case 4: {
      const specials = [NaN, Infinity, -Infinity, 0.1, 1e300, 5e-324, 2 ** 53];
      return r() < 0.3 ? (specials[Math.floor(r() * specials.length)] as number) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    }
    case 5:
      return Array.from({ length: n * 2 }, () => String.fromCodePoint(Math.floor(r() * 0x2fff))).join("") + (r() < 0.2 ? "😀" : "");
    case 6:
      return new PyBytes(Uint8Array.from({ length: n * 3 }, () => Math.floor(r() * 256)));
    case 7:
      return new PyComplex((r() - 0.5) * 100, r() < 0.2 ? NaN : r());
    case 8:
    case 9:
      return new PyTuple(items(hashable));
    case 10:
      return uniqueSet(r, depth, true);
    case 11:
      return items(false);
    case 12:
      return uniqueSet(r, depth, false);
    default: {
      const keys = uniqueSet(r, depth, true).items;
      return new PyDict(keys.map((k) => [k, randomValue(r, depth + 1, false)]));
    }
  }
}

function uniqueSet(r: () => number, depth: number, frozen: boolean): PySet {
  const items: PyValue[] = [];
  for (let i = Math.floor(r() * 4); i > 0; i--) {
    const v = randomValue(r, depth + 1, true);
    if (!items.some((x) => pyEquals(x, v))) items.push(v);
  }
  return new PySet(items, frozen);
}

describe("round trip", () => {
  it("decode(JSON(encode(v))) gives back v for 2,000 random values", () => {
    const r = rng(20240611);
    for (let i = 0; i < 2000; i++) {
      const v = randomValue(r, 0, false);
      const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v))));
      expect(back).toStrictEqual({ ok: true, value: v });
    }
  });

  it("encode(decode(w)) gives back canonical wire values", () => {
    const wires: unknown[] = [
      [1, { f: 1.5 }, { i: "-0x20000000000001" }, { t: [{ s: ["a"] }] }],
      { d: [[{ fs: [1, 2] }, { b: "aGk=" }], ["x", { c: [0, "nan"] }]] },
    ];
    for (const w of wires) {
      const v = decoded(w);
      expect(decoded(encodeValue(v))).toStrictEqual(v);
    }
  });
});

describe("fromJson", () => {
  it.each<[string, unknown, PyValue]>([
    ["integers become int", 3, 3n],
    ["non-integers become float", 2.5, 2.5],
    ["an integral double beyond 2**53 becomes its exact int", 1e20, 100000000000000000000n],
    ["arrays become lists", [1, [2.5, null]], [1n, [2.5, null]]],
    ["objects become str-keyed dicts in order", { b: 1, a: [true] }, dict(["b", 1n], ["a", [true]])],
    ["strings stay", "x", "x"],
    ["a string with a lone surrogate is the str Python's json gives", JSON.parse('"\\ud83d\\ude00\\ud800"'), new PySurrogateStr([0x1f600, 0xd800])],
  ])("%s", (_name, json, expected) => {
    expect(fromJson(json)).toStrictEqual(expected);
  });

  it("pyStr keeps a well-formed string and tags one with a lone surrogate", () => {
    expect(pyStr("\u{1F600}")).toBe("\u{1F600}");
    expect(pyStr("\ud800")).toStrictEqual(new PySurrogateStr([0xd800]));
  });

  it("refuses what is not JSON", () => {
    expect(() => fromJson(undefined)).toThrow(InputError);
    expect(() => fromJson({ f: () => 1 })).toThrow(InputError);
  });
});
