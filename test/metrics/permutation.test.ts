import { describe, it, expect } from "vitest";
import { pairedPermutationTest } from "../../src/metrics/permutation.js";

/** Brute force over every sign mask, recomputing each sum from scratch in rationals scaled to integers. */
function bruteForceP(diffs: number[], denominator: number): number {
  const ints = diffs.filter((d) => d !== 0).map((d) => Math.round(d * denominator));
  const observed = Math.abs(ints.reduce((s, x) => s + x, 0));
  const m = ints.length;
  let extreme = 0;
  for (let mask = 0; mask < 2 ** m; mask++) {
    let sum = 0;
    for (let j = 0; j < m; j++) sum += mask & (1 << j) ? -(ints[j] ?? 0) : (ints[j] ?? 0);
    if (Math.abs(sum) >= observed) extreme++;
  }
  return extreme / 2 ** m;
}

describe("pairedPermutationTest", () => {
  it("matches brute-force enumeration on per-task pass-rate differences", () => {
    // Differences of per-task pass rates with 10 samples per task (multiples of 0.1).
    const diffs = [0.1, -0.3, 0.2, 0, 0.5, 0.4, -0.1, 0.3, 0, 0.6, 0.2, -0.2, 0.1, 0.7];
    const r = pairedPermutationTest(diffs);
    expect(r.method).toBe("exact");
    expect(r.nonZero).toBe(12);
    expect(r.permutations).toBe(4096);
    expect(r.pValue).toBe(bruteForceP(diffs, 10));
    expect(r.meanDifference).toBeCloseTo(2.5 / 14, 12);
  });

  it("gives the sign-test value when all differences are equal", () => {
    // 6 equal positive differences: only the all-plus and all-minus masks are as extreme.
    expect(pairedPermutationTest([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]).pValue).toBe(2 / 64);
  });

  it("enumerates exactly at 20 non-zero differences", () => {
    const diffs = Array.from({ length: 20 }, (_, i) => ((i * 7) % 11) / 10 - 0.3);
    const r = pairedPermutationTest(diffs.filter((d) => d !== 0));
    expect(r.method).toBe("exact");
    expect(r.pValue).toBe(bruteForceP(diffs, 10));
  });

  it("switches to Monte Carlo above the limit, close to the exact value and reproducible", () => {
    const diffs = [0.2, 0.4, -0.2, 0.6, 0.2, 0.8, -0.4, 0.2, 0.2, -0.2, 0.4, 0.6, 0, 0.2, -0.6, 0.4];
    const exact = bruteForceP(diffs, 10);
    const r = pairedPermutationTest(diffs, { exactLimit: 10, seed: 5 });
    expect(r.method).toBe("monte_carlo");
    expect(r.permutations).toBe(10_000);
    const se = Math.sqrt((exact * (1 - exact)) / 10_000);
    expect(Math.abs(r.pValue - exact)).toBeLessThan(4 * se + 1e-4);
    expect(pairedPermutationTest(diffs, { exactLimit: 10, seed: 5 })).toEqual(r);
  });

  it("never reports p = 0 by Monte Carlo", () => {
    const diffs = new Array<number>(40).fill(0.5);
    const r = pairedPermutationTest(diffs, { resamples: 999 });
    expect(r.method).toBe("monte_carlo");
    expect(r.pValue).toBe(1 / 1000);
  });

  it("returns p = 1 when nothing differs", () => {
    expect(pairedPermutationTest([0, 0, 0]).pValue).toBe(1);
    expect(pairedPermutationTest([]).pValue).toBe(1);
  });
});
