import { createRng } from "./rng.js";
import type { Interval } from "./wilson.js";

/** How a bootstrap is run. */
export interface BootstrapOptions {
  /** Number of resamples (default 10,000). */
  resamples?: number;
  /** Two-sided coverage of the interval (default 0.95). */
  confidence?: number;
  /** RNG seed; the same seed and data give the same interval (default 0). */
  seed?: number;
}

/** A percentile-bootstrap interval, with the settings that produced it. */
export interface BootstrapInterval extends Interval {
  resamples: number;
  confidence: number;
  seed: number;
}

/** Default number of bootstrap resamples. */
export const DEFAULT_RESAMPLES = 10_000;

/**
 * Percentile-bootstrap interval for the mean of per-unit values (units = tasks), resampling
 * units with replacement. Tasks, not samples, are the independent units: samples of one task
 * share its difficulty, so resampling them separately would make the interval too narrow.
 */
export function bootstrapMeanCi(values: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const n = values.length;
  if (n === 0) return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, resamples, confidence, seed };
  const data = Float64Array.from(values);
  let total = 0;
  for (const v of data) total += v;
  const rng = createRng(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += data[rng.int(n)] ?? 0;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return {
    estimate: total / n,
    low: quantileSorted(means, tail),
    high: quantileSorted(means, 1 - tail),
    resamples,
    confidence,
    seed,
  };
}

/**
 * Paired-bootstrap interval for mean(b) − mean(a), where a[i] and b[i] belong to the same task.
 * Resampling a task resamples both of its values together, which is what makes it paired.
 */
export function pairedBootstrapCi(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  if (a.length !== b.length) throw new RangeError(`paired bootstrap needs equal lengths, got ${a.length} and ${b.length}`);
  return bootstrapMeanCi(
    b.map((bv, i) => bv - (a[i] ?? 0)),
    options,
  );
}

/** Linear-interpolation quantile (R's type 7) of an ascending array. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const vlo = sorted[lo] ?? Number.NaN;
  const vhi = sorted[hi] ?? Number.NaN;
  return vlo + (vhi - vlo) * (pos - lo);
}
