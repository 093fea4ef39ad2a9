import { describe, expect, it } from "vitest";
import { parsePythonJson } from "../../src/benchmarks/python-json.js";
import { InputError } from "../../src/core/errors.js";
import { PyDict, type PyValue } from "../../src/core/py-value.js";

describe("parsePythonJson reads JSON as Python's json.loads does", () => {
  it.each<[string, PyValue]>([
    ["1", 1n],
    ["-0", 0n],
    ["1.0", 1.0],
    ["1e3", 1000],
    ["-2.5E-3", -0.0025],
    ["10000000000000000000000", 10000000000000000000000n],
    ["-9999999999999999999999", -9999999999999999999999n],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["null", null],
    ["true", true],
    ["false", false],
    ['"a\\"b\\\\c\\n\\u00e9"', 'a"b\\c\né'],
    ['"\\ud83d\\ude00"', "😀"],
    ["[]", []],
    [" [ 1 , 2.0 ,[ ] ] ", [1n, 2.0, []]],
  ])("%s", (text, want) => {
    expect(parsePythonJson(text)).toEqual(want);
  });

  it("keeps int and float apart where JSON.parse cannot", () => {
    const v = parsePythonJson("[1, 1.0]") as PyValue[];
    expect(typeof v[0]).toBe("bigint");
    expect(typeof v[1]).toBe("number");
  });

  it("reads objects as str-keyed dicts, a repeated key keeping its place and last value", () => {
    expect(parsePythonJson('{"a": 1, "b": [2], "a": 3}')).toEqual(
      new PyDict([
        ["a", 3n],
        ["b", [2n]],
      ]),
    );
    expect(parsePythonJson("{}")).toEqual(new PyDict([]));
  });

  it.each([
    ["", /unexpected end of input/],
    ["[1, 2", /expected ',' or ']'/],
    ["[1] x", /extra data at offset 4/],
    ['{"a" 1}', /expected ':'/],
    ["{1: 2}", /expected a string key/],
    ['"abc', /unterminated string/],
    ["nul", /invalid literal/],
    ["+1", /unexpected "\+"/],
    ['"\\x"', /invalid string escape/],
  ])("rejects %j", (text, pattern) => {
    expect(() => parsePythonJson(text)).toThrow(InputError);
    expect(() => parsePythonJson(text)).toThrow(pattern);
  });
});
