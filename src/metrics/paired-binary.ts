import { pairedBootstrapCi, type BootstrapInterval, type BootstrapOptions } from "./bootstrap.js";
import { mcnemarExact, type McNemarResult } from "./mcnemar.js";
import { wilsonInterval, type Interval } from "./wilson.js";

/** One side of a paired pass/fail comparison. */
export interface PairedSide {
  passed: number;
  rate: number;
  /** Wilson 95% interval of the rate. */
  ci: Interval;
}

/** Two methods' pass/fail on the same units (tasks), compared pairwise. */
export interface PairedBinaryComparison {
  units: number;
  a: PairedSide;
  b: PairedSide;
  /** rate(b) − rate(a), with a paired-bootstrap interval over units. */
  difference: BootstrapInterval;
  /** Exact McNemar test on the discordant units (b: passed by A only, c: by B only). */
  mcnemar: McNemarResult;
}

/**
 * Compares two methods that each pass or fail every unit (e.g. MCTS and best-of-N solving a
 * task at the same budget). The difference's interval resamples units with both outcomes
 * together, which is what makes it paired: tasks differ in difficulty far more than the methods do.
 */
export function comparePairedBinary(a: readonly boolean[], b: readonly boolean[], options: BootstrapOptions = {}): PairedBinaryComparison {
  if (a.length !== b.length) throw new RangeError(`paired outcomes need equal lengths, got ${a.length} and ${b.length}`);
  const side = (xs: readonly boolean[]): PairedSide => {
    const passed = xs.filter(Boolean).length;
    return { passed, rate: xs.length === 0 ? Number.NaN : passed / xs.length, ci: wilsonInterval(passed, xs.length) };
  };
  let onlyA = 0;
  let onlyB = 0;
  a.forEach((pa, i) => {
    if (pa && !b[i]) onlyA++;
    if (!pa && b[i]) onlyB++;
  });
  const num = (xs: readonly boolean[]) => xs.map((x) => (x ? 1 : 0));
  return { units: a.length, a: side(a), b: side(b), difference: pairedBootstrapCi(num(a), num(b), options), mcnemar: mcnemarExact(onlyA, onlyB) };
}
