import { describe, expect, it } from "vitest";
import { PyBytes, PyComplex, PyDict, PySet, PyTuple, type PyValue } from "../../src/core/py-value.js";
import type { Comparator, Expectation } from "../../src/core/task.js";
import {
  compareValues,
  evalplusAtol,
  expectationHolds,
  isFloats,
  numpyAllclose,
  pyTruthy,
  withEvalplusFloatAtol,
} from "../../src/judge/comparators.js";

const tup = (...items: PyValue[]) => new PyTuple(items);
const set = (...items: PyValue[]) => new PySet(items, false);
const fset = (...items: PyValue[]) => new PySet(items, true);
const dict = (...entries: [PyValue, PyValue][]) => new PyDict(entries);
const bytes = (s: string) => new PyBytes(new TextEncoder().encode(s));
const cx = (re: number, im: number) => new PyComplex(re, im);
const evalplus = (atol: number): Comparator => ({ kind: "evalplus", atol });

describe("isFloats (EvalPlus's is_floats)", () => {
  it.each<[string, PyValue, boolean]>([
    ["a float", 1.5, true],
    ["an integral float", 2, true],
    ["nan", NaN, true],
    ["an int", 2n, false],
    ["a bool", true, false],
    ["a list of floats", [1, 2.5], true],
    ["a tuple of floats", tup(0.5), true],
    ["an empty list", [], false],
    ["an empty tuple", tup(), false],
    ["a list with an int", [1.5, 2n], false],
    ["a list with a bool", [1.5, true], false],
    ["a nested list of floats", [[1.5]], false],
    ["a set of floats", set(1.5), false],
    ["a complex", cx(1, 1), false],
  ])("%s → %s", (_name, v, expected) => {
    expect(isFloats(v)).toBe(expected);
  });

  it("sets atol to 1e-6 only when the task's atol is 0 and the expected value is float-like", () => {
    expect(evalplusAtol(0, 1.5)).toBe(1e-6);
    expect(evalplusAtol(0, 1n)).toBe(0);
    expect(evalplusAtol(1e-4, 1.5)).toBe(1e-4);
  });
});

