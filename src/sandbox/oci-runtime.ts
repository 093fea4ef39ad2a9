/**
 * The OCI runtime sandbox containers run under: the engine's default (runc, normally) or one
 * named in the sandbox options (gVisor's `runsc`), checked against the runtimes the engine has
 * registered. Whether it is gVisor decides a few container settings (container-spec.ts) and
 * how a container the host OOM-killed is read (docker-sandbox.ts); docs/gvisor-notes.md says why.
 */
import { basename } from "node:path";
import type Docker from "dockerode";
import { SetupError } from "../core/errors.js";
import { dockerErrorText } from "./docker-error.js";
import { engineAddress } from "./engine.js";

/** The runtime a pool's containers run under. */
export interface ContainerRuntime {
  /** The engine's name for it (`runc`, `runsc`, ...). */
  name: string;
  /** Whether it is gVisor (a runtime whose program is runsc). */
  gvisor: boolean;
}

/** The runtime `requested` names on this engine, or the engine's default; SetupError when the engine lacks it. */
export async function resolveRuntime(docker: Docker, requested?: string): Promise<ContainerRuntime> {
  let info: { Runtimes?: Record<string, { path?: string }>; DefaultRuntime?: string };
  try {
    info = (await docker.info()) as typeof info;
  } catch (err) {
    throw new SetupError(`cannot ask the Docker engine at ${engineAddress(docker)} for its runtimes: ${dockerErrorText(err)}`);
  }
  const runtimes = info.Runtimes ?? {};
  const name = pickRuntime(`the Docker engine at ${engineAddress(docker)}`, Object.keys(runtimes), info.DefaultRuntime ?? "runc", requested);
  return { name, gvisor: isGvisor(name, runtimes[name]?.path) };
}

/**
 * The runtime `requested` names (default: the engine's `defaultRuntime`) on an engine that
 * registers `runtimes`; SetupError naming the engine (`where`) when it has no such runtime.
 */
export function pickRuntime(where: string, runtimes: readonly string[], defaultRuntime: string, requested?: string): string {
  if (requested === undefined) return defaultRuntime;
  if (runtimes.includes(requested)) return requested;
  const known = [...runtimes].sort().join(", ") || "none listed";
  const how = isGvisor(requested, undefined) ? "scripts/ensure-docker.sh --with-runsc registers Debian's runsc; docs/gvisor-notes.md" : "see the engine's documentation";
  throw new SetupError(`the sandbox runtime ${requested} is not registered with ${where} (it has: ${known}); register it in the engine's daemon.json "runtimes" (${how})`);
}

/** Whether a runtime entry is gVisor: its program (or, without a path, its name) is runsc. */
export function isGvisor(name: string, path: string | undefined): boolean {
  return basename(path ?? name).startsWith("runsc");
}
