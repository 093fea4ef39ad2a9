import type { LocalJudgingSession } from "../session/session-options.js";

/**
 * The "expected values" measure of `verdict bench`: MBPP+'s expected values computed afresh
 * (the cached ones are kept: see resolveBenchmark), against the floor no harness can beat on
 * these cores: the reference tests' own run time, summed, divided by the workers. The wall
 * time counts everything computing them takes (the reference pool's start, the assert
 * decomposition, every reference job).
 */

/** Wall time may be at most this multiple of the floor. */
export const EXPECTED_VALUES_TARGET_RATIO = 1.2;

/** One repeat of the measure. */
export interface ExpectedValuesRun {
  /** Wall seconds computing the expected values took. */
  seconds: number;
  /** The reference tests' own run time, summed, as the runner measured each. */
  run_seconds: number;
  /** run_seconds / workers. */
  floor_seconds: number;
  /** seconds / floor_seconds. */
  ratio: number;
}

/** The measure's figures: each repeat, and the one with the median ratio. */
export interface ExpectedValuesMeasure {
  workers: number;
  runs: ExpectedValuesRun[];
  median: ExpectedValuesRun;
  target_ratio: number;
  met: boolean;
}

/** Computes the expected values `repeat` times, each in a session `open` opens with the expected-value cache off. */
export async function measureExpectedValues(open: () => Promise<LocalJudgingSession>, workers: number, repeat: number, log: (line: string) => void): Promise<ExpectedValuesMeasure> {
  const runs: ExpectedValuesRun[] = [];
  for (let r = 0; r < repeat; r++) {
    log(`bench: computing MBPP+'s expected values afresh (${r + 1}/${repeat})`);
    const session = await open();
    try {
      const { refSeconds, refRunSeconds, cached } = session.groundTruth;
      if (cached) throw new Error("internal: the expected values came from the cache");
      const floor = refRunSeconds / workers;
      runs.push({ seconds: refSeconds, run_seconds: refRunSeconds, floor_seconds: floor, ratio: refSeconds / floor });
    } finally {
      await session.close();
    }
  }
  const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor((runs.length - 1) / 2)] as ExpectedValuesRun;
  return { workers, runs, median, target_ratio: EXPECTED_VALUES_TARGET_RATIO, met: median.ratio <= EXPECTED_VALUES_TARGET_RATIO };
}
