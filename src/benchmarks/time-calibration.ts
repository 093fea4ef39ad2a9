import type { TaskSpec } from "../core/task.js";

/**
 * Per-test time limits calibrated on the reference solution, as EvalPlus sets them:
 * max(floor, factor × the reference's time on the test). The run's own `--timeout` is a
 * further floor, applied when a job is built, so a benchmark's minimum only matters when it
 * is higher. Benchmark tests (src/runner/ground-truth.ts) and generated tests validated on the
 * reference (src/tcg/validation.ts) are calibrated by this one rule.
 */

/** A benchmark's calibration: the factor on the reference's time and its own floor. */
export type TimeCalibration = NonNullable<TaskSpec["timeCalibration"]>;

/** For benchmarks without their own: 4 × the reference time (EvalPlus's factor), no floor of their own. */
export const DEFAULT_CALIBRATION: TimeCalibration = { factor: 4, minSeconds: 0 };

/** The calibrated limit for a test the reference took `refSeconds` on (undefined when that time is unknown). */
export function calibratedSeconds(calibration: TimeCalibration | undefined, refSeconds: number | undefined): number | undefined {
  if (refSeconds === undefined) return undefined;
  const cal = calibration ?? DEFAULT_CALIBRATION;
  return Math.max(cal.minSeconds, cal.factor * refSeconds);
}
