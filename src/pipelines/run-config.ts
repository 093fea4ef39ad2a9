import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { ISOLATION_MODES } from "../core/sandbox.js";
import { PROMPT_STYLE_NAMES } from "../prompts/prompt-style.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";
import { PLACEMENT_CONFIG_FIELDS } from "../session/sandbox-placement.js";
import { resolveTestsSourceText, testsSourceSchema } from "./tests-source.js";

/**
 * The config of `verdict run` and `verdict table1` (YAML): which benchmark, which policy
 * models, which prompt styles, and how Pass@1 and ASPR are sampled. One zod schema is the
 * single source of truth: it validates the file, gives the typed config, and is emitted as a
 * JSON Schema for editors (benchmarks/run-config.schema.json, `verdict schema run-config`).
 */

/** Sampling fields shared by the Pass@1 and ASPR sections. */
const samplingFields = {
  temperature: z.number().min(0).describe("sampling temperature (0: greedy)"),
  top_p: z.number().gt(0).max(1).default(1).describe("nucleus sampling mass"),
  top_k: z.int().optional().describe("vLLM / SGLang top_k, sent as is (-1 or unset: off)"),
  repetition_penalty: z.number().positive().optional().describe("vLLM / SGLang repetition_penalty, sent as is"),
  max_tokens: z.int().positive().optional().describe("tokens per answer (per step for pseudocode); default: the top-level max_tokens"),
  seed: z.int().min(0).default(0).describe("first sampling seed; sample i of a task uses seed + i, so identical requests never collapse in the response cache"),
};

const paperFigureSchema = z.strictObject({
  pass1: z.number().min(0).max(100).describe("Pass@1 in percent, as the paper prints it"),
  aspr: z.number().min(0).max(100).describe("ASPR in percent, as the paper prints it"),
});

export const modelConfigSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only (it names a folder of the run)")
      .describe("the row label, and the folder of this model's results"),
    base_url: z.url().optional().describe("API root of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"),
    model: z.string().min(1).describe("the model name the server serves (vLLM: --served-model-name or the checkpoint path)"),
    api: z.enum(["completions", "chat"]).default("completions").describe("completions for base models, chat for instruct models"),
    api_key_env: z.string().min(1).optional().describe("environment variable holding the API key (no key sent when unset)"),
    concurrency: z.int().positive().default(8).describe("requests in flight at once"),
    max_n: z
      .int()
      .positive()
      .optional()
      .describe("most samples one request may ask for (n); 1 for servers without n (Ollama, TGI, llama.cpp): verdict then sends one request per sample"),
    timeout_s: z.number().positive().default(300).describe("per-request limit in seconds"),
    retries: z.int().min(0).default(4).describe("retries after the first attempt (429, 5xx, resets, timeouts)"),
    replay: z.string().min(1).optional().describe("answer from this recording (JSONL of {request, response}) instead of a server"),
    record: z.string().min(1).optional().describe("append every answered request to this recording"),
    paper: z
      .strictObject({ vanilla: paperFigureSchema, pseudocode: paperFigureSchema })
      .optional()
      .describe("the paper's figures for this model, printed beside ours"),
  })
  .refine((m) => m.base_url !== undefined || m.replay !== undefined, {
    message: "give base_url (a server) or replay (a recording)",
    path: ["base_url"],
  });

/** One policy model in a run. */
export type ModelConfig = z.infer<typeof modelConfigSchema>;

export const promptStyleSchema = z.enum(PROMPT_STYLE_NAMES);

/** A prompt style (src/prompts/). */
export type PromptStyle = z.infer<typeof promptStyleSchema>;

const pass1Schema = z
  .strictObject({
    ...samplingFields,
    temperature: samplingFields.temperature.default(0),
    n: z.int().positive().default(1).describe("samples per task; Pass@1 is the unbiased estimate over them"),
  })
  .describe("how the Pass@1 samples are drawn");

const asprSchema = z
  .strictObject({
    ...samplingFields,
    temperature: samplingFields.temperature.default(0.8),
    top_p: samplingFields.top_p.default(0.95),
    definition: z
      .enum(["A", "B", "C", "D"], {
        error: () => "expected A or B (from sampled paths), or C or D (from the trees of aspr.search_run)",
      })
      .default("A")
      .describe(
        "A: fraction of final steps sampled on correct paths that pass all tests; B: their mean fraction of tests passed; C: mean value of the step before the code step on the correct paths of a search run's trees; D: fraction of tasks whose search reached a correct terminal",
      ),
    search_run: z
      .string()
      .min(1)
      .optional()
      .describe("definitions C and D: a `verdict search` run directory of the same benchmark and split whose models have the names of this config's; no ASPR samples are drawn"),
    paths: z.int().positive().default(4).describe("P: reasoning paths sampled per task"),
    finals: z.int().positive().default(4).describe("M: final (code) steps sampled from each path's prefix"),
  })
  .describe("how ASPR is sampled (see REFERENCE.md: definitions A-D)");

