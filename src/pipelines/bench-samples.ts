import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BenchmarkSpec } from "../core/task.js";
import { localDataDir } from "../benchmarks/data.js";
import { loadSamples } from "../judge/samples.js";
import { judgeSamples } from "../runner/judge-samples.js";
import type { LocalJudgingSession } from "../session/session-options.js";

/**
 * The "samples" measure of `verdict bench`: a published model's MBPP+ generations (the
 * fidelity data) scored with the expected values cached and no verdict cache, against the floor
 * no harness can beat on these cores: the programs' own run time, summed over every test,
 * divided by the workers. Measured with the session's tail splitting (the default), and again
 * with it off in the same bench run, for the ratio it buys.
 */

/** Where the generations live, under the data directory. */
export const FIDELITY_SAMPLES = "fidelity/qwen2.5-coder-1.5b-base-mbppplus/generated.jsonl";
/** Wall time may be at most this multiple of the floor. */
export const SAMPLES_TARGET_RATIO = 1.05;

/** One repeat of the measure. */
export interface SamplesRun {
  /** Wall time to judge every sample (in the sandbox, judged on the host). */
  seconds: number;
  /** Sum of every test's run time as the runner measured it (wall clock inside the job). */
  program_seconds: number;
  /** program_seconds / workers: what a perfect harness would take on these cores. */
  floor_seconds: number;
  /** seconds / floor_seconds. */
  ratio: number;
  passed: number;
  /** Tail splitting in this repeat: cuts made, and samples run again whole. */
  cuts: number;
  whole_again: number;
}

/** The measure's figures: each repeat, and the one with the median ratio. */
export interface SamplesMeasure {
  samples: string;
  count: number;
  workers: number;
  runs: SamplesRun[];
  median: SamplesRun;
  target_ratio: number;
  met: boolean;
}

/** The fidelity generations under the local data directory, or undefined when there are none. */
export function fidelitySamplesPath(dataDir?: string): string | undefined {
  const dir = localDataDir(dataDir)?.dir;
  const path = dir === undefined ? undefined : join(dir, FIDELITY_SAMPLES);
  return path !== undefined && existsSync(path) ? path : undefined;
}

/** Scores `samplesPath` against MBPP+ in the session `repeat` times (open it with no memo and no verdict cache). */
export async function measureSamples(spec: BenchmarkSpec, session: LocalJudgingSession, samplesPath: string, repeat: number, log: (line: string) => void): Promise<SamplesMeasure> {
  const { samples } = await loadSamples(samplesPath, spec);
  const workers = session.sandbox.workers;
  const runs: SamplesRun[] = [];
  for (let r = 0; r < repeat; r++) {
    log(`bench: scoring ${samples.length} MBPP+ samples of a published model, no verdict cache (${r + 1}/${repeat})`);
    const t0 = Date.now();
    const before = session.splitStats();
    // Longest first by the best estimate, as `verdict eval` schedules them: a repeat knows what the samples took before.
    const verdicts = await judgeSamples(session.costs.order(samples), (s) => session.judgeSample(s), { concurrency: workers * 2, progress: false });
    const seconds = (Date.now() - t0) / 1000;
    const programSeconds = verdicts.reduce((sum, v) => sum + v.tests.reduce((s, t) => s + (t.seconds ?? 0), 0), 0);
    const floor = programSeconds / workers;
    runs.push({
      seconds,
      program_seconds: programSeconds,
      floor_seconds: floor,
      ratio: seconds / floor,
      passed: verdicts.filter((v) => v.status === "pass").length,
      cuts: session.splitStats().cuts - before.cuts,
      whole_again: session.splitStats().wholeAgain - before.wholeAgain,
    });
  }
  const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor((runs.length - 1) / 2)] as SamplesRun;
  return {
    samples: samplesPath,
    count: samples.length,
    workers,
    runs,
    median,
    target_ratio: SAMPLES_TARGET_RATIO,
    met: median.ratio <= SAMPLES_TARGET_RATIO,
  };
}