// Each row: EvalPlus's check, worked out by hand from numpy's
// |actual - expected| <= atol + 1e-7 * |expected| (and the type/length guards).
describe("compareValues: evalplus", () => {
  it.each<[string, number, PyValue, PyValue, boolean]>([
    ["equal ints", 0, 5n, 5n, true],
    ["different ints, atol 0: exact only", 0, 6n, 5n, false],
    ["int 5 == float 5.0 passes on ==", 0, 5n, 5, true],
    ["float 5.0 == int 5 passes on ==", 0, 5, 5n, true],
    ["True == 1 passes on ==", 0, true, 1n, true],
    ["float within 1e-6 + 1e-7·|exp|", 0, 1.0000001, 1, true],
    ["float at 2e-6 is out", 0, 1.000002, 1, false],
    ["relative part: 1e9 + 50 vs 1e9 (tol ≈ 100)", 0, 1e9 + 50, 1e9, true],
    ["relative part: 1e9 + 101 vs 1e9", 0, 1e9 + 101, 1e9, false],
    ["rtol uses |expected|: 1000000.1 vs 1e6", 0, 1000000.1, 1e6, true],
    ["rtol uses |expected|: 1000000.2 vs 1e6", 0, 1000000.2, 1e6, false],
    ["int actual vs float expected: type differs", 0, 5n, 5.0000001, false],
    ["float actual vs int expected: atol stays 0", 0, 5.0000001, 5n, false],
    ["nan vs nan never close", 0, NaN, NaN, false],
    ["inf vs inf equal", 0, Infinity, Infinity, true],
    ["-inf vs inf", 0, -Infinity, Infinity, false],
    ["finite vs inf", 0, 1e308, Infinity, false],
    ["list of floats within tolerance", 0, [1.0000001, 2], [1, 2], true],
    ["list of floats, one out", 0, [1.0000001, 2.00001], [1, 2], false],
    ["tuple vs list: type differs", 0, tup(1.0000001, 2), [1, 2], false],
    ["length differs", 0, [1], [1, 2], false],
    ["empty expected list is not float-like", 0, [1.5], [], false],
    ["mixed int/float expected list: atol stays 0", 0, [1n, 2.0000001], [1n, 2], false],
    ["mixed list with task atol 1e-4", 1e-4, [1n, 2.0000001], [1n, 2], true],
    ["bool in expected list: not float-like", 0, [true, 1.0000001], [true, 1], false],
    ["nested float lists are not float-like", 0, [[1.0000001]], [[1]], false],
    ["nested float lists with task atol", 1e-4, [[1.0000001]], [[1]], true],
    ["task atol: ints 1e8 + 1 vs 1e8 (tol ≈ 10)", 1e-4, 100000001n, 100000000n, true],
    ["task atol: ints 1 vs 2", 1e-4, 1n, 2n, false],
    ["task atol: huge ints compare as floats", 1e-4, 10n ** 20n + 1n, 10n ** 20n, true],
    ["task atol: ints beyond float range fail", 1e-4, 10n ** 400n + 1n, 10n ** 400n, false],
    ["task atol: strings are not numbers", 1e-4, "a", "b", false],
    ["task atol 1: bools count as 0/1", 1, true, false, true],
    ["task atol 1e-4: True vs False", 1e-4, true, false, false],
    ["complex expected is not float-like", 0, cx(1, 1 + 1e-9), cx(1, 1), false],
    ["complex with task atol", 1e-4, cx(1, 1 + 1e-9), cx(1, 1), true],
    ["complex far apart", 1e-4, cx(1, 2), cx(1, 1), false],
    ["float list vs int list expected: huge ints stay usable on the actual side", 0, [10n ** 20n], [1e20], true],
    ["huge int in the expected list makes numpy's object array: isfinite raises", 1e-4, [1e20, 1.5000001], [10n ** 20n, 1.5], false],
    ["broadcast: [[1.0],[2.0]] vs [[1,1],[2,2]]", 1e-4, [[1], [2]], [[1, 1], [2, 2]], true],
    ["broadcast: [[1.0],[2.0]] vs [[1,2],[2,2]]", 1e-4, [[1], [2]], [[1, 2], [2, 2]], false],
    ["broadcast of empty rows: all([]) is True", 1e-4, [[], []], [[1], [2]], true],
    ["incompatible shapes", 1e-4, [[1, 2, 3], [1, 2, 3]], [[1, 2], [1, 2]], false],
    ["ragged actual", 1e-4, [[1], [2, 3]], [[1, 0], [2, 3]], false],
    ["None inside: object array", 1e-4, [null, 1.0000001], [null, 1], false],
    ["str inside: string array", 1e-4, ["a", 1.0000001], ["a", 1], false],
    ["dicts are never allclose", 1e-4, dict([1n, 1.0000001]), dict([1n, 1]), false],
    ["sets are never allclose", 1e-4, set(1.0000001), set(1), false],
    ["set vs frozenset equal under ==", 0, set(1n), fset(1n), true],
  ])("%s", (_name, atol, actual, expected, result) => {
    expect(compareValues(evalplus(atol), actual, expected)).toBe(result);
  });
});

describe("numpyAllclose", () => {
  it.each<[string, PyValue, PyValue, number, boolean]>([
    ["scalars", 1.0000001, 1, 1e-6, true],
    ["the tolerance is inclusive", 1.5, 1, 0.5, true],
    ["2-d same shape", [[1, 2], [3, 4]], [[1, 2], [3, 4.0000001]], 1e-6, true],
    ["(2,) broadcasts against (2,2)", [1, 2], [[1, 2], [1, 2]], 1e-6, true],
    ["(2,1) broadcasts against (1,3)", [[1], [1]], [[1, 1, 1]], 1e-6, true],
    ["bool arrays", [true, false], [1, 0], 0, true],
    ["inf vs inf inside an array", [1, Infinity], [1, Infinity], 1e-6, true],
    ["complex with nan", [cx(NaN, 0)], [cx(NaN, 0)], 1e-6, false],
    ["bytes are not numbers", bytes("a"), bytes("a"), 1e-6, false],
    ["more than 64 dimensions", nest(65), nest(65), 1e-6, false],
  ])("%s", (_name, a, b, atol, result) => {
    expect(numpyAllclose(a, b, 1e-7, atol)).toBe(result);
  });

  it("gives up on a broadcast too large to allocate", () => {
    const column = Array.from({ length: 10_000 }, () => [1]);
    const row = [Array.from({ length: 10_000 }, () => 1)];
    expect(numpyAllclose([column], [row], 1e-7, 1e-6)).toBe(false);
  });
});

