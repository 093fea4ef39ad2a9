import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { PyBytes, PyDict, PyDigest, PySet, PySurrogateStr, PyTuple, type PyValue } from "../../src/core/py-value.js";
import type { View } from "../../src/core/task.js";
import { pyEquals } from "../../src/judge/py-equals.js";
import { pyRepr } from "../../src/judge/py-repr.js";
import { applyViews } from "../../src/judge/views.js";

const tup = (...items: PyValue[]) => new PyTuple(items);
const dict = (...entries: [PyValue, PyValue][]) => new PyDict(entries);

/** [Python literal, the same value as a PyValue, the views applied]. */
const CASES: [string, PyValue, View[]][] = [
  ["[1, 2, 2, 1.0]", [1n, 2n, 2n, 1], ["set"]],
  ["[1, 2, 2]", [1n, 2n, 2n], ["frozenset"]],
  ["'abca'", "abca", ["set"]],
  ["{'a': 1, 'b': 2}", dict(["a", 1n], ["b", 2n]), ["set"]],
  ["b'aba'", new PyBytes(new Uint8Array([97, 98, 97])), ["set"]],
  ["[[1], [2]]", [[1n], [2n]], ["set"]],
  ["5", 5n, ["set"]],
  ["(1, 2)", tup(1n, 2n), ["list"]],
  ["[1, 2]", [1n, 2n], ["tuple"]],
  ["'héllo\\U0001F600'", "héllo\u{1F600}", ["len"]],
  ["'\\ud83d\\ude00'", new PySurrogateStr([0xd83d, 0xde00]), ["len"]],
  ["{'a': 1}", dict(["a", 1n]), ["len"]],
  ["[1, 1, 2]", [1n, 1n, 2n], ["set", "len"]],
  ["None", null, ["len"]],
  ["7.9", 7.9, ["int"]],
  ["-7.9", -7.9, ["int"]],
  ["True", true, ["int"]],
  ["2**70", 2n ** 70n, ["int"]],
  ["' -1_000 '", " -1_000 ", ["int"]],
  ["'12a'", "12a", ["int"]],
  ["'1__0'", "1__0", ["int"]],
  ["b'42'", new PyBytes(new Uint8Array([52, 50])), ["int"]],
  ["float('nan')", NaN, ["int"]],
  ["float('inf')", Infinity, ["int"]],
  ["[1]", [1n], ["int"]],
];

/** What CPython says for each case: the repr of the result, or the exception's type. */
function cpython(): string[] {
  const program = [
    "import json, sys",
    "out = []",
    "for src, views in json.load(sys.stdin):",
    "    v = eval(src)",
    "    try:",
    "        for view in views: v = {'set': set, 'frozenset': frozenset, 'list': list, 'tuple': tuple, 'len': len, 'int': int}[view](v)",
    "        out.append(type(v).__name__ + ':' + json.dumps(sorted(map(repr, v)), separators=(',', ':')) if isinstance(v, (set, frozenset)) else repr(v))",
    "    except Exception as e:",
    "        out.append(type(e).__name__)",
    "json.dump(out, sys.stdout)",
  ].join("\n");
  const input = JSON.stringify(CASES.map(([src, , views]) => [src, views]));
  return JSON.parse(execFileSync("python3", ["-c", program], { input, encoding: "utf8" })) as string[];
}

describe("applyViews agrees with CPython on plain values", () => {
  let python: string[];
  beforeAll(() => {
    python = cpython();
  });

  it.each(CASES.map((c, i) => [c[0], c[2].join(" then "), i] as const))("%s: %s", (_src, _views, i) => {
    const [, value, views] = CASES[i]!;
    const got = applyViews(views, value);
    const want = python[i]!;
    if (/^[A-Z][A-Za-z]*Error$/.test(want)) {
      expect(got).toMatchObject({ ok: false, outcome: "runtime_error" });
      if (!got.ok) expect(got.detail.startsWith(`${want}:`)).toBe(true);
      return;
    }
    expect(got.ok).toBe(true);
    if (!got.ok) return;
    // Sets print in hash order in Python: compare their items' reprs, sorted.
    const v = got.value;
    const mine = v instanceof PySet ? `${v.frozen ? "frozenset" : "set"}:${JSON.stringify(v.items.map((x) => pyRepr(x)).sort())}` : pyRepr(v, 10_000);
    expect(mine).toBe(want);
  });

  it("builds sets Python would: equal items once, first one kept", () => {
    const got = applyViews(["set"], [1n, true, 1, 2n]);
    expect(got.ok && pyEquals(got.value, new PySet([1n, 2n], false))).toBe(true);
    expect(got.ok && (got.value as PySet).items).toEqual([1n, 2n]);
  });

  it("leaves a value alone without views", () => {
    expect(applyViews(undefined, [1n])).toEqual({ ok: true, value: [1n] });
  });

  it("cannot look inside a digest: the value was too large to judge this way", () => {
    expect(applyViews(["len"], new PyDigest("a".repeat(64), 10))).toMatchObject({ ok: false, outcome: "output_limit" });
  });
});
