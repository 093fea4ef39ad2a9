import { describe, expect, it } from "vitest";
import { comparePairedBinary } from "../../src/metrics/paired-binary.js";
import { mcnemarExact } from "../../src/metrics/mcnemar.js";
import { wilsonInterval } from "../../src/metrics/wilson.js";

describe("paired pass/fail comparison", () => {
  it("gives both rates with Wilson intervals, B − A with a paired bootstrap, and McNemar on the discordant units", () => {
    const a = [true, true, false, false, false, true, false, false];
    const b = [true, true, true, true, false, true, true, false];
    const r = comparePairedBinary(a, b, { resamples: 2000, seed: 1 });
    expect(r.units).toBe(8);
    expect(r.a).toEqual({ passed: 3, rate: 3 / 8, ci: wilsonInterval(3, 8) });
    expect(r.b).toEqual({ passed: 6, rate: 6 / 8, ci: wilsonInterval(6, 8) });
    expect(r.difference.estimate).toBeCloseTo(3 / 8, 12);
    expect(r.difference.low).toBeLessThanOrEqual(3 / 8);
    expect(r.difference.high).toBeGreaterThanOrEqual(3 / 8);
    expect(r.mcnemar).toEqual(mcnemarExact(0, 3));
  });

  it("needs paired outcomes", () => {
    expect(() => comparePairedBinary([true], [])).toThrow(RangeError);
  });
});