function nest(depth: number): PyValue {
  let v: PyValue = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("compareValues: set_eq (set(actual) == set(expected))", () => {
  it.each<[string, PyValue, PyValue, boolean]>([
    ["order and duplicates ignored", [1n, 2n, 2n], tup(2n, 1n), true],
    ["different elements", [1n, 3n], [1n, 2n], false],
    ["str iterates characters", "abc", ["c", "b", "a"], true],
    ["repeated characters", "aab", "ab", true],
    ["dict iterates keys", dict([1n, "a"], [2n, "b"]), [2n, 1n], true],
    ["bytes iterate ints", bytes("ab"), [97n, 98n], true],
    ["numbers compare across types", [1], set(1n), true],
    ["empty vs set()", [], set(), true],
    ["tuples as elements", [tup(1n, 2n)], [tup(1, 2n)], true],
    ["frozensets as elements", [fset(1n)], [fset(1n)], true],
    ["unhashable element raises: false", [1n, [2n]], [1n, [2n]], false],
    ["not iterable: false", 5n, [5n], false],
    ["None: false", null, [], false],
    ["NaN elements never match", [NaN], [NaN], false],
  ])("%s", (_name, actual, expected, result) => {
    expect(compareValues({ kind: "set_eq" }, actual, expected)).toBe(result);
  });
});

describe("compareValues: set_eq with atol (EvalPlus's set oracle, evalplus/eval/__init__.py)", () => {
  it.each<[string, PyValue, PyValue, number, boolean]>([
    ["equal sets pass whatever the order", [2, 1.5], [1.5, 2], 0, true],
    // Mbpp/769 (Diff) returns lists of floats: a float off by 1e-7 is no longer the same set,
    // and EvalPlus then falls back to numpy.allclose with atol 1e-6 (its atol is 0).
    ["a float list within 1e-6 in the same order", [1, 2.0000001], [1, 2], 0, true],
    ["a float list within 1e-6 in another order: allclose is positional", [2.0000001, 1], [1, 2], 0, false],
    ["a float list beyond 1e-6", [1, 2.01], [1, 2], 0, false],
    ["the task's own atol", [1, 2.01], [1, 2], 0.1, true],
    ["ints are not float-like: no fallback with atol 0", [1n, 3n], [1n, 2n], 0, false],
    ["the fallback needs the same type", tup(1, 2.0000001), [1, 2], 0, false],
    ["the fallback needs the same length", [1, 2.0000001, 2], [1, 2], 0, false],
    ["set() raising fails outright, even where allclose would hold", [[1], [2.0000001]], [[1], [2]], 0, false],
  ])("%s", (_name, actual, expected, atol, result) => {
    expect(compareValues({ kind: "set_eq", atol }, actual, expected)).toBe(result);
  });

  it("without atol it is plain set equality (no fallback)", () => {
    expect(compareValues({ kind: "set_eq" }, [1, 2.0000001], [1, 2])).toBe(false);
  });

  it("takes the raised atol once EvalPlus's atol variable became 1e-6", () => {
    const e: Expectation = { expected: [1n, 2n], comparator: { kind: "set_eq", atol: 0 } };
    expect(expectationHolds(e, [1, 2.0000001])).toBe(false);
    expect(withEvalplusFloatAtol(e).comparator).toEqual({ kind: "set_eq", atol: 1e-6 });
    expect(expectationHolds(withEvalplusFloatAtol(e), [1, 2.0000001])).toBe(true);
  });
});

describe("compareValues: isclose (math.isclose)", () => {
  it.each<[string, PyValue, PyValue, number, number, boolean]>([
    ["equal", 1, 1, 1e-9, 0, true],
    ["within rel_tol", 1 + 1e-10, 1, 1e-9, 0, true],
    ["outside rel_tol", 1.00001, 1, 1e-9, 0, false],
    ["rel_tol is symmetric (max of |a|, |b|)", 100, 110, 0.095, 0, true],
    ["near zero needs abs_tol", 1e-10, 0, 1e-9, 0, false],
    ["abs_tol", 1e-10, 0, 1e-9, 1e-9, true],
    ["inf == inf", Infinity, Infinity, 1e-9, 0, true],
    ["inf vs finite", Infinity, 1e308, 1e-9, 1e300, false],
    ["nan", NaN, NaN, 1e-9, 1, false],
    ["int vs float", 1n, 1, 1e-9, 0, true],
    ["bool vs float", true, 1, 1e-9, 0, true],
    ["int too large for a float raises", 2n ** 1100n, 2n ** 1100n, 1e-9, 0, false],
    ["str raises", "a", "a", 1e-9, 0, false],
    ["complex raises", cx(1, 0), 1, 1e-9, 0, false],
    ["negative tolerance raises", 1, 1, -1, 0, false],
  ])("%s", (_name, a, b, relTol, absTol, result) => {
    expect(compareValues({ kind: "isclose", relTol, absTol }, a, b)).toBe(result);
  });
});

describe("truthiness", () => {
  it.each<[PyValue, boolean]>([
    [null, false],
    [false, false],
    [true, true],
    [0n, false],
    [-1n, true],
    [0, false],
    [-0, false],
    [NaN, true],
    ["", false],
    [" ", true],
    [[], false],
    [[null], true],
    [tup(), false],
    [tup(0n), true],
    [dict(), false],
    [dict([0n, 0n]), true],
    [set(), false],
    [fset(0n), true],
    [bytes(""), false],
    [bytes("\0"), true],
    [cx(0, 0), false],
    [cx(0, 1), true],
  ])("bool(%s) is %s", (v, truth) => {
    expect(pyTruthy(v)).toBe(truth);
    expect(compareValues({ kind: "truthy" }, v, null)).toBe(truth);
    expect(compareValues({ kind: "falsy" }, v, null)).toBe(!truth);
  });
});

describe("compareValues: eq and always", () => {
  it("eq is Python ==", () => {
    expect(compareValues({ kind: "eq" }, [1n, 2], [1, 2n])).toBe(true);
    expect(compareValues({ kind: "eq" }, [1n], tup(1n))).toBe(false);
    expect(compareValues({ kind: "eq" }, 1.0000001, 1)).toBe(false);
  });

  it("always accepts anything", () => {
    expect(compareValues({ kind: "always" }, null, 5n)).toBe(true);
    expect(compareValues({ kind: "always" }, [NaN], "x")).toBe(true);
  });
});

describe("expectationHolds", () => {
  // Mbpp/295 (sum_div): the reference's value, or 0.
  const sumDiv: Expectation = {
    expected: 7n,
    comparator: evalplus(0),
    alternatives: [{ expected: 0n, comparator: { kind: "eq" } }],
  };

  it.each<[PyValue, boolean]>([
    [7n, true],
    [0n, true],
    [0, true],
    [3n, false],
  ])("main or any alternative: %s → %s", (actual, result) => {
    expect(expectationHolds(sumDiv, actual)).toBe(result);
  });

  it("without alternatives is just the main comparison", () => {
    expect(expectationHolds({ expected: "a", comparator: { kind: "eq" } }, "a")).toBe(true);
    expect(expectationHolds({ expected: "a", comparator: { kind: "eq" } }, "b")).toBe(false);
  });

  it("withEvalplusFloatAtol also raises an isclose alternative's abs_tol 0 (Mbpp/581 reads the same atol)", () => {
    const e: Expectation = {
      expected: 10.5,
      comparator: evalplus(0),
      alternatives: [{ expected: 11, comparator: { kind: "isclose", relTol: 0, absTol: 0 } }],
    };
    expect(expectationHolds(e, 11.0000005)).toBe(false);
    expect(expectationHolds(withEvalplusFloatAtol(e), 11.0000005)).toBe(true);
    const withTaskAtol: Expectation = { ...e, comparator: evalplus(1e-4) };
    expect(withEvalplusFloatAtol(withTaskAtol)).toEqual(withTaskAtol);
  });

  it("withEvalplusFloatAtol raises only evalplus comparators with atol 0", () => {
    const e: Expectation = {
      expected: 1n,
      comparator: evalplus(0),
      alternatives: [
        { expected: 2n, comparator: evalplus(1e-4) },
        { expected: 3n, comparator: { kind: "eq" } },
      ],
    };
    expect(withEvalplusFloatAtol(e)).toEqual({
      expected: 1n,
      comparator: evalplus(1e-6),
      alternatives: [
        { expected: 2n, comparator: evalplus(1e-4) },
        { expected: 3n, comparator: { kind: "eq" } },
      ],
    });
  });
});
