import { describe, expect, it } from "vitest";
import { PyBytes, PyComplex, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../../src/core/py-value.js";
import { pyFloatRepr, pyRepr } from "../../src/judge/py-repr.js";

const tup = (...items: PyValue[]) => new PyTuple(items);
const set = (...items: PyValue[]) => new PySet(items, false);
const fset = (...items: PyValue[]) => new PySet(items, true);
const dict = (...entries: [PyValue, PyValue][]) => new PyDict(entries);
const bytes = (...data: number[]) => new PyBytes(new Uint8Array(data));
const cx = (re: number, im: number) => new PyComplex(re, im);

describe("pyRepr matches CPython's repr()", () => {
  it.each<[PyValue, string]>([
    [null, "None"],
    [true, "True"],
    [false, "False"],
    [0n, "0"],
    [-5n, "-5"],
    [2n ** 70n, "1180591620717411303424"],
    [1, "1.0"],
    [-0, "-0.0"],
    [0.1, "0.1"],
    [1.5, "1.5"],
    [123456789012345.6, "123456789012345.6"],
    [1e15, "1000000000000000.0"],
    [9999999999999998, "9999999999999998.0"],
    [1e16, "1e+16"],
    [1.5e300, "1.5e+300"],
    [0.0001, "0.0001"],
    [1e-5, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [-2.5e-10, "-2.5e-10"],
    [5e-324, "5e-324"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [NaN, "nan"],
    ["", "''"],
    ["abc", "'abc'"],
    ["a'b", `"a'b"`],
    ['a"b', `'a"b'`],
    [`a'"b`, `'a\\'"b'`],
    ["back\\slash", "'back\\\\slash'"],
    ["\n\t\r\x00\x7f", "'\\n\\t\\r\\x00\\x7f'"],
    ["é", "'é'"],
    ["\u00a0", "'\\xa0'"],
    ["\u200b", "'\\u200b'"],
    ["x\u2028y", "'x\\u2028y'"],
    ["😀", "'😀'"],
    ["\u{e0001}", "'\\U000e0001'"],
    // repr("\ud83d\ude00") in CPython: the two code points, escaped one by one.
    [new PySurrogateStr([0xd83d, 0xde00]), "'\\ud83d\\ude00'"],
    [new PySurrogateStr([0x61, 0x27, 0xdfff]), `"a'\\udfff"`],
    [new PyDigest("ab".repeat(32), 9, true), "<value of 9 repr chars holding a NaN, sha256 abababababab…>"],
    [[], "[]"],
    [[1n, "a", null], "[1, 'a', None]"],
    [tup(), "()"],
    [tup(1n), "(1,)"],
    [tup(1n, 2.5), "(1, 2.5)"],
    [set(), "set()"],
    [fset(), "frozenset()"],
    [set(1n, 2n), "{1, 2}"],
    [fset("a"), "frozenset({'a'})"],
    [dict(), "{}"],
    [dict([1n, "a"], ["b", [null]]), "{1: 'a', 'b': [None]}"],
    [bytes(), "b''"],
    [bytes(0x61, 0x62, 0x63), "b'abc'"],
    [bytes(0x27), `b"'"`],
    [bytes(0x27, 0x22), `b'\\'"'`],
    [bytes(0, 0xff, 0x0a, 0x5c), "b'\\x00\\xff\\n\\\\'"],
    [cx(1, 2), "(1+2j)"],
    [cx(0, 2), "2j"],
    [cx(0, -2), "-2j"],
    [cx(0, 0), "0j"],
    [cx(-0, 1), "(-0+1j)"],
    [cx(1, -0), "(1-0j)"],
    [cx(1.5, NaN), "(1.5+nanj)"],
    [cx(Infinity, -Infinity), "(inf-infj)"],
    [cx(0, 1e16), "1e+16j"],
    [cx(1e-5, 1e20), "(1e-05+1e+20j)"],
    [[[1n, tup(2.5, "x")], dict([3n, fset()])], "[[1, (2.5, 'x')], {3: frozenset()}]"],
  ])("repr(%s) == %s", (v, expected) => {
    expect(pyRepr(v, 10_000)).toBe(expected);
  });

  it("drops '.0' on integral parts only when asked (complex parts)", () => {
    expect(pyFloatRepr(3, false)).toBe("3");
    expect(pyFloatRepr(3)).toBe("3.0");
    expect(pyFloatRepr(-0, false)).toBe("-0");
  });
});

describe("pyRepr truncation", () => {
  it("keeps short reprs whole", () => {
    expect(pyRepr([1n, 2n], 6)).toBe("[1, 2]");
  });

  it("cuts long reprs to maxChars, ending in …", () => {
    const out = pyRepr(Array.from({ length: 1000 }, (_, i) => BigInt(i)), 20);
    expect(out).toBe("[0, 1, 2, 3, 4, 5, …");
    expect(out.length).toBe(20);
  });

  it("defaults to 200 characters", () => {
    expect(pyRepr("x".repeat(1000)).length).toBe(200);
  });

  it("does not split a surrogate pair", () => {
    const out = pyRepr("a😀😀😀", 3);
    expect(out).toBe("'a…");
  });

  it("stays fast on huge values by not building what it will not show", () => {
    // Written out in full these would be hundreds of megabytes of text.
    const huge = new Array<PyValue>(3_000_000).fill("y".repeat(100));
    const blob = new PyBytes(new Uint8Array(50_000_000).fill(1));
    const long = "z".repeat(100_000_000);
    const t0 = performance.now();
    expect(pyRepr(huge, 50).length).toBe(50);
    expect(pyRepr(blob, 11)).toBe("b'\\x01\\x01…");
    expect(pyRepr(long, 5)).toBe("'zzz…");
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("pyRepr of huge ints", () => {
  it("describes an int too large to print instead of converting it to decimal", () => {
    const huge = 1n << 100_000n;
    expect(pyRepr(huge)).toBe("<int of ~100004 bits>");
    expect(pyRepr(-(10n ** 100n))).toBe(`-1${"0".repeat(100)}`);
  });
});
