import { dirname, resolve } from "node:path";
import { z } from "zod";
import { searchSettingsSchema } from "../search/search-config.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";
import { modelConfigSchema, parseConfigText, readConfigFile, resolvePaths, runConfigSchema, sandboxSchema } from "./run-config.js";
import { tcgConfigSchema } from "./tcg-config.js";

/**
 * The config of `verdict selfplay` (YAML): o1-Coder's Algorithm 1 as rounds of phases — TCG
 * (optional), search, export, train, serve, evaluate. The run config's conventions hold
 * (`benchmark`, `data`, `out`, `sandbox`, models as in `verdict run`); one zod schema validates
 * the file, types it and is emitted as a JSON Schema (benchmarks/selfplay-config.schema.json,
 * `verdict schema selfplay-config`).
 */

const run = runConfigSchema.shape;
const tcgShape = tcgConfigSchema.shape;

/** The placeholders of the trainer's command template (also set as environment variables, upper-cased). */
export const TRAINER_PLACEHOLDERS = ["round", "data_dir", "checkpoint_in", "checkpoint_out", "log"] as const;

/** The placeholders of the restart server's command template. */
export const SERVE_PLACEHOLDERS = ["round", "checkpoint", "model", "log"] as const;

const searchSection = z
  .strictObject({
    split: z.string().min(1).default("train").describe("the split searched each round (the paper's data: MBPP train)"),
    limit: z.int().positive().optional().describe("only the first N tasks of the split"),
    prompt_tests: z.enum(["all", "first", "none"]).default("all").describe("which of a task's asserts the pseudocode prompt shows"),
    settings: searchSettingsSchema.omit({ tests: true }).default(searchSettingsSchema.omit({ tests: true }).parse({})).describe("the MCTS (see the search config); the tests are the round's (tcg section) or the benchmark's"),
  })
  .describe("the MCTS of each round, with the round's policy");

const exportSection = z
  .strictObject({
    formats: z
      .array(z.enum(["sft", "dpo", "prm", "openrlhf-prm"]))
      .min(1)
      .default(["sft", "dpo", "prm"])
      .describe("what each round's search is exported as, into <run>/round-N/export/ (the trainer's {data_dir})"),
    margin: z.number().positive().default(0.5).describe("dpo: least difference of value between chosen and rejected"),
    min_visits: z.int().positive().default(1).describe("dpo: least visits a step needs"),
    threshold: z.number().min(0).default(0.5).describe("prm: a step is labelled true at this value or above"),
  })
  .describe("training data written from each round's trees");

const trainerSection = z
  .strictObject({
    command: z
      .string()
      .min(1)
      .describe(
        "run once per round through the shell; {round} {data_dir} {checkpoint_in} {checkpoint_out} {log} are replaced, shell-quoted (so not inside quotes of your own), and set as ROUND DATA_DIR CHECKPOINT_IN CHECKPOINT_OUT LOG; exit 0 and a checkpoint at {checkpoint_out} mean success",
      ),
    timeout_s: z.number().positive().optional().describe("stop the trainer after this long (a failure)"),
    env: z.record(z.string(), z.string()).default({}).describe("extra environment variables"),
  })
  .describe("the external trainer (TRL, OpenRLHF or your own): policy update from the round's data");

const serveSection = z
  .discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("static").describe("the policy endpoint never changes (dry runs)") }),
    z.strictObject({
      mode: z.literal("restart").describe("start a server on each new checkpoint (full weights), stopping the previous one"),
      command: z.string().min(1).describe("server command through the shell; {checkpoint} {round} {model} {log} are replaced (e.g. `vllm serve {checkpoint} --served-model-name {model} --port 8001`)"),
      health_url: z.url().describe("answers 2xx once the server is ready (e.g. http://127.0.0.1:8001/v1/models)"),
      timeout_s: z.number().positive().default(600).describe("how long the server may take to become healthy"),
    }),
    z.strictObject({
      mode: z.literal("lora").describe("load each checkpoint as a LoRA adapter on the running policy server (vLLM --enable-lora, VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)"),
      name: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
        .default("selfplay")
        .describe("adapters are loaded as <name>-round-N and requested with model: <name>-round-N"),
    }),
  ])
  .default({ mode: "static" })
  .describe("how the next round's policy is served");

