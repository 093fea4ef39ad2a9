import { InputError } from "../core/errors.js";
import type { BenchmarkSpec } from "../core/task.js";
import { isBenchmarkName, loadBenchmark } from "../benchmarks/registry.js";
import { idKey, loadSamples, UnknownTaskError, type LoadedSamples } from "../judge/samples.js";

/** What `loadRunSamples` needs to know of the run. */
export interface SamplesSplitOptions {
  benchmark: string;
  split: string;
  dataDir?: string;
}

/**
 * Loads a run's samples; a task the chosen split lacks but the benchmark has (MBPP+'s
 * `Mbpp/2` under `--benchmark mbpp`, whose default split is test, 11–510) is named as such,
 * with the flag that scores it: `--split all`, or `--benchmark mbpp-plus` for MBPP+ samples.
 */
export async function loadRunSamples(samples: string, spec: BenchmarkSpec, opts: SamplesSplitOptions): Promise<LoadedSamples> {
  try {
    return await loadSamples(samples, spec);
  } catch (err) {
    if (!(err instanceof UnknownTaskError) || opts.split === "all" || !isBenchmarkName(opts.benchmark)) throw err;
    const all = await loadBenchmark(opts.benchmark, { split: "all", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
    const key = idKey(err.taskId);
    if (!all.tasks.some((t) => idKey(t.taskId) === key)) throw err;
    const plus = opts.benchmark === "mbpp" ? ", or --benchmark mbpp-plus if these are MBPP+ samples" : "";
    throw new InputError(
      `task_id: ${JSON.stringify(err.taskId)} is a task of ${opts.benchmark} outside the ${opts.split} split it is scored on; score the whole benchmark with --split all${plus}`,
      err.file,
      err.line,
    );
  }
}
