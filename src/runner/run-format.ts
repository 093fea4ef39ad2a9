/**
 * The run directory's format (results/<run-id>/): its file names, the key of a sample, and a zod
 * schema for every file in it — manifest.json, summary.json, verdicts.jsonl, samples.jsonl and
 * generations.jsonl. The results store writes through these, and every reader (the report,
 * `compare`, `runs`, a resume) validates through them, so there is one definition of each file.
 * Schemas are loose objects: files written by a newer verdict with extra fields stay readable.
 * Each is checked against its type in src/core (`satisfies`), so the two cannot drift apart.
 */
import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import { OUTCOMES } from "../core/outcome.js";
import { MISSING_POLICIES, REFERENCE_FAILURE_HANDLINGS, type ManifestLimits, type RunManifest, type RunSummary } from "../core/run.js";
import { ISOLATION_MODES } from "../core/sandbox.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { PROMPT_STYLE_NAMES } from "../prompts/prompt-style.js";

/** The file names inside a run directory. */
export const RUN_FILES = {
  manifest: "manifest.json",
  summary: "summary.json",
  verdicts: "verdicts.jsonl",
  /** One line per judged sample: its program and the start of its stdout/stderr (the last line for a sample wins). */
  samples: "samples.jsonl",
  /** The generated samples of a `verdict run` cell (raw answers, steps, sampling, usage): a samples file `verdict eval` reads. */
  generations: "generations.jsonl",
  /** The `verdict eval` options, so `--resume <dir>` alone continues the run. */
  evalOptions: "eval-options.json",
  /** Held by the one process writing the run; a killed process leaves it, and a resume takes it over. */
  lock: "run.lock",
} as const;

/** The key that identifies a sample across runs, resumes and files: `task_id#sample_index`. */
export function sampleKey(taskId: string, sampleIndex: number): string {
  return `${taskId}#${sampleIndex}`;
}

const outcome = z.enum(OUTCOMES);

/** A job's limits as stored (eval-options.json, and the manifest's limits). */
export const jobLimitsSchema = z.object({
  testSeconds: z.union([z.number().positive(), z.array(z.number().positive())]),
  loadSeconds: z.number().positive(),
  memoryMb: z.number().positive(),
  outputBytes: z.number().positive(),
  valueBytes: z.number().positive(),
  /** Absent: no per-sample budget (and in runs made before it existed). */
  sampleSeconds: z.number().positive().optional(),
}) satisfies z.ZodType<JobLimits>;

/** The manifest's limits: the candidates' limits and the expected values' time (all optional: old runs). */
export const manifestLimitsSchema = z.looseObject({
  ...jobLimitsSchema.partial().shape,
  reference_seconds: z.number().optional(),
  test_limits: z.looseObject({ tests: z.number(), total_s: z.number(), max_s: z.number(), sha256: z.string() }).optional(),
}) satisfies z.ZodType<ManifestLimits>;

/** manifest.json. */
export const manifestSchema = z.looseObject({
  run_id: z.string().min(1),
  verdict_version: z.string(),
  created_at: z.string(),
  benchmark: z.string().min(1),
  split: z.string(),
  data_sha256: z.record(z.string(), z.string()),
  samples_source: z.string(),
  samples_sha256: z.string().optional(),
  sandbox: z.looseObject({
    backend: z.string(),
    isolation: z.enum(ISOLATION_MODES),
    image: z.string(),
    imageId: z.string(),
    workers: z.number(),
    hashSeed: z.number(),
  }),
  limits: manifestLimitsSchema,
  k: z.array(z.number().int().positive()),
  reference_failures: z.array(z.string()).optional(),
  missing_policy: z.enum(MISSING_POLICIES).optional(),
  status: z.enum(["running", "complete", "interrupted"]),
  node: z.string(),
  host: z.looseObject({ cpus: z.number(), platform: z.string() }),
}) satisfies z.ZodType<RunManifest>;

/** summary.json. */
export const summarySchema = z.looseObject({
  benchmark: z.string(),
  split: z.string(),
  tasks: z.number().int().nonnegative(),
  samples: z.number().int().nonnegative(),
  pass_at_k: z.record(z.string(), z.number()),
  base_pass_at_k: z.record(z.string(), z.number()).optional(),
  outcomes: z.partialRecord(outcome, z.number()),
  weak_passes: z.number().optional(),
  seconds: z.number(),
  // Coverage fields: absent in summaries written before they were recorded.
  tasks_total: z.number().int().nonnegative().optional(),
  partial: z.boolean().optional(),
  missing_policy: z.enum(MISSING_POLICIES).optional(),
  tasks_missing: z.array(z.string()).optional(),
  tasks_unscorable: z.array(z.string()).optional(),
  reference_failures: z
    .record(z.string(), z.array(z.looseObject({ test: z.string(), why: z.string(), handling: z.enum(REFERENCE_FAILURE_HANDLINGS) })))
    .optional(),
  cached: z.looseObject({ verdicts: z.number().int().nonnegative(), expected_values: z.boolean().optional() }).optional(),
  timing_bound: z.array(z.string()).optional(),
}) satisfies z.ZodType<RunSummary>;