const tcgSection = z
  .strictObject({
    model: modelConfigSchema.describe("the test-case generator's endpoint"),
    settings: tcgShape.tcg,
    mutants: z.int().min(0).default(0).describe("mutants per reference for the TCG's kill rate (0: none)"),
    every_round: z.boolean().default(false).describe("false (the paper): the TCG runs in round 1 and its tests serve every round; true: it runs again each round"),
    tests: z.enum(["tcg", "benchmark+tcg"]).default("tcg").describe("the search's rewards: the generated tests alone, or with the benchmark's"),
  })
  .describe("test-case generation on the search tasks (omit it to reward on the benchmark's tests)");

const evaluateSection = z
  .strictObject({
    split: z.string().min(1).default("test").describe("the evaluation split"),
    limit: run.limit,
    styles: run.styles.default(["vanilla"]),
    max_tokens: run.max_tokens,
    prompt: run.prompt,
    pass1: run.pass1,
    aspr: run.aspr,
    ci: run.ci,
  })
  .describe("how every round's policy is evaluated (the run pipeline: Pass@1 and ASPR with intervals)");

export const selfplayConfigSchema = z.strictObject({
  $schema: run.$schema,
  benchmark: run.benchmark,
  data: run.data,
  out: run.out,
  rounds: z.int().positive().describe("training rounds after round 0 (round 0 evaluates the starting checkpoint)"),
  checkpoint: z.string().min(1).describe("the starting checkpoint (round 0's {checkpoint_in}); a path or a hub name, passed to templates as is"),
  policy: modelConfigSchema.describe("the policy's endpoint and served name (round 0's; serve changes it per round)"),
  tcg: tcgSection.optional(),
  search: searchSection.default(searchSection.parse({})),
  export: exportSection.default(exportSection.parse({})),
  trainer: trainerSection,
  serve: serveSection,
  evaluate: evaluateSection.default(evaluateSection.parse({})),
  sandbox: sandboxSchema.default({ isolation: "pool", timeout_s: DEFAULT_LIMITS.testSeconds as number, memory_mb: DEFAULT_LIMITS.memoryMb, hash_seed: 0 }),
}).superRefine((cfg, ctx) => {
  const e = cfg.evaluate;
  // The run config's own checks, where the evaluation section can break them.
  if (e.aspr.definition === "C" || e.aspr.definition === "D" || e.aspr.search_run !== undefined) {
    ctx.addIssue({ code: "custom", path: ["evaluate", "aspr", "definition"], message: "the evaluation samples ASPR (A or B); C and D of each round's search are in its search phase (round-N/search)" });
  }
  if (e.ci.method === "wilson" && e.pass1.n > 1) ctx.addIssue({ code: "custom", path: ["evaluate", "ci", "method"], message: "Wilson intervals assume one sample per task; with pass1.n > 1 use bootstrap (or auto)" });
  if (cfg.serve.mode !== "static" && cfg.policy.base_url === undefined) ctx.addIssue({ code: "custom", path: ["policy", "base_url"], message: `serve mode ${cfg.serve.mode} needs the policy server's base_url` });
  if (new Set(e.styles).size !== e.styles.length) ctx.addIssue({ code: "custom", path: ["evaluate", "styles"], message: "a style is listed twice" });
});

/** A validated selfplay config, defaults filled in. */
export type SelfplayConfig = z.infer<typeof selfplayConfigSchema>;

/** Reads, parses and validates a selfplay config; relative paths (data, out, checkpoint when it exists as a path) are taken from the file's folder. */
export async function loadSelfplayConfig(file: string): Promise<SelfplayConfig> {
  return parseSelfplayConfigText(await readConfigFile(file, "selfplay config"), file);
}

/** Parses and validates the text of a selfplay config (see loadSelfplayConfig). */
export function parseSelfplayConfigText(text: string, file: string): SelfplayConfig {
  const cfg = parseConfigText(selfplayConfigSchema, text, file, "selfplay config");
  const base = dirname(resolve(file));
  const { models, ...rest } = resolvePaths({ ...cfg, models: [cfg.policy, ...(cfg.tcg ? [cfg.tcg.model] : [])] }, base);
  const [policy, tcgModel] = models;
  // A relative checkpoint that names a file beside the config is a path; anything else (a hub name) is kept.
  const checkpoint = /^\.{1,2}\//.test(cfg.checkpoint) ? resolve(base, cfg.checkpoint) : cfg.checkpoint;
  return { ...rest, checkpoint, policy: policy ?? cfg.policy, ...(cfg.tcg && tcgModel ? { tcg: { ...cfg.tcg, model: tcgModel } } : {}) };
}

/** The JSON Schema of the selfplay config file, for editors. */
export function selfplayConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(selfplayConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { $schema: "https://json-schema.org/draft/2020-12/schema", title: "verdict selfplay config", ...schema };
}
