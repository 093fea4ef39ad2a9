/**
 * Where a session's sandboxes run, from what a command was given: `--engines` (else
 * VERDICT_ENGINES, else a config's `sandbox.engines`) and `--runtime` (else the config's
 * `sandbox.runtime`). One reading for every command that judges, so `eval`, `run`, `bench`,
 * `soak`, `serve judge` and the commands built on a config's sandbox section agree.
 */
import { z } from "zod";
import { engineListSchema, resolveEngineList, type EngineEntry, type EndpointEnv } from "../sandbox/engine-endpoint.js";
import type { SandboxPlacement } from "./session-options.js";

/** An OCI runtime's name as Docker registers it (`runc`, `runsc`). */
export const runtimeSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected a runtime name registered with the engine, e.g. runsc")
  .describe("OCI runtime of every sandbox container, registered with every engine: runsc for gVisor (scripts/ensure-docker.sh --with-runsc); default: each engine's own");

/** The fields a config's `sandbox` section adds for placement (spread into its schema). */
export const PLACEMENT_CONFIG_FIELDS = {
  engines: engineListSchema
    .optional()
    .describe(
      "Docker engines of one pool, each a URL (unix:///path, tcp://host:port with TLS, ssh://user@host) with settings as ?workers=N&cert_path=... or an object; --engines and VERDICT_ENGINES take precedence; default: the one engine DOCKER_HOST names",
    ),
  runtime: runtimeSchema.optional(),
};

/** What a command was given about placement. */
export interface PlacementSources {
  /** `--engines` as typed. */
  engines?: string | undefined;
  /** `--runtime` as typed. */
  runtime?: string | undefined;
  /** `--workers` when given: the worker count of each engine entry that names none. */
  workers?: number | undefined;
  /** A config's sandbox section, and its file (for messages and relative paths). */
  config?: { engines?: readonly (string | EngineEntry)[] | undefined; runtime?: string | undefined } | undefined;
  configFile?: string | undefined;
  env?: EndpointEnv & { VERDICT_ENGINES?: string };
}

/**
 * The placement the sources ask for: an engine list only when one was given (flag, environment
 * or config; without one the session keeps its single engine), and the runtime. A bad entry is
 * an InputError naming where it came from.
 */
export function resolvePlacement(s: PlacementSources): SandboxPlacement {
  const env = s.env ?? process.env;
  const given = (s.engines ?? "").trim() !== "" || (env.VERDICT_ENGINES ?? "").trim() !== "" || s.config?.engines !== undefined;
  const engines = given
    ? resolveEngineList({ flag: s.engines, env, config: s.config?.engines, configFile: s.configFile }).map((e) => ({ ...e, workers: e.workers ?? s.workers }))
    : undefined;
  const runtime = s.runtime ?? s.config?.runtime;
  return { ...(engines !== undefined ? { engines } : {}), ...(runtime !== undefined ? { runtime } : {}) };
}
