import type { SplitMode } from "../runner/tail-split.js";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import { MISSING_POLICIES, type MissingPolicy } from "../core/run.js";
import { ISOLATION_MODES, type Isolation } from "../core/sandbox.js";
import { jobLimitsSchema } from "../runner/run-format.js";
import { readRunJson, RUN_FILES } from "../runner/run-format.js";
import type { SandboxPlacement } from "../session/session-options.js";

/** Everything `verdict eval` needs. */
export interface EvalOptions {
  benchmark: string;
  split: string;
  /** A samples file, or "reference". */
  samples: string;
  /** Benchmark tasks without a sample: an error (the default), failures (`missing`), or left out and labelled partial. */
  missing?: MissingPolicy;
  dataDir?: string;
  challenge?: boolean;
  isolation: Isolation;
  workers: number;
  k: number[];
  /** Run directory; default `<resultsDir>/<run-id>`. */
  outDir?: string;
  resultsDir: string;
  /** Judge everything afresh (no verdict cache, no expected-value cache). */
  noCache: boolean;
  /** Judge every sample afresh but keep the cached expected values. */
  noVerdictCache?: boolean;
  limits: JobLimits;
  hashSeed: number;
  /** Continue the run in this directory. */
  resume?: string;
  /** Draw a progress bar on stderr. */
  progress: boolean;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it stops the run: containers removed, verdicts kept, manifest `interrupted`. */
  signal?: AbortSignal;
  /** Which tests judge the samples (src/pipelines/tests-source.ts): `benchmark` (the default), `tcg:RUN_DIR`, `benchmark+tcg:RUN_DIR`. */
  tests?: string;
  /** How long jobs wait for a Docker engine that went away (a restart) before the run stops. */
  engineWaitSeconds?: number;
  /** Where the sandboxes run: several engines, a runtime (`--engines`, `--runtime`). */
  placement?: SandboxPlacement;
  /** Tail splitting (src/runner/tail-split.ts): `tail` (the default), `off`, `eager`. */
  tailSplit?: SplitMode;
}

/** What a run directory keeps of its `verdict eval` options, so `--resume <dir>` alone continues it. */
export const storedEvalOptionsSchema = z.object({
  benchmark: z.string().min(1),
  split: z.string(),
  samples: z.string().min(1),
  /** Absent in runs made before it was kept. */
  missing: z.enum(MISSING_POLICIES).optional(),
  dataDir: z.string().optional(),
  challenge: z.boolean(),
  isolation: z.enum(ISOLATION_MODES),
  workers: z.int().positive(),
  k: z.array(z.int().positive()),
  noCache: z.boolean(),
  noVerdictCache: z.boolean().optional(),
  /** The tests source with an absolute run directory (absent: the benchmark's tests). */
  tests: z.string().optional(),
  limits: jobLimitsSchema,
  hashSeed: z.int(),
  /** The OCI runtime the run started with (absent: the engine's default). */
  runtime: z.string().optional(),
});

/** The options of a run as stored in its directory (eval-options.json). */
export type StoredEvalOptions = z.infer<typeof storedEvalOptionsSchema>;

export { runLabel } from "../runner/cleanup.js";

/** The options stored in a run directory, or undefined for a run made before they were kept. */
export function readEvalOptions(runDir: string): StoredEvalOptions | undefined {
  const path = join(runDir, RUN_FILES.evalOptions);
  const json = readRunJson(path, "eval options");
  if (json === undefined) return undefined;
  const parsed = storedEvalOptionsSchema.safeParse(json);
  if (!parsed.success) throw new InputError(`invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, path);
  return parsed.data;
}

/** The options a resume needs, with paths made absolute so it can run from any directory. */
export function storedOptions(opts: EvalOptions): StoredEvalOptions {
  const absolute = (p: string): string => (existsSync(p) ? resolve(p) : p);
  return {
    benchmark: absolute(opts.benchmark),
    split: opts.split,
    samples: opts.samples === "reference" ? "reference" : resolve(opts.samples),
    missing: opts.missing ?? "error",
    ...(opts.dataDir !== undefined ? { dataDir: resolve(opts.dataDir) } : {}),
    challenge: opts.challenge ?? false,
    isolation: opts.isolation,
    workers: opts.workers,
    k: opts.k,
    noCache: opts.noCache,
    ...(opts.noVerdictCache === true ? { noVerdictCache: true } : {}),
    ...(opts.tests !== undefined && opts.tests !== "benchmark" ? { tests: opts.tests } : {}),
    limits: opts.limits,
    hashSeed: opts.hashSeed,
    ...(opts.placement?.runtime !== undefined ? { runtime: opts.placement.runtime } : {}),
  };
}
