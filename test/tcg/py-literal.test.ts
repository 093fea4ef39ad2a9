/**
 * The strict literal parser: a broad table of Python literals, the same table checked against
 * CPython's own `ast.literal_eval` (run on this table's trusted text, which literal_eval only
 * parses), and hostile text that must come back unparsable without being run or read whole.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PyBytes, PyComplex, PyDict, PySet, PySurrogateStr, PyTuple, type PyValue } from "../../src/core/py-value.js";
import { decodeValue, encodeValue } from "../../src/judge/codec.js";
import { pyEquals } from "../../src/judge/py-equals.js";
import { parseCallArguments, parsePyLiteral } from "../../src/tcg/py-literal.js";

const b = (s: string): PyBytes => new PyBytes(Uint8Array.from(Buffer.from(s, "latin1")));
const t = (...items: PyValue[]): PyTuple => new PyTuple(items);

/** The tagged form with set items and frozenset items in a canonical order: equal values, equal text. */
function canonical(v: PyValue): string {
  const sortSets = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortSets);
    if (x !== null && typeof x === "object") {
      const [[tag, payload]] = Object.entries(x) as [[string, unknown]];
      const inner = sortSets(payload);
      if ((tag === "s" || tag === "fs") && Array.isArray(inner)) return { [tag]: inner.map((i) => JSON.stringify(i)).sort() };
      return { [tag]: inner };
    }
    return x;
  };
  return JSON.stringify(sortSets(encodeValue(v)));
}

function ok(text: string): PyValue {
  const r = parsePyLiteral(text);
  if (!r.ok) throw new Error(`${JSON.stringify(text)} was refused: ${r.reason}`);
  return r.value;
}

const ACCEPTED: [string, PyValue][] = [
  ["0", 0n],
  ["42", 42n],
  ["-7", -7n],
  ["+7", 7n],
  ["1_000_000", 1000000n],
  ["0_0", 0n],
  ["00", 0n],
  ["0x1F", 31n],
  ["0X_ff", 255n],
  ["0o17", 15n],
  ["0b1011", 11n],
  ["-0b1", -1n],
  ["123456789012345678901234567890", 123456789012345678901234567890n],
  ["1.5", 1.5],
  [".5", 0.5],
  ["1.", 1],
  ["1.e5", 100000],
  ["1e-3", 0.001],
  ["1_0.5_0e1_0", 10.5e10],
  ["09.5", 9.5],
  ["1e999", Infinity],
  ["-1e999", -Infinity],
  ["-0.0", -0],
  ["2j", new PyComplex(0, 2)],
  ["1+2j", new PyComplex(1, 2)],
  ["1.5-0.5j", new PyComplex(1.5, -0.5)],
  ["-1-2J", new PyComplex(-1, -2)],
  ["(1+2j)", new PyComplex(1, 2)],
  ["1+(2j)", new PyComplex(1, 2)],
  ["-(1)", -1n],
  ["((3))", 3n],
  ["True", true],
  ["False", false],
  ["None", null],
  ["'abc'", "abc"],
  ['"a\'b"', "a'b"],
  ["'a' \"b\" '''c'''", "abc"],
  ["'''line1\nline2'''", "line1\nline2"],
  ['"""q"s"""', 'q"s'],
  ["'\\n\\t\\\\\\x41\\101\\u00e9\\U0001F600'", "\n\t\\AA\u00e9\u{1F600}"],
  ["'\\d'", "\\d"],
  ["'\\777'", "\u01ff"],
  // Escaped surrogates stay code points of their own, as in Python (and the codec): never merged into one astral character.
  ["'\\ud83d\\ude00'", new PySurrogateStr([0xd83d, 0xde00])],
  ["'\\ud83d'", new PySurrogateStr([0xd83d])],
  ["'a' '\\udc00' 'b'", new PySurrogateStr([0x61, 0xdc00, 0x62])],
  ["'\\U0001F600\\ud83d'", new PySurrogateStr([0x1f600, 0xd83d])],
  ["'\u{1F600}x'", "\u{1F600}x"],
  ["r'\\\u{1F600}'", "\\\u{1F600}"],
  ["'a\\\nb'", "ab"],
  ["r'\\n\\''", "\\n\\'"],
  ["R'x'", "x"],
  ["u'ü'", "ü"],
  ["'ü€😀'", "ü€😀"],
  ["b'ab\\x00\\xff'", b("ab\x00\xff")],
  ["B'\\u0041'", b("\\u0041")],
  ["rb'\\x00'", b("\\x00")],
  ["Br'q'", b("q")],
  ["b'a' b'b'", b("ab")],
  ["[]", []],
  ["[1, 'a', [2.0, None]]", [1n, "a", [2, null]]],
  ["[1, 2,]", [1n, 2n]],
  ["()", t()],
  ["(1,)", t(1n)],
  ["(1, (2, 3))", t(1n, t(2n, 3n))],
  ["1, 2", t(1n, 2n)],
  ["1,", t(1n)],
  ["{}", new PyDict([])],
  ["{'a': 1, 2: [3]}", new PyDict([["a", 1n], [2n, [3n]]])],
  ["{1: 'x', 1: 'y', 2: 'z'}", new PyDict([[1n, "y"], [2n, "z"]])],
  ["{1: 2, True: 3}", new PyDict([[1n, 3n]])],
  ["{(1, 2): 'p'}", new PyDict([[t(1n, 2n), "p"]])],
  ["{1, 2, 2, True}", new PySet([1n, 2n], false)],
  ["{'a',}", new PySet(["a"], false)],
  ["set()", new PySet([], false)],
  ["[1,\n 2]", [1n, 2n]],
  ["[1, # a comment\n 2]", [1n, 2n]],
  ["  [1]  ", [1n]],
  ["1 \\\n", 1n],
];