const promptSchema = z
  .strictObject({
    shots: z
      .union([z.literal(0), z.literal(3)])
      .default(3)
      .describe("vanilla: 0-shot, or MBPP's standard 3-shot (tasks 2, 3, 4)"),
    tests: z.enum(["all", "first", "none"]).default("all").describe("which of a task's asserts the prompt shows"),
    max_steps: z.int().positive().default(5).describe("pseudocode: steps before a path that wrote no code is given up"),
  })
  .describe("prompt settings shared by every model");

/** The `sandbox` section; `verdict eval`'s and `verdict soak`'s flags parse through its fields too. */
export const sandboxSchema = z
  .strictObject({
    workers: z.int().positive().optional().describe("sandboxes at once (default: cores)"),
    isolation: z.enum(ISOLATION_MODES).default("pool"),
    timeout_s: z.number().positive().default(DEFAULT_LIMITS.testSeconds as number).describe("time limit per test, CPU seconds (wall-clock backstop 3x)"),
    memory_mb: z.int().positive().default(DEFAULT_LIMITS.memoryMb).describe("memory limit per job"),
    sample_budget_s: z
      .union([z.number().positive(), z.literal("off")])
      .optional()
      .describe(
        "per-sample CPU budget as EvalPlus's: min(this, the sum of the tests' limits) + 1 s for the whole sample; \"off\": none; default: the benchmark's (60 for mbpp-plus, else off)",
      ),
    hash_seed: z.int().min(0).default(0).describe("PYTHONHASHSEED of every sandboxed process"),
    ...PLACEMENT_CONFIG_FIELDS,
  })
  .describe("where and how samples are judged");

const ciSchema = z
  .strictObject({
    method: z
      .enum(["auto", "wilson", "bootstrap"])
      .default("auto")
      .describe("auto: Wilson for Pass@1 with one sample per task, bootstrap over tasks otherwise (ASPR always bootstraps)"),
    resamples: z.int().positive().default(10_000),
    seed: z.int().default(0),
  })
  .describe("95% confidence intervals");

/** Refuses two models of one config with the same name: rows, directories and caches are keyed by it. */
export function uniqueModelNames(cfg: { models: readonly { name: string }[] }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  cfg.models.forEach((m, i) => {
    const first = seen.get(m.name);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["models", i, "name"], message: `"${m.name}" is already the name of models[${first}]` });
    else seen.set(m.name, i);
  });
}

export const runConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe("path of this file's JSON Schema, for editors"),
    benchmark: z.string().min(1).default("mbpp").describe("mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema"),
    split: z.string().min(1).optional().describe("default: test for mbpp, all otherwise"),
    limit: z.int().positive().optional().describe("only the first N tasks of the split"),
    data: z.string().min(1).optional().describe("data directory (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)"),
    out: z.string().min(1).default("results").describe("where run directories go"),
    models: z.array(modelConfigSchema).min(1).describe("the policy models, one table row each"),
    styles: z.array(promptStyleSchema).min(1).default(["vanilla", "pseudocode"]).describe("prompt styles to compare"),
    max_tokens: z.int().positive().default(512).describe("tokens per answer (per step for pseudocode)"),
    prompt: promptSchema.default({ shots: 3, tests: "all", max_steps: 5 }),
    pass1: pass1Schema.default({ temperature: 0, top_p: 1, seed: 0, n: 1 }),
    aspr: asprSchema.default({ temperature: 0.8, top_p: 0.95, seed: 0, definition: "A", paths: 4, finals: 4 }),
    sandbox: sandboxSchema.default({ isolation: "pool", timeout_s: DEFAULT_LIMITS.testSeconds as number, memory_mb: DEFAULT_LIMITS.memoryMb, hash_seed: 0 }),
    ci: ciSchema.default({ method: "auto", resamples: 10_000, seed: 0 }),
    tests: testsSourceSchema.optional().describe("which tests judge the samples (default benchmark): the benchmark's, the valid tests of a `verdict tcg` run (tcg:RUN_DIR, relative to this file), or both (benchmark+tcg:RUN_DIR)"),
  })
  .superRefine((cfg, ctx) => {
    uniqueModelNames(cfg, ctx);
    if (new Set(cfg.styles).size !== cfg.styles.length) ctx.addIssue({ code: "custom", path: ["styles"], message: "a style is listed twice" });
    const fromSearch = cfg.aspr.definition === "C" || cfg.aspr.definition === "D";
    if (fromSearch && cfg.aspr.search_run === undefined) {
      ctx.addIssue({ code: "custom", path: ["aspr", "search_run"], message: `ASPR definition ${cfg.aspr.definition} is read from a search run's trees: give aspr.search_run (a \`verdict search\` run directory)` });
    }
    if (!fromSearch && cfg.aspr.search_run !== undefined) {
      ctx.addIssue({ code: "custom", path: ["aspr", "search_run"], message: "read only by ASPR definitions C and D (set aspr.definition)" });
    }
    if (cfg.ci.method === "wilson" && cfg.pass1.n > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["ci", "method"],
        message: "Wilson intervals assume one sample per task; with pass1.n > 1 use bootstrap (or auto)",
      });
    }
  });

