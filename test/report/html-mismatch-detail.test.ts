import { describe, it, expect } from "vitest";
import { splitMismatch } from "../../src/report/html/mismatch-detail.js";

describe("splitMismatch", () => {
  it.each([
    ["expected 5 got 4", "5", "4"],
    ["expected 'a got b' got 'c'", "'a got b'", "'c'"],
    ['expected ["x got y", (1, 2)] got []', '["x got y", (1, 2)]', "[]"],
    ["expected {'k': ' got '} got None", "{'k': ' got '}", "None"],
    ["expected 'it\\'s got it' got 'no'", "'it\\'s got it'", "'no'"],
    ["expected a truthy value got 0", "a truthy value", "0"],
    ["expected the same set as {1, 2} got {3}", "the same set as {1, 2}", "{3}"],
  ])("splits %j", (detail, expected, actual) => {
    expect(splitMismatch(detail)).toEqual({ expected, actual });
  });

  it("falls back to the first separator when the expected side was clipped mid-string", () => {
    expect(splitMismatch("expected 'aaaa… got 'b'")).toEqual({ expected: "'aaaa…", actual: "'b'" });
  });

  it.each(["ZeroDivisionError: division by zero", "time limit exceeded", "expected nothing here"])("leaves %j alone", (detail) => {
    expect(splitMismatch(detail)).toBeNull();
  });
});
