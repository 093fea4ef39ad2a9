import { createRng } from "./rng.js";

/** How a paired permutation test is run. */
export interface PermutationOptions {
  /** Enumerate every sign assignment when there are at most this many non-zero differences (default 20). */
  exactLimit?: number;
  /** Monte Carlo resamples above the limit (default 10,000). */
  resamples?: number;
  /** RNG seed for the Monte Carlo path (default 0). */
  seed?: number;
}

/** The result of a two-sided paired permutation test. */
export interface PermutationResult {
  /** "exact": all 2^m sign flips; "monte_carlo": random sign flips. */
  method: "exact" | "monte_carlo";
  /** Mean of the per-unit differences (zeros included). */
  meanDifference: number;
  /** Units whose difference is not zero; only they can change sign. */
  nonZero: number;
  /** Sign assignments evaluated. */
  permutations: number;
  pValue: number;
}

/**
 * Two-sided sign-flip permutation test of "mean difference = 0" on paired per-unit differences
 * (e.g. per-task pass-rate of B minus A). Under the null each difference is as likely to have
 * either sign, so p = share of sign assignments whose |sum| reaches the observed |sum|.
 * Exact by enumeration up to `exactLimit` non-zero differences; otherwise Monte Carlo with the
 * (count + 1) / (resamples + 1) estimate, which never reports an impossible p = 0.
 */
export function pairedPermutationTest(differences: readonly number[], options: PermutationOptions = {}): PermutationResult {
  const exactLimit = options.exactLimit ?? 20;
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(exactLimit) || exactLimit < 0 || exactLimit > 30) {
    throw new RangeError(`exactLimit must be an integer in [0, 30], got ${exactLimit}`);
  }
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  const nonZero = Float64Array.from(differences.filter((d) => d !== 0));
  const meanDifference = differences.length === 0 ? 0 : differences.reduce((s, d) => s + d, 0) / differences.length;
  const m = nonZero.length;
  if (m === 0) return { method: "exact", meanDifference, nonZero: 0, permutations: 1, pValue: 1 };
  let observed = 0;
  let scale = 0;
  for (const d of nonZero) {
    observed += d;
    scale += Math.abs(d);
  }
  // Sums that equal the observed one in exact arithmetic may differ in the last bits here.
  const threshold = Math.abs(observed) - 1e-9 * scale;

  if (m <= exactLimit) {
    // Gray-code walk: each step flips one sign, so the sum updates in O(1).
    const total = 2 ** m;
    let sum = observed;
    const signs = new Int8Array(m).fill(1);
    let extreme = Math.abs(sum) >= threshold ? 1 : 0;
    for (let step = 1; step < total; step++) {
      const j = 31 - Math.clz32(step & -step);
      const d = nonZero[j] ?? 0;
      sum -= 2 * (signs[j] ?? 1) * d;
      signs[j] = -(signs[j] ?? 1);
      if (Math.abs(sum) >= threshold) extreme++;
    }
    return { method: "exact", meanDifference, nonZero: m, permutations: total, pValue: extreme / total };
  }

  const rng = createRng(seed);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < m; i++) sum += rng.next() < 0.5 ? -(nonZero[i] ?? 0) : (nonZero[i] ?? 0);
    if (Math.abs(sum) >= threshold) extreme++;
  }
  return { method: "monte_carlo", meanDifference, nonZero: m, permutations: resamples, pValue: (extreme + 1) / (resamples + 1) };
}
