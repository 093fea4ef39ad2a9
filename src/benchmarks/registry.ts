import { stat } from "node:fs/promises";
import { InputError } from "../core/errors.js";
import type { BenchmarkSpec } from "../core/task.js";
import { loadCustomBenchmark } from "./custom.js";
import type { BenchmarkLoadOptions } from "./load-options.js";
import { loadMbpp } from "./mbpp.js";
import { loadMbppPlus } from "./mbpp-plus.js";
import { loadMbppSanitized } from "./mbpp-sanitized.js";

/** The built-in benchmarks, by the name users type; each has benchmarks/<name>.yaml. */
export const BENCHMARKS = {
  mbpp: (opts) => loadMbpp(opts),
  "mbpp-sanitized": (opts) => loadMbppSanitized(opts),
  "mbpp-plus": (opts) => loadMbppPlus(opts),
} satisfies Record<string, (opts: BenchmarkLoadOptions) => Promise<BenchmarkSpec>>;

/** A built-in benchmark's name. */
export type BenchmarkName = keyof typeof BENCHMARKS;

/** Whether a name is one of the built-in benchmarks. */
export function isBenchmarkName(name: string): name is BenchmarkName {
  return Object.hasOwn(BENCHMARKS, name);
}

/**
 * Loads a benchmark by name (mbpp, mbpp-sanitized, mbpp-plus) or, for an existing path or
 * anything ending in .jsonl, as a custom benchmark in MBPP's schema.
 */
export async function loadBenchmark(nameOrPath: string, opts: BenchmarkLoadOptions = {}): Promise<BenchmarkSpec> {
  if (isBenchmarkName(nameOrPath)) return BENCHMARKS[nameOrPath](opts);
  if (nameOrPath.endsWith(".jsonl") || (await exists(nameOrPath))) return loadCustomBenchmark(nameOrPath, opts);
  throw new InputError(
    `unknown benchmark "${nameOrPath}"; known: ${Object.keys(BENCHMARKS).join(", ")}, or a path to a JSONL file in MBPP's schema`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
