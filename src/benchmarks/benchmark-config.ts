import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { Comparator } from "../core/task.js";
import { INPUT_TRANSFORM_NAMES } from "./mbpp-plus-transforms.js";

/** The folder holding the benchmark definitions (benchmarks/*.yaml), from src/ and dist/ alike. */
export const BENCHMARKS_DIR = fileURLToPath(new URL("../../benchmarks/", import.meta.url));

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
const taskNumberKey = z.string().regex(/^[1-9][0-9]*$/, "must be a task number");
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Python identifier");

/** One data file of a benchmark: where it comes from and what it must hash to. */
export const dataFileSchema = z
  .object({
    /** Path relative to the data directory, e.g. "mbpp/mbpp.jsonl". */
    file: z
      .string()
      .regex(/^[\w.-]+(\/[\w.-]+)*$/, "must be a relative path of plain names")
      .refine((f) => f.split("/").every((part) => part !== "." && part !== ".."), "must not contain '.' or '..'"),
    url: z.url(),
    /** Of the file as stored (after gunzip when `gzip`). */
    sha256: sha256Schema,
    gzip: z.boolean().default(false),
  })
  .strict();

/** "atol" stands for the task's own atol (MBPP+ has one per task). */
const tolerance = z.union([z.number().nonnegative(), z.literal("atol")]);

const comparatorSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("eq") }).strict(),
  z.object({ kind: z.literal("set_eq"), atol: tolerance.optional() }).strict(),
  z.object({ kind: z.literal("truthy") }).strict(),
  z.object({ kind: z.literal("falsy") }).strict(),
  z.object({ kind: z.literal("always") }).strict(),
  z.object({ kind: z.literal("evalplus"), atol: tolerance }).strict(),
  z.object({ kind: z.literal("isclose"), rel_tol: z.number().nonnegative(), abs_tol: tolerance }).strict(),
]);

const oracleSchema = z
  .object({
    entry_point: identifier,
    comparator: comparatorSchema.optional(),
    project: z.literal("not_none").optional(),
    alternatives: z.array(z.object({ fn: identifier, comparator: comparatorSchema }).strict()).optional(),
  })
  .strict();

/** A benchmark definition file (benchmarks/<name>.yaml). */
export const benchmarkConfigSchema = z
  .object({
    name: z.string().min(1),
    description: z.string(),
    license: z.string(),
    data: z.array(dataFileSchema).min(1),
    splits: z
      .object({
        default: z.string().min(1),
        ranges: z.record(z.string().min(1), z.tuple([z.int().positive(), z.int().positive()])),
      })
      .strict(),
    groups: z.array(z.string().min(1)).min(1),
    prompt: z.object({ few_shot_task_ids: z.array(z.int().positive()) }).strict().optional(),
    time_calibration: z
      .object({ factor: z.number().positive(), min_seconds: z.number().nonnegative() })
      .strict()
      .optional(),
    /** The default per-sample budget cap (see JobLimits.sampleSeconds); absent: none. */
    sample_budget_seconds: z.number().positive().optional(),
    input_transforms: z.record(taskNumberKey, z.enum(INPUT_TRANSFORM_NAMES)).optional(),
    oracles: z.record(taskNumberKey, oracleSchema).optional(),
    oracle_functions: z.record(identifier, z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { default: def, ranges } = config.splits;
    if (def !== "all" && !(def in ranges)) {
      ctx.addIssue({ code: "custom", path: ["splits", "default"], message: `"${def}" is not "all" or a range` });
    }
    for (const [split, [lo, hi]] of Object.entries(ranges)) {
      if (lo > hi) ctx.addIssue({ code: "custom", path: ["splits", "ranges", split], message: `${lo} > ${hi}` });
    }
    const functions = config.oracle_functions ?? {};
    for (const [name, code] of Object.entries(functions)) {
      // The resolver calls the function by this name, so the code must define it.
      if (!new RegExp(`^def ${name}\\(`, "m").test(code)) {
        ctx.addIssue({ code: "custom", path: ["oracle_functions", name], message: `does not define ${name}()` });
      }
    }
    for (const [task, oracle] of Object.entries(config.oracles ?? {})) {
      oracle.alternatives?.forEach((alt, i) => {
        if (!(alt.fn in functions)) {
          ctx.addIssue({
            code: "custom",
            path: ["oracles", task, "alternatives", i, "fn"],
            message: `${alt.fn} is not in oracle_functions`,
          });
        }
      });
    }
  });

/** A validated benchmark definition. */
export type BenchmarkConfig = z.infer<typeof benchmarkConfigSchema>;
/** One data file entry of a benchmark definition. */
export type DataFileSource = z.infer<typeof dataFileSchema>;
/** A comparator as written in a benchmark definition (snake_case, tolerances may say "atol"). */
export type ConfigComparator = z.infer<typeof comparatorSchema>;
/** A special oracle as written in a benchmark definition. */
export type ConfigOracle = z.infer<typeof oracleSchema>;

/** Turns zod issues into "field.path: message" lines, so an error names the field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(top level)"}: ${issue.message}`)
    .join("; ");
}

/** Validates an already-parsed definition; errors name `file` and the offending field. */
export function parseBenchmarkConfig(raw: unknown, file: string): BenchmarkConfig {
  const result = benchmarkConfigSchema.safeParse(raw);
  if (!result.success) throw new InputError(`invalid benchmark definition: ${describeIssues(result.error)}`, file);
  return result.data;
}

/** Reads and validates benchmarks/<name>.yaml (or another folder's). */
export async function loadBenchmarkConfig(name: string, dir: string = BENCHMARKS_DIR): Promise<BenchmarkConfig> {
  const file = join(dir, `${name}.yaml`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read benchmark definition: ${(err as Error).message}`, file);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new InputError(`not valid YAML: ${(err as Error).message}`, file);
  }
  return parseBenchmarkConfig(raw, file);
}

/** Converts a definition's comparator to the judge's, filling in the task's atol where it says "atol". */
export function toComparator(c: ConfigComparator, atol: number): Comparator {
  const tol = (t: number | "atol"): number => (t === "atol" ? atol : t);
  switch (c.kind) {
    case "evalplus":
      return { kind: "evalplus", atol: tol(c.atol) };
    case "isclose":
      return { kind: "isclose", relTol: c.rel_tol, absTol: tol(c.abs_tol) };
    case "set_eq":
      return c.atol === undefined ? { kind: "set_eq" } : { kind: "set_eq", atol: tol(c.atol) };
    default:
      return { kind: c.kind };
  }
}

/** The inclusive task-number range of a split, or null for "all"; unknown splits are an InputError. */
export function splitRange(config: BenchmarkConfig, split: string): [number, number] | null {
  if (split === "all") return null;
  const range = config.splits.ranges[split];
  if (!range) {
    const known = ["all", ...Object.keys(config.splits.ranges)].join(", ");
    throw new InputError(`unknown split "${split}" for ${config.name}; known splits: ${known}`);
  }
  return range;
}
