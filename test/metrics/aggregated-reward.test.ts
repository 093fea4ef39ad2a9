import { describe, expect, it } from "vitest";
import { aggregatedReward, PHI_GAMMA, phiAlpha } from "../../src/metrics/aggregated-reward.js";

describe("o1-Coder's aggregated reward φ", () => {
  it("weights the outcome by α(t) = max(0.1, 1 − 0.01·t)", () => {
    expect([phiAlpha(0), phiAlpha(10), phiAlpha(50), phiAlpha(90), phiAlpha(200)]).toEqual([1, 0.9, 0.5, expect.closeTo(0.1, 12), 0.1]);
    expect(() => phiAlpha(-1)).toThrow(RangeError);
  });

  it("is α(t)·R + (1 − α(t))·(1/m)·Σ γ^j r_j, with γ = 0.9 and j from 1", () => {
    expect(PHI_GAMMA).toBe(0.9);
    // t = 50: α = 0.5. Steps 1, 0.5, 0: (0.9·1 + 0.81·0.5 + 0.729·0) / 3 = 0.435.
    expect(aggregatedReward(1, [1, 0.5, 0], 50)).toBeCloseTo(0.5 * 1 + 0.5 * 0.435, 12);
    // At t = 0 only the outcome counts.
    expect(aggregatedReward(0.25, [1, 1], 0)).toBe(0.25);
    // Late in training: α = 0.1; one step of reward 1 → 0.1·0 + 0.9·0.9.
    expect(aggregatedReward(0, [1], 1000)).toBeCloseTo(0.81, 12);
    expect(aggregatedReward(1, [1, 1], 100, 1)).toBeCloseTo(1, 12);
  });

  it("needs at least one step and finite values", () => {
    expect(() => aggregatedReward(1, [], 0)).toThrow(RangeError);
    expect(() => aggregatedReward(Number.NaN, [1], 0)).toThrow(/outcome/);
    expect(() => aggregatedReward(1, [1, Number.POSITIVE_INFINITY], 0)).toThrow(/r_2/);
  });
});
