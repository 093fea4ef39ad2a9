import { describe, it, expect } from "vitest";
import { wilsonInterval, Z_95 } from "../../src/metrics/wilson.js";

/**
 * The Wilson bounds are the proportions p where the score statistic |p̂ − p| / sqrt(p(1−p)/n)
 * equals z; found here by bisection, independently of the closed form under test.
 */
function scoreBound(successes: number, n: number, side: "low" | "high"): number {
  const phat = successes / n;
  const excess = (p: number) => (phat - p) ** 2 - (Z_95 ** 2 * p * (1 - p)) / n;
  let lo = side === "low" ? 0 : phat;
  let hi = side === "low" ? phat : 1;
  if (side === "low" && successes === 0) return 0;
  if (side === "high" && successes === n) return 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    // Outside the interval the excess is positive.
    const outside = excess(mid) > 0;
    const towardsPhat = side === "low" ? outside : !outside;
    if (towardsPhat) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

describe("wilsonInterval", () => {
  it.each([
    [0, 10],
    [1, 10],
    [5, 10],
    [10, 10],
    [279, 500],
    [3, 399],
    [398, 399],
    [1, 1],
  ])("%i/%i matches the inverted score test", (s, n) => {
    const ci = wilsonInterval(s, n);
    expect(ci.estimate).toBe(s / n);
    expect(ci.low).toBeCloseTo(scoreBound(s, n, "low"), 10);
    expect(ci.high).toBeCloseTo(scoreBound(s, n, "high"), 10);
    expect(ci.low).toBeLessThanOrEqual(ci.estimate);
    expect(ci.high).toBeGreaterThanOrEqual(ci.estimate);
  });

  it("gives the published 5/10 interval", () => {
    const ci = wilsonInterval(5, 10);
    expect(ci.low).toBeCloseTo(0.2366, 4);
    expect(ci.high).toBeCloseTo(0.7634, 4);
  });

  it("is uninformative with no trials and rejects impossible counts", () => {
    expect(wilsonInterval(0, 0)).toEqual({ estimate: 0, low: 0, high: 1 });
    expect(() => wilsonInterval(4, 3)).toThrow(RangeError);
    expect(() => wilsonInterval(1, -1)).toThrow(RangeError);
  });
});