/** A validated run config, defaults filled in. */
export type RunConfig = z.infer<typeof runConfigSchema>;

/** The sampling settings of one section (pass1 or aspr). */
export type SamplingConfig = RunConfig["pass1"] | RunConfig["aspr"];

/**
 * Validates a parsed config. Errors name the field (`models[1].base_url`) and, when the YAML
 * source is given, its line.
 */
export function parseRunConfig(raw: unknown, file: string, source?: YamlSource): RunConfig {
  return parseConfig(runConfigSchema, raw, file, "run config", source);
}

/** Where a parsed YAML value came from: the line of a field, by its path. */
export interface YamlSource {
  lineOf(path: (string | number)[]): number | undefined;
}

/**
 * Validates a parsed config against its schema (the run config's, `verdict tcg`'s, ...). Every
 * issue names its field and, when the YAML source is given, its line: an InputError.
 */
export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, file: string, what: string, source?: YamlSource): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    // An unknown key is named as the field it is, so a typo reads as `pass1.temprature: unknown field`.
    const fields = issue.code === "unrecognized_keys" ? issue.keys.map((k) => ({ path: [...path, k], message: "unknown field" })) : [{ path, message: issue.message }];
    return fields.map((f) => {
      const line = source?.lineOf(f.path);
      return `${fieldName(f.path)}${line !== undefined ? ` (line ${line})` : ""}: ${f.message}`;
    });
  });
  throw new InputError(`invalid ${what}: ${lines.join("; ")}`, file);
}

/** `models[0].base_url` for ["models", 0, "base_url"]. */
export function fieldName(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * Reads, parses and validates a run config file. Relative paths in it (data, out, replay,
 * record) are taken relative to the file's folder, so a config works from any directory.
 */
export async function loadRunConfig(file: string): Promise<RunConfig> {
  return parseRunConfigText(await readConfigFile(file, "run config"), file);
}

/** Parses and validates the text of a run config (see loadRunConfig). */
export function parseRunConfigText(text: string, file: string): RunConfig {
  const cfg = parseConfigText(runConfigSchema, text, file, "run config");
  const base = dirname(resolve(file));
  // A TCG run of `tests` and ASPR C and D's search run are relative to the file too.
  const resolved = { ...resolvePaths(cfg, base), ...(cfg.tests !== undefined ? { tests: resolveTestsSourceText(cfg.tests, base) } : {}) };
  return cfg.aspr.search_run === undefined ? resolved : { ...resolved, aspr: { ...resolved.aspr, search_run: resolve(base, cfg.aspr.search_run) } };
}

/** Reads a YAML config file's text; a file that cannot be read is an InputError naming it. */
export async function readConfigFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${what}: ${(err as Error).message}`, file);
  }
}

/** Parses YAML text and validates it against a config schema; errors name the field and its line (parseConfig). */
export function parseConfigText<T>(schema: z.ZodType<T>, text: string, file: string, what: string): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line;
    throw new InputError(`not valid YAML${line !== undefined ? ` (line ${line})` : ""}: ${(yamlError.message.split("\n")[0] ?? "").replace(/\s+at line \d+, column \d+:?$/, "")}`, file);
  }
  const lineOf = (path: (string | number)[]): number | undefined => {
    // The deepest node that exists: a missing field is reported at its parent.
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (node && typeof node === "object" && "range" in node && Array.isArray(node.range)) {
        const start = node.range[0];
        if (typeof start === "number") return lineCounter.linePos(start).line;
      }
      if (n > 0 && !(isMap(doc.contents) || isSeq(doc.contents))) break;
    }
    return undefined;
  };
  return parseConfig(schema, doc.toJS() ?? {}, file, what, { lineOf });
}

/** Makes the config's relative paths (benchmark, out, data, the models' recordings) absolute against `base`. */
export function resolvePaths<C extends Pick<RunConfig, "benchmark" | "out" | "data" | "models">>(cfg: C, base: string): C {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  // A built-in benchmark name is not a path; anything that looks like a file is.
  const benchmark = /[/\\]|\.jsonl$/.test(cfg.benchmark) ? abs(cfg.benchmark) : cfg.benchmark;
  return {
    ...cfg,
    benchmark,
    out: abs(cfg.out),
    ...(cfg.data !== undefined ? { data: abs(cfg.data) } : {}),
    models: cfg.models.map((m) => ({
      ...m,
      ...(m.replay !== undefined ? { replay: abs(m.replay) } : {}),
      ...(m.record !== undefined ? { record: abs(m.record) } : {}),
    })),
  };
}

/** The split a config runs on: its own, else the benchmark's usual one. */
export function configSplit(cfg: Pick<RunConfig, "benchmark" | "split">): string {
  return cfg.split ?? (cfg.benchmark === "mbpp" ? "test" : "all");
}

/** The JSON Schema of the config file, for editors (YAML language servers read `$schema` or a modeline). */
export function runConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "verdict run / table1 config",
    ...schema,
  };
}
