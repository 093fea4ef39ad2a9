import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { searchSettingsSchema } from "../search/search-config.js";
import { modelConfigSchema, parseConfigText, uniqueModelNames, readConfigFile, resolvePaths, runConfigSchema, sandboxSchema } from "./run-config.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";

/**
 * The config of `verdict search` (YAML): the run config's `benchmark`, `split`, `limit`,
 * `data`, `out`, `models` and `sandbox`, plus the `search` section (src/search/search-config.ts:
 * rollouts, depth, candidates, selection, reward, tests, sampling, seed, schedule) and the
 * best-of-N baseline's budget unit. One zod schema validates the file, types it and is emitted
 * as a JSON Schema (benchmarks/search-config.schema.json, `verdict schema search-config`).
 */

const run = runConfigSchema.shape;

export const searchConfigSchema = z
  .strictObject({
    $schema: run.$schema,
    benchmark: run.benchmark,
    split: run.split,
    limit: run.limit,
    data: run.data,
    out: run.out,
    models: z.array(modelConfigSchema).min(1).describe("the policy models; each searches every task into a folder of the run named after it"),
    prompt: z
      .strictObject({ tests: z.enum(["all", "first", "none"]).default("all").describe("which of a task's asserts the pseudocode prompt shows") })
      .default({ tests: "all" })
      .describe("the pseudocode prompt (the paper's three actions, its worked example, the task)"),
    sandbox: sandboxSchema.default({ isolation: "pool", timeout_s: DEFAULT_LIMITS.testSeconds as number, memory_mb: DEFAULT_LIMITS.memoryMb, hash_seed: 0 }),
    search: searchSettingsSchema.default(searchSettingsSchema.parse({})).describe("the MCTS: rollouts, depth, candidates, selection, rewards, sampling, seed"),
    baseline: z
      .strictObject({
        unit: z
          .enum(["calls", "tokens"])
          .default("calls")
          .describe("what `--baseline best-of-n` matches per task: the search's model calls, or its completion tokens"),
      })
      .default({ unit: "calls" }),
    ci: z
      .strictObject({ resamples: z.int().positive().default(10_000), seed: z.int().default(0) })
      .default({ resamples: 10_000, seed: 0 })
      .describe("the paired bootstrap of the MCTS vs best-of-N comparison"),
  })
  .superRefine((cfg, ctx) => {
    uniqueModelNames(cfg, ctx);
  });

/** A validated search config, defaults filled in. */
export type SearchConfig = z.infer<typeof searchConfigSchema>;

/** Reads, parses and validates a search config; relative paths (data, out, replay, record, tcg:DIR) are taken from the file's folder. */
export async function loadSearchConfig(file: string): Promise<SearchConfig> {
  return parseSearchConfigText(await readConfigFile(file, "search config"), file);
}

/** Parses and validates the text of a search config (see loadSearchConfig). */
export function parseSearchConfigText(text: string, file: string): SearchConfig {
  return resolveSearchPaths(parseConfigText(searchConfigSchema, text, file, "search config"), dirname(resolve(file)));
}

/** Makes a search config's relative paths absolute against `base`. */
export function resolveSearchPaths(cfg: SearchConfig, base: string): SearchConfig {
  const resolved = resolvePaths(cfg, base);
  const tcg = /^(benchmark\+)?tcg:(.+)$/.exec(cfg.search.tests);
  return tcg === null ? resolved : { ...resolved, search: { ...resolved.search, tests: `${tcg[1] ?? ""}tcg:${isAbsolute(tcg[2] ?? "") ? tcg[2] : resolve(base, tcg[2] ?? "")}` } };
}

/** The split a search runs on: its own, else the benchmark's usual one. */
export function searchSplit(cfg: Pick<SearchConfig, "split" | "benchmark">): string {
  return cfg.split ?? (cfg.benchmark === "mbpp" ? "test" : "all");
}

/** The JSON Schema of the search config file, for editors. */
export function searchConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(searchConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { $schema: "https://json-schema.org/draft/2020-12/schema", title: "verdict search config", ...schema };
}
