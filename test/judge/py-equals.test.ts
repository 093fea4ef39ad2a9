import { describe, expect, it } from "vitest";
import { PyBytes, PyComplex, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../../src/core/py-value.js";
import { isHashable, pyEquals, pyHashKey, pyTypeName } from "../../src/judge/py-equals.js";

const tup = (...items: PyValue[]) => new PyTuple(items);
const set = (...items: PyValue[]) => new PySet(items, false);
const fset = (...items: PyValue[]) => new PySet(items, true);
const dict = (...entries: [PyValue, PyValue][]) => new PyDict(entries);
const bytes = (s: string) => new PyBytes(new TextEncoder().encode(s));
const cx = (re: number, im: number) => new PyComplex(re, im);
const sur = (...codePoints: number[]) => new PySurrogateStr(codePoints);
const digest = (hex: string, nan = false) => new PyDigest(hex.repeat(64), 10, nan);

// Each row is Python 3: `a == b`.
const TABLE: [string, PyValue, PyValue, boolean][] = [
  ["None == None", null, null, true],
  ["None != 0", null, 0n, false],
  ["None != False", null, false, false],
  ["True == 1", true, 1n, true],
  ["True == 1.0", true, 1, true],
  ["False == 0.0", false, 0, true],
  ["True == 1+0j", true, cx(1, 0), true],
  ["True != 2", true, 2n, false],
  ["1 == 1.0", 1n, 1, true],
  ["1 == 1+0j", 1n, cx(1, 0), true],
  ["1.0 == 1+0j", 1, cx(1, 0), true],
  ["1 != 1+1j", 1n, cx(1, 1), false],
  ["0.0 == -0.0", 0, -0, true],
  ["0 == -0.0", 0n, -0, true],
  ["2**53 == float(2**53)", 2n ** 53n, 2 ** 53, true],
  ["2**53 + 1 != float(2**53)", 2n ** 53n + 1n, 2 ** 53, false],
  ["2**64 == float(2**64)", 2n ** 64n, 2 ** 64, true],
  ["2**64 + 1 != float(2**64)", 2n ** 64n + 1n, 2 ** 64, false],
  ["10**30 != 1e30 (1e30 is not exactly 10**30)", 10n ** 30n, 1e30, false],
  ["int(1e30) == 1e30", 1000000000000000019884624838656n, 1e30, true],
  ["2**1100 != inf", 2n ** 1100n, Infinity, false],
  ["1.5 != 1", 1.5, 1n, false],
  ["nan != nan", NaN, NaN, false],
  ["inf == inf", Infinity, Infinity, true],
  ["inf != -inf", Infinity, -Infinity, false],
  ["complex(nan, 0) != nan", cx(NaN, 0), NaN, false],
  ["1+2j == 1.0+2.0j", cx(1, 2), cx(1, 2), true],
  ["1+2j != 1-2j", cx(1, 2), cx(1, -2), false],
  ["'a' == 'a'", "a", "a", true],
  ["'a' != 'A'", "a", "A", false],
  ["'1' != 1", "1", 1n, false],
  ["'' != None", "", null, false],
  ["'a' != b'a'", "a", bytes("a"), false],
  ["b'ab' == b'ab'", bytes("ab"), bytes("ab"), true],
  ["b'ab' != b'abc'", bytes("ab"), bytes("abc"), false],
  ["b'' == b''", bytes(""), bytes(""), true],
  ["[1, 2] == [1.0, True + 1]", [1n, 2n], [1, 2n], true],
  ["[1, 2] != [2, 1]", [1n, 2n], [2n, 1n], false],
  ["[1] != [1, 1]", [1n], [1n, 1n], false],
  ["[] == []", [], [], true],
  ["[] != ()", [], tup(), false],
  ["[1] != (1,)", [1n], tup(1n), false],
  ["(1, 'a') == (1.0, 'a')", tup(1n, "a"), tup(1, "a"), true],
  ["[nan] != [nan] (separate objects)", [NaN], [NaN], false],
  ["[[1, [2]]] == [[1, [2.0]]]", [[1n, [2n]]], [[1n, [2]]], true],
  ["[(1, 2)] != [[1, 2]]", [tup(1n, 2n)], [[1n, 2n]], false],
  ["{1, 2} == {2, 1}", set(1n, 2n), set(2n, 1n), true],
  ["{1, 2} == frozenset({1.0, 2.0})", set(1n, 2n), fset(1, 2), true],
  ["{1} != {1, 2}", set(1n), set(1n, 2n), false],
  ["set() == frozenset()", set(), fset(), true],
  ["set() != {}", set(), dict(), false],
  ["set() != []", set(), [], false],
  ["{(1, 2)} == {(1.0, 2)}", set(tup(1n, 2n)), set(tup(1, 2n)), true],
  ["{frozenset({1})} == {frozenset({True})}", set(fset(1n)), set(fset(true)), true],
  ["{nan} != {nan} (separate objects)", set(NaN), set(NaN), false],
  ["{2**64} == {float(2**64)}", set(2n ** 64n), set(2 ** 64), true],
  ["{(2**53 + 1,)} != {(float(2**53),)}", set(tup(2n ** 53n + 1n)), set(tup(2 ** 53)), false],
  ["{1+0j} == {1}", set(cx(1, 0)), set(1n), true],
  ["{'a', 'b'} != {'a', 'c'}", set("a", "b"), set("a", "c"), false],
  ["{1: 'a'} == {1.0: 'a'}", dict([1n, "a"]), dict([1, "a"]), true],
  ["{1: 'a'} == {True: 'a'}", dict([1n, "a"]), dict([true, "a"]), true],
  ["{1: 'a', 2: 'b'} == {2: 'b', 1: 'a'}", dict([1n, "a"], [2n, "b"]), dict([2n, "b"], [1n, "a"]), true],
  ["{1: 'a'} != {1: 'b'}", dict([1n, "a"]), dict([1n, "b"]), false],
  ["{1: 'a'} != {2: 'a'}", dict([1n, "a"]), dict([2n, "a"]), false],
  ["{1: [1]} == {1: [1.0]}", dict([1n, [1n]]), dict([1n, [1]]), true],
  ["{1: [1]} != {1: (1,)}", dict([1n, [1n]]), dict([1n, tup(1n)]), false],
  ["{'a': 1} != {'a': 1, 'b': 2}", dict(["a", 1n]), dict(["a", 1n], ["b", 2n]), false],
  ["{(1, 2): None} == {(1.0, 2.0): None}", dict([tup(1n, 2n), null]), dict([tup(1, 2), null]), true],
  ["{nan: 1} != {nan: 1}", dict([NaN, 1n]), dict([NaN, 1n]), false],
  ["{} == {}", dict(), dict(), true],
  ["{} != []", dict(), [], false],
  ["1+0j != '1'", cx(1, 0), "1", false],
  // Strings compare by code point: two lone surrogates are not the character they would pair to.
  ["'\\ud83d\\ude00' != '\\U0001f600'", sur(0xd83d, 0xde00), "\u{1F600}", false],
  ["'\\ud83d\\ude00' == '\\ud83d\\ude00'", sur(0xd83d, 0xde00), sur(0xd83d, 0xde00), true],
  ["'\\ud800' != '\\udc00'", sur(0xd800), sur(0xdc00), false],
  ["'\\ud800' != '\\ufffd'", sur(0xd800), "\ufffd", false],
  ["('\\ud800',) == ('\\ud800',)", tup(sur(0xd800)), tup(sur(0xd800)), true],
  ["{'\\ud800': 1} == {'\\ud800': 1}", dict([sur(0xd800), 1n]), dict([sur(0xd800), 1n]), true],
  // Digests: equal hashes are equal values, unless the value holds a NaN (which equals nothing).
  ["digest == digest of the same repr", digest("a"), digest("a"), true],
  ["digest != digest of another repr", digest("a"), digest("b"), false],
  ["digest holding a NaN != its twin", digest("a", true), digest("a", true), false],
  ["digest != a small value", digest("a"), [1n], false],
];

describe("pyEquals", () => {
  it.each(TABLE)("%s", (_name, a, b, expected) => {
    expect(pyEquals(a, b)).toBe(expected);
    expect(pyEquals(b, a)).toBe(expected);
  });
});

describe("pyHashKey", () => {
  it.each(TABLE.filter(([, a, b]) => isHashable(a) && isHashable(b)))(
    "keys agree with == for %s",
    (_name, a, b, expected) => {
      expect(pyHashKey(a) === pyHashKey(b)).toBe(expected);
    },
  );

  it.each<[string, PyValue]>([
    ["list", [1n]],
    ["dict", dict()],
    ["set", set()],
    ["tuple holding a list", tup(1n, [2n])],
    ["frozenset holding a tuple holding a dict", fset(tup(dict()))],
  ])("has no key for an unhashable %s", (_name, v) => {
    expect(isHashable(v)).toBe(false);
    expect(pyHashKey(v)).toBeUndefined();
  });

  it("does not confuse nested keys that print alike", () => {
    expect(pyHashKey(tup("a,b"))).not.toBe(pyHashKey(tup("a", "b")));
    expect(pyHashKey(tup(tup("a"), "b"))).not.toBe(pyHashKey(tup(tup("a", "b"))));
    expect(pyHashKey("1")).not.toBe(pyHashKey(1n));
    expect(pyHashKey(bytes("a"))).not.toBe(pyHashKey("a"));
  });
});

describe("pyTypeName", () => {
  it.each<[PyValue, string]>([
    [null, "NoneType"],
    [true, "bool"],
    [1n, "int"],
    [1, "float"],
    ["", "str"],
    [[], "list"],
    [tup(), "tuple"],
    [bytes(""), "bytes"],
    [dict(), "dict"],
    [set(), "set"],
    [fset(), "frozenset"],
    [cx(0, 1), "complex"],
    [sur(0xd800), "str"],
  ])("type(%s) is %s", (v, name) => {
    expect(pyTypeName(v)).toBe(name);
  });
});

describe("pyEquals on big values", () => {
  it("compares lists of 200,000 items and sets and dicts of 50,000 without quadratic work", () => {
    const n = 200_000;
    const a = Array.from({ length: n }, (_, i) => [BigInt(i), i + 0.5, `s${i}`] as PyValue);
    const b = Array.from({ length: n }, (_, i) => [BigInt(i), i + 0.5, `s${i}`] as PyValue);
    const m = 50_000;
    const s1 = set(...Array.from({ length: m }, (_, i) => tup(BigInt(i), `k${i}`)));
    const s2 = fset(...Array.from({ length: m }, (_, i) => tup(m - 1 - i, `k${m - 1 - i}`)));
    const d1 = dict(...Array.from({ length: m }, (_, i): [PyValue, PyValue] => [`k${i}`, [BigInt(i)]]));
    const d2 = dict(...Array.from({ length: m }, (_, i): [PyValue, PyValue] => [`k${m - 1 - i}`, [m - 1 - i]]));
    const t0 = performance.now();
    expect(pyEquals(a, b)).toBe(true);
    expect(pyEquals(s1, s2)).toBe(true);
    expect(pyEquals(d1, d2)).toBe(true);
    (b[n - 1] as PyValue[])[2] = "different";
    expect(pyEquals(a, b)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
