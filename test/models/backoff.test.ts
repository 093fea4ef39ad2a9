import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter } from "../../src/models/backoff.js";

describe("fullJitterDelay", () => {
  const options = { ...DEFAULT_BACKOFF, baseMs: 100, maxMs: 1_000 };

  it("draws below an exponentially growing cap, capped at maxMs", () => {
    expect([0, 1, 2, 3, 4, 10].map((retry) => fullJitterDelay(retry, options, () => 0.999_999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(fullJitterDelay(3, options, () => 0)).toBe(0);
  });

  it("spreads retries out with the real random source", () => {
    const draws = Array.from({ length: 200 }, () => fullJitterDelay(3, options));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(800);
    expect(new Set(draws).size).toBeGreaterThan(50);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it.each([
    ["3", 3_000],
    ["0", 0],
    ["1.5", 1_500],
    ["Wed, 01 Jan 2025 00:00:10 GMT", 10_000],
    ["Tue, 31 Dec 2024 23:59:00 GMT", 0],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
  ])("%s -> %s ms", (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});
