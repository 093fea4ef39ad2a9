import { InputError } from "../core/errors.js";
import type { BenchmarkSpec } from "../core/task.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { createOpenAICompatibleProvider } from "../models/openai-compatible.js";
import type { Provider } from "../models/provider.js";
import { createReplayProvider, withRecorder } from "../models/replay.js";
import { withCache } from "../models/response-cache.js";
import type { SamplingSettings } from "./generate.js";
import { configSplit, type ModelConfig, type RunConfig, type SamplingConfig } from "./run-config.js";

/** Loads the benchmark the config names, cut to its first `limit` tasks. */
export async function loadConfiguredBenchmark(cfg: Pick<RunConfig, "benchmark" | "split" | "data" | "limit">): Promise<BenchmarkSpec> {
  const spec = await loadBenchmark(cfg.benchmark, { split: configSplit(cfg), ...(cfg.data !== undefined ? { dataDir: cfg.data } : {}) });
  return cfg.limit !== undefined ? { ...spec, tasks: spec.tasks.slice(0, cfg.limit) } : spec;
}

/** The provider a model entry describes: a server or a recording behind the response cache, optionally recorded. */
export function providerFor(m: ModelConfig, cache: { enabled: boolean; dir?: string }): Provider {
  let provider: Provider;
  if (m.replay !== undefined) provider = createReplayProvider(m.replay);
  else if (m.base_url !== undefined) {
    provider = createOpenAICompatibleProvider({
      baseUrl: m.base_url,
      model: m.model,
      api: m.api,
      concurrency: m.concurrency,
      timeoutMs: m.timeout_s * 1000,
      retries: m.retries,
      ...(m.api_key_env !== undefined ? { apiKeyEnv: m.api_key_env } : {}),
    });
  } else throw new InputError(`model ${m.name}: neither base_url nor replay is set`);
  const cached = withCache(provider, { enabled: cache.enabled, ...(cache.dir !== undefined ? { dir: cache.dir } : {}) });
  // Outside the cache, so a recording holds every answer the run used, cached or not.
  return m.record !== undefined ? withRecorder(cached, m.record) : cached;
}

/** The sampling settings of a config section, max_tokens filled in. */
export function samplingOf(section: SamplingConfig, maxTokens: number): SamplingSettings {
  return {
    temperature: section.temperature,
    top_p: section.top_p,
    ...(section.top_k !== undefined ? { top_k: section.top_k } : {}),
    ...(section.repetition_penalty !== undefined ? { repetition_penalty: section.repetition_penalty } : {}),
    max_tokens: section.max_tokens ?? maxTokens,
    seed: section.seed,
  };
}
