import { resolve } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { shellWord } from "../runner/cleanup.js";
import { resolvePlacement, runtimeSchema, type PlacementSources } from "../session/sandbox-placement.js";
import type { SandboxPlacement } from "../session/session-options.js";
import { z } from "zod";

/**
 * Flags parsed by zod schemas, the same ones the configs use (a run config's `sandbox.timeout_s`
 * and `--timeout` are one schema), so a flag and a config field cannot disagree on what they
 * accept. Numbers are read from the text first; a bad value is commander's InvalidArgumentError
 * naming the flag and what the schema expected.
 */

/** A commander argument parser for `name` that validates through `schema`. */
export function schemaFlag<T>(name: string, schema: z.ZodType<T>): (text: string) => T {
  return (text: string): T => {
    const trimmed = text.trim();
    const asNumber = trimmed === "" ? Number.NaN : Number(trimmed);
    const parsed = schema.safeParse(Number.isNaN(asNumber) ? text : asNumber);
    if (parsed.success) return parsed.data;
    throw new InvalidArgumentError(`${name}: ${parsed.error.issues[0]?.message ?? "invalid"}, got "${text}"`);
  };
}

/** A whole number of at least `min` (default 1). */
export const countSchema = (min = 1) => z.int().min(min);

/** What `addPlacementFlags` adds to a command's options. */
export interface PlacementFlags {
  engines?: string;
  runtime?: string;
}

/**
 * Adds `--engines` and `--runtime` (where the sandboxes run) to a command that judges: every
 * such command takes them from here, and hands `placementOf(...)` to its judging session.
 */
export function addPlacementFlags(command: Command): Command {
  return command
    .option(
      "--engines <list>",
      "one sandbox pool over several Docker engines, comma-separated: unix:///path, tcp://host:2376?cert_path=DIR (TLS), ssh://user@host?identity=KEY&known_hosts=FILE; each may add &workers=N (default: its CPUs, or --workers when given) (default: $VERDICT_ENGINES, else one engine: DOCKER_HOST or the local socket)",
    )
    .option("--runtime <name>", "OCI runtime of every sandbox container, registered with every engine: runsc for gVisor (scripts/ensure-docker.sh --with-runsc) (default: the engine's)", schemaFlag("--runtime", runtimeSchema));
}

/** The placement a command's flags (and, below them, VERDICT_ENGINES and a config's sandbox section) ask for. */
export function placementOf(flags: PlacementFlags, more: Omit<PlacementSources, "engines" | "runtime"> = {}): SandboxPlacement {
  return resolvePlacement({ ...more, engines: flags.engines, runtime: flags.runtime });
}

/**
 * `--limit` and `--data` of a config-driven command (run, table1, tcg, search): what they
 * override in the config, and the words its resume command repeats (they shape what the run is).
 */
export function configOverrides(flags: { limit?: number | undefined; data?: string | undefined }): { overrides: { limit?: number; data?: string }; words: string[] } {
  const data = flags.data !== undefined ? resolve(flags.data) : undefined;
  return {
    overrides: { ...(flags.limit !== undefined ? { limit: flags.limit } : {}), ...(data !== undefined ? { data } : {}) },
    words: [...(flags.limit !== undefined ? ["--limit", String(flags.limit)] : []), ...(data !== undefined ? ["--data", shellWord(data)] : [])],
  };
}

/** The flags every config-driven run (run, table1, tcg) has besides its own. */
export interface ConfigRunFlags extends PlacementFlags {
  out?: string;
  resume?: string;
  limit?: number;
  data?: string;
  cache: boolean;
  verdictCache: boolean;
  json?: boolean;
}

/**
 * The options a config-driven pipeline takes from those flags: where it runs and writes, its
 * caches, its resume, progress on a terminal unless the output is JSON.
 */
export function configRunOptions(
  flags: ConfigRunFlags,
  o: { configPath: string; sandbox: PlacementSources["config"] & { workers?: number | undefined }; resumeCommand: (runDir: string) => string; log: (line: string) => void },
): { placement: SandboxPlacement; resumeCommand: (runDir: string) => string; progress: boolean; resume?: string; outDir?: string; noCache: boolean; noVerdictCache: boolean; log: (line: string) => void } {
  return {
    placement: placementOf(flags, { config: o.sandbox, configFile: o.configPath, workers: o.sandbox?.workers }),
    resumeCommand: o.resumeCommand,
    progress: Boolean(process.stderr.isTTY) && flags.json !== true,
    ...(flags.resume !== undefined ? { resume: resolve(flags.resume) } : {}),
    ...(flags.out !== undefined ? { outDir: resolve(flags.out) } : {}),
    noCache: !flags.cache,
    noVerdictCache: !flags.verdictCache,
    log: o.log,
  };
}