/** One line of verdicts.jsonl. */
export const verdictSchema = z.looseObject({
  task_id: z.string().min(1),
  sample_index: z.number().int().nonnegative(),
  status: outcome,
  base_status: outcome.optional(),
  plus_status: outcome.optional(),
  tests: z.array(
    z.looseObject({
      id: z.string(),
      outcome,
      seconds: z.number().optional(),
      limit_s: z.number().optional(),
      detail: z.string().optional(),
      weak: z.boolean().optional(),
    }),
  ),
  load_detail: z.string().optional(),
  weak: z.boolean(),
  seconds: z.number(),
  cpu_s: z.number().nonnegative().optional(),
  cached: z.boolean(),
  program_sha256: z.string(),
}) satisfies z.ZodType<SampleVerdict>;

/** One line of samples.jsonl: the program judged for a sample and the head of what it printed. */
export const sampleLineSchema = z.looseObject({
  task_id: z.union([z.string().min(1), z.number().int()]),
  sample_index: z.number().int().nonnegative(),
  program: z.string().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
});

/** One line of samples.jsonl. */
export type SampleLine = z.infer<typeof sampleLineSchema>;

/** How much of a sample's stdout and stderr samples.jsonl keeps. */
export const SAMPLE_OUTPUT_CHARS = 4096;

/**
 * `sample`: one of n samples for Pass@1. `path`: a reasoning path sampled for ASPR.
 * `final`: a final (code) step sampled from a path's prefix, for ASPR.
 */
export const SAMPLE_ROLES = ["sample", "path", "final"] as const;

/** What a generated sample is for. */
export type SampleRole = (typeof SAMPLE_ROLES)[number];

/** One line of generations.jsonl (and of `verdict generate`'s output): a sample and how it was made. */
export const generationRecordSchema = z.looseObject({
  task_id: z.string().min(1),
  /** Fixed by the sampling plan (not by arrival order), so a resumed run fills the same slots. */
  sample_index: z.int().nonnegative(),
  /** The whole program ("" when the answer held no code). */
  solution: z.string(),
  style: z.enum(PROMPT_STYLE_NAMES),
  role: z.enum(SAMPLE_ROLES),
  /** For `path` and `final`: which path. */
  path: z.int().nonnegative().optional(),
  /** For `final`: which final step of its path. */
  final: z.int().nonnegative().optional(),
  /** Pseudocode: the parsed steps (for a final: its path's prefix, then the final step). */
  steps: z.array(z.string()).optional(),
  /** The model's answers that made this sample, verbatim, in order (one per step for a pseudocode path). */
  raw: z.array(z.string()),
  /** Where the program came from: an extraction source for vanilla; `terminal_step`, `no_code` or `step_limit` for pseudocode. */
  code_source: z.string(),
  finish_reasons: z.array(z.string().nullable()),
  sampling: z.looseObject({
    temperature: z.number(),
    top_p: z.number(),
    top_k: z.number().optional(),
    repetition_penalty: z.number().optional(),
    max_tokens: z.int(),
    seed: z.int(),
    /** Samples drawn by the request (n). */
    n: z.int().positive(),
  }),
  /** Tokens of the requests that made this sample; a request that drew several samples is counted once per sample it made, so divide by samples_per_request to sum. */
  usage: z.object({
    prompt_tokens: z.int().nonnegative(),
    completion_tokens: z.int().nonnegative(),
    requests: z.int().nonnegative(),
    samples_per_request: z.int().positive(),
  }),
  latency_ms: z.number().nonnegative(),
  /** Every answer came from the response cache or a recording. */
  cached: z.boolean(),
  /** The provider that answered (API, model and base URL). */
  model: z.string(),
});

/** One line of a generated samples file. */
export type GenerationRecord = z.infer<typeof generationRecordSchema>;

/** A JSON file of a run directory, or undefined when it is absent; text that is not JSON is an InputError naming the file. */
export function readRunJson(path: string, what: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (err) {
    throw new InputError(`unreadable ${what}: ${(err as Error).message}`, path);
  }
}

/** Validates against a schema; the first issue becomes an InputError naming the file, the line and the field. */
export function parseRunFile<T>(schema: z.ZodType<T>, value: unknown, what: string, file: string, line?: number): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new InputError(`invalid ${what}: ${where}${issue?.message ?? "does not match the schema"}`, file, line);
}