const REFUSED: [string, RegExp][] = [
  ["", /unexpected end/],
  ["x", /name "x" is not a literal/],
  ["__import__('os').system('x')", /name "__import__"/],
  ["open('/etc/passwd').read()", /name "open"/],
  ["float('inf')", /name "float"/],
  ["frozenset({1})", /name "frozenset"/],
  ["lambda: 0", /name "lambda"/],
  ["[x for x in range(3)]", /name "x"/],
  ["f'{1}'", /f-string/],
  ["F'x'", /f-string/],
  ["rf'{x}'", /f-string/],
  ["2**10", /"\*" has no place/],
  ["[1] * 10", /"\*" has no place/],
  ["'a' * 1000000000", /"\*" has no place/],
  ["1 + 2", /only an imaginary number may be added/],
  ["1j + 2j", /only a real number may be added/],
  ["1+2j+3j", /arithmetic is not a literal/],
  ["1 + -2j", /only an imaginary number/],
  ["--1", /sign may only apply to a number/],
  ["-(-1)", /sign may only apply to a number/],
  ["-True", /sign may only apply to a number/],
  ["-'a'", /sign may only apply to a number/],
  ["-(1, 2)", /sign may only apply to a number/],
  ["True + 1j", /only a real number/],
  ["...", /"\." has no place/],
  ["(1).real", /"\." has no place/],
  ["'abc'[0]", /subscript is not a literal/],
  ["'ab'(1)", /call is not a literal/],
  ["07", /leading zeros/],
  ["1_", /invalid number/],
  ["1__0", /invalid number/],
  ["0x", /invalid number/],
  ["0b102", /invalid number/],
  ["1e", /invalid number/],
  ["1.2.3", /invalid number/],
  ["'abc", /unterminated string/],
  ["'a\nb'", /newline inside quotes/],
  ["r'\\'", /unterminated string/],
  ["'''abc''", /unterminated string/],
  ["'\\x4'", /truncated \\x escape/],
  ["'\\u12'", /truncated \\u escape/],
  ["'\\U00110000'", /beyond the last Unicode code point/],
  ["'\\N{EM DASH}'", /\\N\{\.\.\.\} escapes are not supported/],
  ["b'é'", /ASCII/],
  ["b'\\777'", /octal escape above/],
  ["'a' b'b'", /cannot mix bytes and str/],
  ["ur'x'", /name "ur"/],
  ["[1, 2", /unexpected end/],
  ["[1,, 2]", /cannot start a value/],
  ["(1 2)", /expected/],
  ["{1: 2, 3}", /expected ":"/],
  ["{1, 2: 3}", /expected ","/],
  ["{[1]: 2}", /unhashable type: 'list'/],
  ["{{1}}", /unhashable type: 'set'/],
  ["{**{}}", /"\*" has no place/],
  ["1 2", /unexpected text after the value/],
  ["1; 2", /";" has no place/],
  ["a = 1", /name "a"/],
  ["1 if True else 2", /unexpected text after the value/],
  ["not 1", /name "not"/],
  ["1 < 2", /"<" has no place/],
  ["@x", /"@" has no place/],
  ["\u00a01", /has no place/],
  [`9${"9".repeat(4300)}`, /longer than 4300 digits/],
];

