/**
 * The `engines` backend: one pool over several Docker engines (engine-pool.ts), for
 * `--engines`, `VERDICT_ENGINES` and a config's `sandbox.engines`. Checking it connects to every
 * engine (all must answer; engine-connect.ts) and checks that each has the runtime asked for;
 * preparing its image builds it where none has it yet and copies it to the rest by content
 * (image-transfer.ts), so every engine runs the same image ID; orphans are removed on every
 * engine that answers.
 */
import type Docker from "dockerode";
import { SetupError } from "../core/errors.js";
import type { EngineRecord, SandboxInfo } from "../core/sandbox.js";
import type { BackendImage, SandboxBackend } from "./sandbox-backend.js";
import { connectEngines, type ConnectedEngine } from "./engine-connect.js";
import type { EngineEndpoint } from "./engine-endpoint.js";
import { createEnginePool, type PoolEngine } from "./engine-pool.js";
import { engineAnswers } from "./engine.js";
import { ensureImageOnEngines } from "./image-transfer.js";
import { ensureImage, imageId, imageTag, pruneSandbox } from "./image.js";
import { pickRuntime } from "./oci-runtime.js";

/** How long an engine may take to answer before a prune passes it by. */
const PRUNE_PING_MS = 5_000;

/** What the `engines` backend is made with. */
export interface EnginesBackendOptions {
  endpoints: readonly EngineEndpoint[];
  /** The OCI runtime on every engine (each must register it); default: each engine's own. */
  runtime?: string;
}

/** The `engines` backend over `endpoints` (see the module comment). */
export function enginesBackend(o: EnginesBackendOptions): SandboxBackend {
  if (o.endpoints.length === 0) throw new SetupError("the engines backend needs at least one engine (--engines)");
  let engines: PoolEngine[] | undefined;
  let image: BackendImage | undefined;
  /** The image ID each engine reported once the image was made present there, by engine label. */
  let onEach = new Map<string, string>();

  /** Every engine connected and its runtime checked (once per backend). */
  const connected = async (): Promise<PoolEngine[]> => {
    engines ??= (await connectEngines(o.endpoints)).map((engine) => ({
      engine,
      runtime: pickRuntime(`the Docker engine of ${engine.endpoint.source}`, engine.info.runtimes, engine.info.defaultRuntime, o.runtime),
    }));
    return engines;
  };
  const record = (e: PoolEngine, imageId: string): EngineRecord => ({
    label: e.engine.endpoint.label,
    id: e.engine.info.id,
    version: e.engine.info.serverVersion,
    runtime: e.runtime,
    cpus: e.engine.info.cpus,
    workers: e.engine.workers,
    // What the engine itself said it holds (ensureImageOnEngines checks each against the tag).
    image_id: onEach.get(e.engine.endpoint.label) ?? imageId,
  });

  return {
    name: "engines",
    isolated: true,
    isolations: ["pool", "fresh"],
    async check() {
      await connected();
    },
    async prepareImage(log) {
      const all = await connected();
      const tag = imageTag();
      const clients = all.map((e) => ({ docker: e.engine.docker, label: e.engine.endpoint.label }));
      // Built once, on the first engine, when no engine has it yet; then copied by content.
      const present = await Promise.all(all.map((e) => imageId(e.engine.docker, tag)));
      if (present.every((id) => id === undefined)) await ensureImage(all[0]!.engine.docker, log !== undefined ? { log } : {});
      const copies = await ensureImageOnEngines(clients, tag, log);
      onEach = new Map(copies.map((c, i) => [all[i]!.engine.endpoint.label, c.id]));
      image = { tag, id: copies[0]!.id };
      return image;
    },
    describe(img, p): SandboxInfo {
      const all = engines ?? [];
      return {
        backend: "engines",
        isolation: p.isolation,
        image: img.tag,
        imageId: img.id,
        workers: all.reduce((n, e) => n + e.engine.workers, 0),
        hashSeed: p.hashSeed,
        runtime: [...new Set(all.map((e) => e.runtime))].join(","),
        engines: all.map((e) => record(e, img.id)),
      };
    },
    async open(options) {
      const all = await connected();
      const id = image?.tag === options.image ? image.id : await imageId(all[0]!.engine.docker, options.image);
      if (id === undefined) throw new SetupError(`the image ${options.image} is not on ${all[0]!.engine.endpoint.label}; prepare it first`);
      return createEnginePool({ ...options, engines: all, imageId: id, ...(o.runtime !== undefined && options.runtime === undefined ? { runtime: o.runtime } : {}) });
    },
    async pruneOrphans(labels) {
      // A resume may find an engine still away: what it holds goes once it is back (or with `verdict sandbox prune`).
      const reachable = await reachableEngines(engines?.map((e) => e.engine), o.endpoints);
      const counts = await Promise.all(reachable.map(async (docker) => (await pruneSandbox(docker, { labels })).containers));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}

/** Clients of the engines that answer now: the connected ones, else a fresh connection to each endpoint that answers. */
async function reachableEngines(known: ConnectedEngine[] | undefined, endpoints: readonly EngineEndpoint[]): Promise<Docker[]> {
  if (known !== undefined) {
    const up = await Promise.all(known.map(async (e) => ((await engineAnswers(e.docker, PRUNE_PING_MS)) ? e.docker : undefined)));
    return up.filter((d) => d !== undefined);
  }
  const settled = await Promise.allSettled(endpoints.map((ep) => connectEngines([ep])));
  return settled.flatMap((s) => (s.status === "fulfilled" ? s.value.map((e) => e.docker) : []));
}
