import { describe, expect, it } from "vitest";
import {
  applyInputTransform,
  type InputTransformName,
  pyComplex,
  pyFloat,
  TransformError,
} from "../../src/benchmarks/mbpp-plus-transforms.js";
import { parsePythonJson } from "../../src/benchmarks/python-json.js";
import { PyComplex, PyDict, PySet, PyTuple, type PyValue } from "../../src/core/py-value.js";

const t = (...items: PyValue[]): PyTuple => new PyTuple(items);
const args = (json: string): PyValue[] => parsePythonJson(json) as PyValue[];

describe("input transforms follow EvalPlus's mbpp_deserialize_inputs", () => {
  it.each<[InputTransformName, string, PyValue[]]>([
    ["tuple_each_arg", "[[3, 4], [5]]", [t(3n, 4n), t(5n)]],
    ["tuple_each_arg", '["ab"]', [t("a", "b")]],
    ["tuple_items_each_arg", "[[[1, 2], [3]], [[4]]]", [[t(1n, 2n), t(3n)], [t(4n)]]],
    ["tuple_items_first_arg", "[[[6, 24], [7]], 6]", [[t(6n, 24n), t(7n)], 6n]],
    ["tuple_second_arg", "[[5, 6], [9, 10]]", [[5n, 6n], t(9n, 10n)]],
    ["tuple_first_arg", "[[10, 8], 4]", [t(10n, 8n), 4n]],
    ["tuple_first_arg", '[[1], "a", 2]', [t(1n), "a", 2n]],
    ["tuple_of_tuples_each_arg", "[[[1, 3], [4, 5]], [[6, 7]]]", [t(t(1n, 3n), t(4n, 5n)), t(t(6n, 7n))]],
    ["tuple_with_tuple_items_first_arg", "[[1, 5, [4, 6], 10]]", [t(1n, 5n, t(4n, 6n), 10n)]],
    ["tuple_with_tuple_items_first_arg", "[[1, [2, [3]]]]", [t(1n, t(2n, [3n]))]],
    [
      "sets_first_arg_items",
      '[[[1, 2], [], {"a": {}}, null, "s", [1, 1.0, true]]]',
      [
        [
          new PySet([1n, 2n], false),
          new PyDict([]),
          new PyDict([]),
          new PyDict([]),
          new PyDict([]),
          // set([1, 1.0, True]) == {1}: the first of equal elements stays.
          new PySet([1n], false),
        ],
      ],
    ],
    ["float_complex_args", '["0", "1j"]', [0, new PyComplex(0, 1)]],
    ["float_complex_args", '["-1000000.0", "(-0-2j)"]', [-1000000, new PyComplex(-0, -2)]],
    ["complex_first_arg", "[1]", [new PyComplex(1, 0)]],
    ["complex_first_arg", '["(2-5j)"]', [new PyComplex(2, -5)]],
    [
      "tuple_dict_values_first_arg",
      '[{"Cierra": [6.2, 70]}, 6.0, 70]',
      [new PyDict([["Cierra", t(6.2, 70n)]]), 6.0, 70n],
    ],
    ["deep_tuples", '[[4, [7, [2]], {"k": [1]}], 5]', [t(4n, t(7n, t(2n)), new PyDict([["k", [1n]]])), 5n]],
  ])("%s %s", (name, input, want) => {
    expect(applyInputTransform(name, args(input))).toEqual(want);
  });

  it("keeps the sign of -0.0 in complex parts", () => {
    const [c] = applyInputTransform("complex_first_arg", args('["(-0-1j)"]'));
    expect(Object.is((c as PyComplex).re, -0)).toBe(true);
  });

  it.each<[InputTransformName, string, RegExp]>([
    ["tuple_second_arg", "[[1]]", /at least 2 arguments/],
    ["tuple_each_arg", "[5]", /int is not iterable/],
    ["tuple_dict_values_first_arg", "[[1]]", /expected a dict/],
    ["sets_first_arg_items", "[[[[1]]]]", /unhashable set element: list/],
    ["float_complex_args", '["x", "1j"]', /could not convert string to float/],
  ])("%s rejects %s", (name, input, pattern) => {
    expect(() => applyInputTransform(name, args(input))).toThrow(TransformError);
    expect(() => applyInputTransform(name, args(input))).toThrow(pattern);
  });
});

describe("Python's float() and complex() on strings", () => {
  it.each<[PyValue, number]>([
    ["0", 0],
    [" 1e-100 ", 1e-100],
    ["-0.002", -0.002],
    ["1_000.5", 1000.5],
    [".5", 0.5],
    ["5.", 5],
    ["inf", Infinity],
    ["-Infinity", -Infinity],
    [3n, 3],
    [2.5, 2.5],
    [true, 1],
  ])("float(%s) = %s", (input, want) => {
    expect(pyFloat(input)).toBe(want);
  });

  it("float('nan') is NaN", () => {
    expect(pyFloat("NaN")).toBeNaN();
  });

  it.each<[PyValue, number, number]>([
    ["1j", 0, 1],
    ["-3j", 0, -3],
    ["j", 0, 1],
    ["-j", 0, -1],
    ["(1+2j)", 1, 2],
    [" (0.5+0.5j) ", 0.5, 0.5],
    ["(1-1e-16j)", 1, -1e-16],
    ["4.480282583176166j", 0, 4.480282583176166],
    ["69.02761442257642", 69.02761442257642, 0],
    ["1e-100j", 0, 1e-100],
    ["1+J", 1, 1],
    [7n, 7, 0],
    [1.5, 1.5, 0],
  ])("complex(%s) = (%s, %s)", (input, re, im) => {
    expect(pyComplex(input)).toEqual(new PyComplex(re, im));
  });

  it.each(["", "1 + 2j", "(1+2j", "1e", "--1", "1jj", "abc"])("complex(%j) raises", (input) => {
    expect(() => pyComplex(input)).toThrow(TransformError);
  });

  it.each(["", "1e", "0x10", "1__0", "_1"])("float(%j) raises", (input) => {
    expect(() => pyFloat(input)).toThrow(TransformError);
  });
});
