import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalJson } from "../../src/models/canonical-json.js";

describe("canonicalJson", () => {
  it("sorts keys at every level, drops undefined fields and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined, x: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"x":2,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, 1])).toBe("[null,1]");
  });

  it("hashes equal values equally", () => {
    expect(canonicalHash({ a: 1, b: [1, 2] })).toBe(canonicalHash({ b: [1, 2], a: 1 }));
    expect(canonicalHash({ a: 1, b: [1, 2] })).not.toBe(canonicalHash({ a: 1, b: [2, 1] }));
    expect(canonicalHash("x")).toMatch(/^[0-9a-f]{64}$/);
  });
});
