import { describe, it, expect } from "vitest";
import { bootstrapMeanCi, pairedBootstrapCi } from "../../src/metrics/bootstrap.js";
import { createRng } from "../../src/metrics/rng.js";

/** Per-task pass@1 of two runs over 300 tasks: B loses 30 tasks and gains 6 (true difference −0.08). */
function twoRuns(): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 300; i++) {
    const passA = i % 3 !== 0 ? 1 : 0; // 200 passes
    let passB = passA;
    if (passA === 1 && i < 45) passB = 0; // 30 losses among the first 45 tasks
    if (passA === 0 && i >= 282) passB = 1; // 6 gains
    a.push(passA);
    b.push(passB);
  }
  return { a, b };
}

describe("createRng", () => {
  it("repeats a sequence for a seed and differs between seeds", () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 8 }, () => rng.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(0)).not.toEqual(draw(2 ** 40));
  });

  it("draws integers uniformly in range", () => {
    const rng = createRng(1);
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = rng.int(10);
      expect(v >= 0 && v < 10).toBe(true);
      counts[v] = (counts[v] ?? 0) + 1;
    }
    // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
    const chi2 = counts.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });
});

describe("pairedBootstrapCi", () => {
  it("brackets the true difference and is reproducible for a seed", () => {
    const { a, b } = twoRuns();
    const ci = pairedBootstrapCi(a, b, { seed: 42 });
    const truth = (b.reduce((s, x) => s + x, 0) - a.reduce((s, x) => s + x, 0)) / a.length;
    expect(truth).toBeCloseTo(-0.08, 12);
    expect(ci.estimate).toBeCloseTo(truth, 12);
    expect(ci.low).toBeLessThan(truth);
    expect(ci.high).toBeGreaterThan(truth);
    expect(ci.high).toBeLessThan(0); // 30 losses vs 6 gains is a clear regression
    expect(ci.resamples).toBe(10_000);
    expect(ci.confidence).toBe(0.95);
    expect(pairedBootstrapCi(a, b, { seed: 42 })).toEqual(ci);
  });

  it("depends on the seed", () => {
    // Irregular per-task values, so quantiles do not land on the same lattice point by chance.
    const a = Array.from({ length: 50 }, (_, i) => ((i * 37) % 101) / 101);
    const b = a.map((x, i) => Math.min(1, x + ((i * 13) % 7) / 70 - 0.03));
    const one = pairedBootstrapCi(a, b, { seed: 1, resamples: 2000 });
    const two = pairedBootstrapCi(a, b, { seed: 2, resamples: 2000 });
    expect(one.estimate).toBe(two.estimate);
    expect([one.low, one.high]).not.toEqual([two.low, two.high]);
    expect(Math.abs(one.low - two.low)).toBeLessThan(0.01);
  });

  it("has the width the normal approximation predicts", () => {
    const { a, b } = twoRuns();
    const d = b.map((x, i) => x - (a[i] ?? 0));
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length);
    const normalHalf = (1.959963984540054 * sd) / Math.sqrt(d.length);
    const ci = pairedBootstrapCi(a, b, { seed: 3 });
    expect((ci.high - ci.low) / 2).toBeGreaterThan(0.9 * normalHalf);
    expect((ci.high - ci.low) / 2).toBeLessThan(1.1 * normalHalf);
  });

  it("gives a point interval when the runs agree on every task", () => {
    const a = [1, 0, 1, 0.5, 0.25];
    const ci = pairedBootstrapCi(a, [...a], { resamples: 500 });
    expect([ci.estimate, ci.low, ci.high]).toEqual([0, 0, 0]);
  });

  it("rejects unpaired input and bad settings", () => {
    expect(() => pairedBootstrapCi([1], [1, 0])).toThrow(RangeError);
    expect(() => bootstrapMeanCi([1], { resamples: 0 })).toThrow(RangeError);
    expect(() => bootstrapMeanCi([1], { confidence: 1 })).toThrow(RangeError);
  });
});

describe("bootstrapMeanCi", () => {
  it("narrows with a lower confidence level and returns NaN for no data", () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 0 : 1));
    const wide = bootstrapMeanCi(values, { seed: 1 });
    const narrow = bootstrapMeanCi(values, { seed: 1, confidence: 0.5 });
    expect(wide.estimate).toBeCloseTo(0.8, 12);
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
    expect(Number.isNaN(bootstrapMeanCi([]).estimate)).toBe(true);
  });
});
