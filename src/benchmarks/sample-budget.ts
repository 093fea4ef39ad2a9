import { loadBenchmarkConfig } from "./benchmark-config.js";
import { isBenchmarkName } from "./registry.js";

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
