import { loadBenchmarkConfig } from "../benchmarks/benchmark-config.js";
import { isBenchmarkName } from "../benchmarks/registry.js";
import type { JobLimits } from "../core/job.js";

/**
 * Default per-job limits for candidate programs, enforced by the runner from outside the job.
 * Time limits are CPU time of all the job's processes, with a wall-clock backstop of 3×.
 */
export const DEFAULT_LIMITS: JobLimits = {
  testSeconds: 4,
  loadSeconds: 10,
  memoryMb: 4096,
  outputBytes: 8 * 1024 * 1024,
  valueBytes: 16 * 1024 * 1024,
};

/** Limits for trusted reference runs (expected values): generous, since the reference is trusted. */
export const REFERENCE_LIMITS: JobLimits = {
  testSeconds: 120,
  loadSeconds: 60,
  memoryMb: 12 * 1024,
  outputBytes: 64 * 1024 * 1024,
  // Must equal the candidates' limit: above it both sides send a digest instead of the value.
  valueBytes: DEFAULT_LIMITS.valueBytes,
};

/** Room the runner itself needs in a container on top of one job's memory limit. */
export const RUNNER_HEADROOM_MB = 256;

/** `--sample-budget` / `sandbox.sample_budget_s`: a cap in CPU seconds, "off", or unset (the benchmark's own). */
export type SampleBudgetSetting = number | "off" | undefined;

/**
 * The per-sample budget cap (JobLimits.sampleSeconds) a run uses: the setting when one is
 * given, else the benchmark definition's `sample_budget_seconds` (MBPP+: EvalPlus's 60 s);
 * undefined means no per-sample budget.
 */
export async function resolveSampleBudget(benchmark: string, setting: SampleBudgetSetting): Promise<number | undefined> {
  if (setting === "off") return undefined;
  if (setting !== undefined) return setting;
  if (!isBenchmarkName(benchmark)) return undefined;
  return (await loadBenchmarkConfig(benchmark)).sample_budget_seconds;
}
