import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { DEFAULT_MAX_CASE_CHARS, DEFAULT_TCG_CASES } from "../prompts/tcg.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";
import { DEFAULT_MAX_MUTANTS } from "../tcg/mutants.js";
import { modelConfigSchema, parseConfigText, uniqueModelNames, readConfigFile, resolvePaths, sandboxSchema } from "./run-config.js";

/**
 * The config of `verdict tcg` (YAML), in the run config's conventions: one zod schema validates
 * the file, gives the typed config and is emitted as a JSON Schema for editors
 * (benchmarks/tcg-config.schema.json, `verdict schema tcg-config`). `benchmark`, `split`,
 * `limit`, `data`, `out`, `models` and `sandbox` read as in `verdict run`.
 */

const tcgSettingsSchema = z
  .strictObject({
    requests: z.int().positive().default(1).describe("N: requests per task (request i is sent with seed + i)"),
    cases: z.int().positive().default(DEFAULT_TCG_CASES).describe("K: test cases asked for per request (the prompt's \"Generate K test cases\")"),
    max_case_chars: z.int().positive().default(DEFAULT_MAX_CASE_CHARS).describe("longest case block kept, fences included (the paper's 100); longer cases are too_long, never parsed"),
    temperature: z.number().min(0).default(0.8).describe("sampling temperature"),
    top_p: z.number().gt(0).max(1).default(0.95).describe("nucleus sampling mass"),
    top_k: z.int().optional().describe("vLLM / SGLang top_k, sent as is"),
    repetition_penalty: z.number().positive().optional().describe("vLLM / SGLang repetition_penalty, sent as is"),
    max_tokens: z.int().positive().default(512).describe("tokens per answer"),
    seed: z.int().min(0).default(0).describe("seed of request 0 of every task; request i uses seed + i"),
    format_hint: z.boolean().default(false).describe("describe the case format in the completion prompt (an untuned model needs it; the chat form always has it)"),
  })
  .describe("how test cases are asked for (o1-Coder's TCG prompt)");

const qualitySchema = z
  .strictObject({
    correct: z.array(z.string().min(1)).default([]).describe("run directories whose passing samples are known-correct programs (TPR); --correct adds to these"),
    wrong: z.array(z.string().min(1)).default([]).describe("run directories whose failing samples are wrong programs (kill rate); --wrong adds to these"),
    mutants: z.int().min(0).default(DEFAULT_MAX_MUTANTS).describe("mutants of each reference for the kill rate (0: none); those passing every benchmark test are left out as equivalent"),
    mutant_seed: z.int().min(0).default(0).describe("seed of the mutant choice"),
  })
  .describe("the programs that measure the generated tests: TPR over correct ones, kill rate over wrong ones");

const exportSchema = z
  .strictObject({
    seed: z.int().default(0).describe("seed of the DPO negatives' shuffled outputs"),
  })
  .describe("TRL SFT and DPO exports written into <run>/exports at the end of the run");

const TCG_DEFAULTS = tcgSettingsSchema.parse({});
const QUALITY_DEFAULTS = qualitySchema.parse({});

export const tcgConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe("path of this file's JSON Schema, for editors"),
    benchmark: z.string().min(1).default("mbpp").describe("mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema"),
    split: z.string().min(1).optional().describe("default: test for mbpp, all otherwise (the paper's TCG data: MBPP's train split)"),
    limit: z.int().positive().optional().describe("only the first N tasks of the split"),
    data: z.string().min(1).optional().describe("data directory (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)"),
    out: z.string().min(1).default("results").describe("where run directories go"),
    models: z.array(modelConfigSchema).min(1).describe("the test-case generators; each is measured on its own"),
    tcg: tcgSettingsSchema.default(TCG_DEFAULTS),
    quality: qualitySchema.default(QUALITY_DEFAULTS),
    export: exportSchema.default({ seed: 0 }),
    sandbox: sandboxSchema.default({ isolation: "pool", timeout_s: DEFAULT_LIMITS.testSeconds as number, memory_mb: DEFAULT_LIMITS.memoryMb, hash_seed: 0 }),
  })
  .superRefine((cfg, ctx) => {
    uniqueModelNames(cfg, ctx);
  });

/** A validated `verdict tcg` config, defaults filled in. */
export type TcgConfig = z.infer<typeof tcgConfigSchema>;

/** The `tcg` section. */
export type TcgSettings = TcgConfig["tcg"];

/** Reads, parses and validates a `verdict tcg` config; relative paths are taken from the file's folder. */
export async function loadTcgConfig(file: string): Promise<TcgConfig> {
  return parseTcgConfigText(await readConfigFile(file, "tcg config"), file);
}

/** Parses and validates the text of a `verdict tcg` config (see loadTcgConfig). */
export function parseTcgConfigText(text: string, file: string): TcgConfig {
  const cfg = parseConfigText(tcgConfigSchema, text, file, "tcg config");
  return resolveTcgPaths(cfg, dirname(resolve(file)));
}

/** Makes the config's relative paths absolute against `base` (the run config's, plus the quality run directories). */
export function resolveTcgPaths(cfg: TcgConfig, base: string): TcgConfig {
  const resolved = resolvePaths(cfg, base);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  return { ...resolved, quality: { ...cfg.quality, correct: cfg.quality.correct.map(abs), wrong: cfg.quality.wrong.map(abs) } };
}

/** The JSON Schema of the `verdict tcg` config, for editors. */
export function tcgConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(tcgConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { $schema: "https://json-schema.org/draft/2020-12/schema", title: "verdict tcg config", ...schema };
}