describe("parsePyLiteral", () => {
  it.each(ACCEPTED)("reads %j", (text, expected) => {
    expect(canonical(ok(text))).toBe(canonical(expected));
  });

  it.each(REFUSED)("refuses %j", (text, reason) => {
    const r = parsePyLiteral(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it("reads escaped surrogates as the codec's two-code-point str, unequal to the one astral character", () => {
    const pair = ok("'\\ud83d\\ude00'");
    const astral = ok("'\\U0001F600'");
    const wire = decodeValue({ u: [0xd83d, 0xde00] });
    if (!wire.ok) throw new Error(wire.reason);
    expect(pyEquals(pair, wire.value)).toBe(true);
    expect(pyEquals(pair, astral)).toBe(false);
    expect(astral).toBe("\u{1F600}");
  });

  it("keeps the sign of zero where CPython 3.11 does (real + imaginary, -imaginary)", () => {
    const neg = ok("-1j") as PyComplex;
    expect(Object.is(neg.re, -0) && neg.im === -1).toBe(true);
    expect(Object.is((ok("-0.0+1j") as PyComplex).re, 0)).toBe(true);
    expect(Object.is((ok("-0.0-1j") as PyComplex).re, -0)).toBe(true);
  });

  it("refuses a literal beyond the size cap before reading any of it", () => {
    // A 1 GB literal would take a gigabyte of memory to even build as a string; the cap's
    // effect is the same at 10 MB: refused by its length, in far less time than a parse.
    const huge = `[${"1,".repeat(5_000_000)}1]`;
    const started = performance.now();
    const r = parsePyLiteral(huge, { maxChars: 1000 });
    expect(performance.now() - started).toBeLessThan(50);
    expect(r).toEqual({ ok: false, reason: `longer than 1000 characters (${huge.length})` });
  });

  it("refuses nesting beyond the depth cap, without exhausting the stack", () => {
    expect(parsePyLiteral(`${"[".repeat(100)}${"]".repeat(100)}`).ok).toBe(true);
    expect(parsePyLiteral(`${"[".repeat(101)}${"]".repeat(101)}`)).toEqual({ ok: false, reason: "nested deeper than 100 levels at offset 100" });
    const deep = "(".repeat(200_000) + "1" + ")".repeat(200_000);
    expect(parsePyLiteral(deep, { maxChars: 1_000_000 }).ok).toBe(false);
    expect(parsePyLiteral("[[[1]]]", { maxDepth: 2 }).ok).toBe(false);
  });

  it("turns CRLF into LF inside triple-quoted strings, as Python's reader does", () => {
    expect(ok("'''a\r\nb'''")).toBe("a\nb");
  });
});

describe("parseCallArguments", () => {
  const args = (text: string, entry = "f"): PyValue[] => {
    const r = parseCallArguments(text, entry);
    if (!r.ok) throw new Error(`${JSON.stringify(text)} was refused: ${r.reason}`);
    return r.value;
  };

  it("reads the text between a call's parentheses, as Python does", () => {
    expect(canonical(t(...args("[1, 2], 3")))).toBe(canonical(t([1n, 2n], 3n)));
    expect(canonical(t(...args("([1, 2], 3)")))).toBe(canonical(t(t([1n, 2n], 3n))));
    expect(canonical(t(...args("'abc',")))).toBe(canonical(t("abc")));
    expect(args("")).toEqual([]);
    expect(canonical(t(...args("[1,\n 2],\n 'x'")))).toBe(canonical(t([1n, 2n], "x")));
  });

  it("accepts a whole call of the entry point, and nothing else's", () => {
    expect(canonical(t(...args("remove_Occ('hello', 'l')", "remove_Occ")))).toBe(canonical(t("hello", "l")));
    expect(args("f()")).toEqual([]);
    expect(parseCallArguments("g(1)", "f")).toMatchObject({ ok: false, reason: expect.stringMatching(/name "g"/) });
    expect(parseCallArguments("f(1)(2)", "f")).toMatchObject({ ok: false, reason: expect.stringMatching(/after the value/) });
    expect(parseCallArguments("f", "f")).toMatchObject({ ok: false, reason: expect.stringMatching(/expected "\("/) });
  });

  it("refuses keyword, starred and non-literal arguments", () => {
    for (const text of ["x=1", "f(x=1)", "*[1, 2]", "**{'a': 1}", "1, y", "print(1)", "f(1, __import__('os'))"]) {
      expect(parseCallArguments(text, "f").ok, text).toBe(false);
    }
  });
});

/**
 * CPython's verdict on the same texts. The script only parses (ast.literal_eval), so running
 * it on the host is safe; it encodes results in the codec's tagged JSON.
 */
const LITERAL_EVAL = `
import ast, base64, json, sys
def enc(v):
    if isinstance(v, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in v): return {"u": [ord(c) for c in v]}
    if v is None or isinstance(v, (bool, str)): return v
    if isinstance(v, int): return v if abs(v) <= 2**53 else {"i": hex(v)}
    if isinstance(v, float): return {"f": v if v == v and abs(v) != float("inf") else ("inf" if v > 0 else "-inf")}
    if isinstance(v, complex): return {"c": [enc(v.real)["f"], enc(v.imag)["f"]]}
    if isinstance(v, bytes): return {"b": base64.b64encode(v).decode()}
    if isinstance(v, list): return [enc(x) for x in v]
    if isinstance(v, tuple): return {"t": [enc(x) for x in v]}
    if isinstance(v, set): return {"s": [enc(x) for x in v]}
    if isinstance(v, dict): return {"d": [[enc(k), enc(x)] for k, x in v.items()]}
    raise TypeError(type(v).__name__)
out = []
for mode, text in json.load(sys.stdin):
    try:
        if mode == "value":
            out.append({"ok": True, "v": enc(ast.literal_eval("(" + text + "\\n)"))})
        else:
            call = ast.parse("f(" + text + "\\n)", mode="eval").body
            if call.keywords or any(isinstance(a, ast.Starred) for a in call.args): raise ValueError("keywords")
            out.append({"ok": True, "v": [enc(ast.literal_eval(a)) for a in call.args]})
    except Exception as e:
        out.append({"ok": False})
print(json.dumps(out))
`;

/** Where this parser and CPython 3.11 part ways on purpose (see py-literal.ts). */
const DIVERGENT = new Set(["'\\N{EM DASH}'", "...", "b'\\777'", ""]);

describe("against CPython's ast.literal_eval", () => {
  it("accepts and refuses the same texts, with the same values", () => {
    const valueTexts = [...ACCEPTED.map(([s]) => s), ...REFUSED.map(([s]) => s)].filter(
      (s) => !DIVERGENT.has(s) && s.length < 1000,
    );
    const argTexts = ["[1, 2], 3", "([1, 2], 3)", "'abc',", "", "x=1", "*[1]", "1, y", "{1: 2}, {3}"];
    const items = [...valueTexts.map((s) => ["value", s]), ...argTexts.map((s) => ["args", s])];
    const py = JSON.parse(
      execFileSync("python3", ["-S", "-B", "-W", "ignore", "-c", LITERAL_EVAL], { input: JSON.stringify(items), encoding: "utf8" }),
    ) as { ok: boolean; v?: unknown }[];
    items.forEach(([mode, text], i) => {
      const theirs = py[i] as { ok: boolean; v?: unknown };
      const ours = mode === "value" ? parsePyLiteral(text as string) : parseCallArguments(text as string, undefined);
      expect(ours.ok, `${mode} ${JSON.stringify(text)}`).toBe(theirs.ok);
      if (ours.ok && theirs.ok) {
        const decoded = decodeValue(mode === "value" ? theirs.v : { t: theirs.v });
        if (!decoded.ok) throw new Error(decoded.reason);
        const mine = mode === "value" ? (ours.value as PyValue) : new PyTuple(ours.value as PyValue[]);
        expect(canonical(mine), `${mode} ${JSON.stringify(text)}`).toBe(canonical(decoded.value));
      }
    });
  });
});
