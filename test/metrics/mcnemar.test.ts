import { describe, it, expect } from "vitest";
import { mcnemarExact } from "../../src/metrics/mcnemar.js";

/** Exact two-sided p by direct summation of binomial coefficients in BigInt, then one rounding. */
function exactP(b: number, c: number): number {
  const n = b + c;
  const k = Math.min(b, c);
  let coeff = 1n;
  let tail = 0n;
  for (let i = 0; i <= k; i++) {
    tail += coeff;
    coeff = (coeff * BigInt(n - i)) / BigInt(i + 1);
  }
  const num = 2n * tail;
  const den = 1n << BigInt(n);
  if (num >= den) return 1;
  // Scale to keep 60 significant bits before converting to a float.
  const shift = BigInt(Math.max(0, den.toString(2).length - num.toString(2).length + 60));
  return Number((num << shift) / den) / 2 ** Number(shift);
}

describe("mcnemarExact", () => {
  it.each([
    [0, 0],
    [0, 1],
    [1, 0],
    [3, 3],
    [0, 5],
    [2, 9],
    [9, 2],
    [10, 25],
    [40, 60],
    [117, 163],
    [480, 520],
    [1000, 1200],
    [2500, 2700],
    [30, 3000],
  ])("b=%i c=%i matches the BigInt binomial sum", (b, c) => {
    const r = mcnemarExact(b, c);
    const want = exactP(b, c);
    expect(r.b).toBe(b);
    expect(r.c).toBe(c);
    if (want === 0) expect(r.pValue).toBeLessThan(1e-300);
    else expect(Math.abs(r.pValue - want) / want).toBeLessThan(1e-9);
  });

  it("gives textbook values", () => {
    // 0 vs 5 discordant: 2 · (1/2)^5 = 0.0625; 1 vs 9: 2 · 11/1024.
    expect(mcnemarExact(0, 5).pValue).toBeCloseTo(0.0625, 15);
    expect(mcnemarExact(9, 1).pValue).toBeCloseTo(22 / 1024, 15);
    expect(mcnemarExact(7, 7).pValue).toBe(1);
  });

  it("is symmetric in b and c", () => {
    expect(mcnemarExact(12, 31).pValue).toBe(mcnemarExact(31, 12).pValue);
  });

  it("rejects counts that are not non-negative integers", () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(RangeError);
    expect(() => mcnemarExact(1.5, 2)).toThrow(RangeError);
  });
});
