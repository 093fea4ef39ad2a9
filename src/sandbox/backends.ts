/**
 * The sandbox backends, by name: the one place a pool is made. Each backend says whether it
 * contains what it runs, checks that its engine answers, makes its image present, opens pools
 * and removes what a killed process left behind (orphans, found by their labels). The judging
 * session opens every pool through a backend, and the conformance suite
 * (test/sandbox/conformance.test.ts) runs the same cases against each one.
 *
 * - `docker`: containers on one Docker engine (dockerode), warm pools or a fresh container per job.
 * - `engines`: one pool over several Docker engines (engines-backend.ts, engine-pool.ts): each
 *   engine's slots take jobs from one queue; an engine that goes away gives its jobs back.
 * - `host`: the runner as plain processes on this machine, NO isolation: the bench's
 *   no-sandbox baseline only; a session refuses to judge on it.
 *
 * Room for more: Kubernetes pods (docs/ARCHITECTURE.md, "Kubernetes, on paper") would be one
 * more entry here with the same members; nothing above this file changes.
 */
import { SetupError } from "../core/errors.js";
import type { EngineRecord } from "../core/sandbox.js";
import { createDockerSandbox } from "./docker-sandbox.js";
import { dockerErrorText } from "./docker-error.js";
import { resolveEngineList } from "./engine-endpoint.js";
import { assertEngine, connectDocker, engineAddress } from "./engine.js";
import { enginesBackend } from "./engines-backend.js";
import { createHostSandbox } from "./host-sandbox.js";
import { ensureImage, pruneSandbox, RUNNER_SOURCE } from "./image.js";
import { pickRuntime } from "./oci-runtime.js";
import type { BackendName, BackendOptions, SandboxBackend } from "./sandbox-backend.js";

export type { BackendImage, BackendName, BackendOptions, BackendPoolOptions, SandboxBackend } from "./sandbox-backend.js";

/** The Docker backend over one engine. */
function dockerBackend(o: BackendOptions): SandboxBackend {
  const docker = o.docker ?? connectDocker();
  /** The engine as a manifest records it, read by check(). */
  let engine: Omit<EngineRecord, "workers" | "image_id"> | undefined;
  return {
    name: "docker",
    isolated: true,
    isolations: ["pool", "fresh"],
    async check() {
      await assertEngine(docker);
      let info: { ID?: string; ServerVersion?: string; NCPU?: number; Runtimes?: Record<string, unknown>; DefaultRuntime?: string };
      try {
        info = (await docker.info()) as typeof info;
      } catch (err) {
        throw new SetupError(`cannot ask the Docker engine at ${engineAddress(docker)} what it is: ${dockerErrorText(err)}`);
      }
      const where = `the Docker engine at ${engineAddress(docker)}`;
      const runtime = pickRuntime(where, Object.keys(info.Runtimes ?? {}), info.DefaultRuntime ?? "runc", o.runtime);
      engine = { label: engineAddress(docker), id: info.ID ?? "", version: info.ServerVersion ?? "", runtime, cpus: info.NCPU ?? 0 };
    },
    async prepareImage(log) {
      const image = await ensureImage(docker, log !== undefined ? { log } : {});
      return { tag: image.tag, id: image.id };
    },
    describe: (image, p) => ({
      backend: "docker",
      isolation: p.isolation,
      image: image.tag,
      imageId: image.id,
      workers: p.workers,
      hashSeed: p.hashSeed,
      ...(engine !== undefined ? { runtime: engine.runtime, engines: [{ ...engine, workers: p.workers, image_id: image.id }] } : {}),
    }),
    open: (options) => createDockerSandbox(docker, { ...options, ...(o.runtime !== undefined && options.runtime === undefined ? { runtime: o.runtime } : {}) }),
    async pruneOrphans(labels) {
      return (await pruneSandbox(docker, { labels })).containers;
    },
  };
}

/** The unisolated host backend (bench baseline only: see src/sandbox/host-sandbox.ts). */
function hostBackend(o: BackendOptions): SandboxBackend {
  const runnerPath = o.runnerPath ?? RUNNER_SOURCE;
  return {
    name: "host",
    isolated: false,
    isolations: ["pool"],
    check: async () => undefined,
    prepareImage: async () => ({ tag: `python3 ${runnerPath} --host`, id: "none" }),
    describe: (image, p) => ({ backend: "host-unsandboxed", isolation: "pool", image: image.tag, imageId: image.id, workers: p.workers, hashSeed: p.hashSeed }),
    open: (options) => createHostSandbox({ workers: options.workers, runnerPath, hashSeed: options.hashSeed }),
    // Its runners are children of this process and die with it: nothing can be orphaned.
    pruneOrphans: async () => 0,
  };
}

/** Every backend, by name. */
export const SANDBOX_BACKENDS = {
  docker: dockerBackend,
  engines: (o: BackendOptions) => enginesBackend({ endpoints: o.engines ?? resolveEngineList({}), ...(o.runtime !== undefined ? { runtime: o.runtime } : {}) }),
  host: hostBackend,
} satisfies Record<BackendName, (options: BackendOptions) => SandboxBackend>;

/** The names of the registered backends, in registry order. */
export const BACKEND_NAMES = Object.keys(SANDBOX_BACKENDS) as BackendName[];

/** The backend registered under `name` (default `docker`). */
export function sandboxBackend(name: BackendName = "docker", options: BackendOptions = {}): SandboxBackend {
  return SANDBOX_BACKENDS[name](options);
}
