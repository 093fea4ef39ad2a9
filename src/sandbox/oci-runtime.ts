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
  const name = requested ?? info.DefaultRuntime ?? "runc";
  const entry = runtimes[name];
  if (requested !== undefined && entry === undefined) {
    const known = Object.keys(runtimes).sort().join(", ") || "none listed";
    throw new SetupError(
      `the sandbox runtime ${requested} is not registered with the Docker engine at ${engineAddress(docker)} (it has: ${known}); ` +
        `register it in the engine's daemon.json "runtimes" (for gVisor see docs/gvisor-notes.md)`,
    );
  }
  return { name, gvisor: isGvisor(name, entry?.path) };
}

/** Whether a runtime entry is gVisor: its program (or, without a path, its name) is runsc. */
export function isGvisor(name: string, path: string | undefined): boolean {
  return basename(path ?? name).startsWith("runsc");
}
