import { describe, expect, it } from "vitest";
import { meanPassAtK, passAtK } from "../../src/metrics/pass-at-k.js";

/** C(n, k) exactly. */
function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** 1 - C(n-c, k) / C(n, k) from exact binomials, to 17 significant digits. */
function exactPassAtK(n: number, c: number, k: number): number {
  const num = binomial(n - c, k);
  const den = binomial(n, k);
  const scale = 10n ** 17n;
  return 1 - Number((num * scale) / den) / 1e17;
}

describe("passAtK", () => {
  it.each<[number, number, number, number]>([
    // n, c, k, pass@k worked out by hand
    [5, 2, 1, 0.4], // 2/5
    [5, 2, 2, 0.7], // 1 - C(3,2)/C(5,2) = 1 - 3/10
    [5, 2, 3, 0.9], // 1 - C(3,3)/C(5,3) = 1 - 1/10
    [5, 2, 4, 1], // only 3 failures: any 4 draws include a pass
    [5, 0, 5, 0],
    [5, 5, 1, 1],
    [1, 1, 1, 1],
    [1, 0, 1, 0],
    [10, 1, 1, 0.1],
    [10, 1, 5, 0.5], // 1 - C(9,5)/C(10,5) = 1 - 126/252
    [4, 1, 2, 0.5], // 1 - C(3,2)/C(4,2) = 1 - 3/6
  ])("pass@k(n=%i, c=%i, k=%i) = %f", (n, c, k, expected) => {
    expect(passAtK(n, c, k)).toBeCloseTo(expected, 14);
  });

  it.each<[number, number, number]>([
    [200, 13, 1],
    [200, 13, 10],
    [200, 13, 100],
    [100, 3, 50],
    [1000, 1, 10],
  ])("matches exact binomials for n=%i, c=%i, k=%i", (n, c, k) => {
    expect(passAtK(n, c, k)).toBeCloseTo(exactPassAtK(n, c, k), 12);
  });

  it("stays in [0, 1] where the binomials overflow a double", () => {
    const p = passAtK(2000, 7, 1000);
    expect(p).toBeGreaterThan(0.99);
    expect(p).toBeLessThanOrEqual(1);
  });

  it.each<[string, number, number, number]>([
    ["k above n", 3, 1, 4],
    ["c above n", 3, 4, 1],
    ["negative c", 3, -1, 1],
    ["k of 0", 3, 1, 0],
    ["n of 0", 0, 0, 1],
    ["fractional n", 2.5, 1, 1],
  ])("refuses %s", (_name, n, c, k) => {
    expect(() => passAtK(n, c, k)).toThrow(RangeError);
  });
});

describe("meanPassAtK", () => {
  it("averages over tasks", () => {
    expect(meanPassAtK([{ n: 5, c: 2 }, { n: 5, c: 0 }], 1)).toBeCloseTo(0.2, 15);
    expect(meanPassAtK([{ n: 5, c: 2 }, { n: 4, c: 1 }], 2)).toBeCloseTo((0.7 + 0.5) / 2, 15);
  });

  it("refuses an empty task list", () => {
    expect(() => meanPassAtK([], 1)).toThrow(RangeError);
  });
});
