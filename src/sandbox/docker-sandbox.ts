/**
 * The Docker sandbox backend. Each container runs the runner as PID 1 and speaks frames over
 * its attached stdio (docs/ARCHITECTURE.md, "Sandbox execution: fast and isolated").
 *
 * - `pool`: `workers` containers started up front; a job is one fork inside a warm container.
 * - `fresh`: a new container for every job, at most `workers` at once; the yardstick the pool
 *   is measured against, and the mode for submissions nobody trusts.
 *
 * A fault (the container died, the stream broke or carried garbage, the host timeout fired)
 * retires that container and retries the job once in a new one; a second fault throws.
 * A fault while the engine itself does not answer (dockerd restarted or crashed) is nobody's
 * fault but the engine's: the job waits for the engine to come back and runs again, without
 * spending its retry; an engine that stays away is a SetupError, never a verdict.
 *
 * Under gVisor (`runtime`, oci-runtime.ts) the host's OOM killer takes the whole sandbox, runner
 * and all, when a job's processes pass the container's memory (gVisor has no OOM killer of its
 * own): a container that died OOM-killed while it ran a job is that job's memory outcome.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import { RunnerNotReady, SandboxFault, SetupError } from "../core/errors.js";
import type { Job, JobControl, RawJobResult } from "../core/job.js";
import type { SandboxInfo, SandboxOptions, SandboxPool } from "../core/sandbox.js";
import { containerSpec, RUN_LABEL } from "./container-spec.js";
import { engineAddress, engineAnswers } from "./engine.js";
import { inspectImage, oomKilled, postMortem } from "./container-inspect.js";
import { dockerErrorText } from "./docker-error.js";
import { resolveRuntime } from "./oci-runtime.js";
import { createRunnerConnection, type RunnerConnection } from "./runner-connection.js";
import { perTestSeconds } from "./wire.js";

/** Docker backend options: the shared sandbox options plus development-only settings. */
export interface DockerSandboxOptions extends SandboxOptions {
  /**
   * Development only: a host runner.py bind-mounted read-only over the image's own, for an
   * image that has none baked in. Production images carry the runner; leave this unset.
   */
  runnerPath?: string;
  /**
   * How long a job waits for an engine that stopped answering (a dockerd restart) before the
   * pool gives up with a SetupError. Default 120 s.
   */
  engineWaitSeconds?: number;
  /** Receives notes about faults the pool rides out (an engine going away and coming back). */
  log?: (line: string) => void;
  /**
   * How long a pool container may take, after a result, to be ready for the next job (it
   * empties its scratch space first); one that takes longer is replaced. Default 30 s.
   */
  readySeconds?: number;
}

/** Default for `engineWaitSeconds`: room for a dockerd restart on a busy machine. */
const DEFAULT_ENGINE_WAIT_SECONDS = 120;
/** Engine outages one job may ride out; more means the engine is flapping, and the run stops. */
const MAX_ENGINE_OUTAGES_PER_JOB = 3;
/** How long a ping may take before the engine counts as not answering. */
const ENGINE_PING_TIMEOUT_MS = 3000;
/** How often a waiting pool asks whether the engine is back. */
const ENGINE_POLL_MS = 500;
/** Containers one job may find not ready (a cleanup that overran) before the pool gives up. */
const MAX_NOT_READY_PER_JOB = 3;

/** A started container with its runner connection. */
interface Box {
  name: string;
  container: Docker.Container;
  socket: Duplex;
  conn: RunnerConnection;
}

/** One unit of concurrency: a pool container (kept between jobs) or room for a fresh one. */
interface Slot {
  box: Box | null;
}

/**
 * Starts a Docker sandbox pool; in `pool` mode every container is up and has said hello on return.
 * A factory: its length is the pool's methods, which share the containers, slots and engine-wait state it closes over.
 */
export async function createDockerSandbox(docker: Docker, opts: DockerSandboxOptions): Promise<SandboxPool> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${opts.workers}`);
  }
  const runnerPath = opts.runnerPath !== undefined ? path.resolve(opts.runnerPath) : undefined;
  // Container names are per pool; the run label may be shared by several pools of one run.
  const poolId = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const runId = opts.labels?.[RUN_LABEL] ?? poolId;
  const imageId = await inspectImage(docker, opts.image);
  const runtime = await resolveRuntime(docker, opts.runtime);
  const info: SandboxInfo = {
    backend: "docker",
    isolation: opts.isolation,
    image: opts.image,
    imageId,
    workers: opts.workers,
    hashSeed: opts.hashSeed,
  };

  let seq = 0;
  let closed = false;
  let closing: Promise<void> | null = null;
  /** Every container made and not yet removed, so close() can remove even half-started ones. */
  const live = new Map<string, Docker.Container>();
  const starting = new Set<Promise<unknown>>();
  const removals = new Set<Promise<void>>();

  /** Containers whose removal failed (the engine was away): removed once it is back, or at close. */
  const orphans = new Set<Docker.Container>();
  const engineWaitMs = (opts.engineWaitSeconds ?? DEFAULT_ENGINE_WAIT_SECONDS) * 1000;
  let engineWait: Promise<void> | null = null;

  const closedFault = (): SandboxFault => new SandboxFault(`sandbox pool ${poolId} is closed`);

  /** Whether the engine answers a ping now. */
  const engineAnswersNow = (): Promise<boolean> => engineAnswers(docker, ENGINE_PING_TIMEOUT_MS);

  /** Waits until the engine answers again; every job that saw it go shares one wait. */
  const awaitEngine = (jobId: string): Promise<void> => {
    engineWait ??= (async () => {
      const seconds = engineWaitMs / 1000;
      // With no wait (a pool of a multi-engine pool), the owner says what becomes of the jobs.
      if (engineWaitMs > 0) opts.log?.(`the Docker engine at ${engineAddress(docker)} stopped answering; waiting up to ${seconds} s for it to come back`);
      const deadline = Date.now() + engineWaitMs;
      const started = Date.now();
      for (;;) {
        if (closed) throw closedFault();
        if (await engineAnswersNow()) break;
        if (Date.now() >= deadline) {
          throw new SetupError(
            `the Docker engine at ${engineAddress(docker)} stopped answering while job ${jobId} ran, and did not come back within ${seconds} s`,
          );
        }
        await new Promise((r) => setTimeout(r, ENGINE_POLL_MS));
      }
      opts.log?.(`the Docker engine is back after ${((Date.now() - started) / 1000).toFixed(1)} s; carrying on`);
      // What the outage stranded (containers it killed and we could not remove) goes now.
      await Promise.allSettled([...orphans].map((c) => removeContainer(c)));
    })().finally(() => {
      engineWait = null;
    });
    return engineWait;
  };

  /** Creates, attaches, starts a container and waits for its runner's hello. */
  const startBox = async (): Promise<Box> => {
    const name = `verdict-${poolId}-${++seq}`;
    let container: Docker.Container;
    try {
      container = await docker.createContainer(
        containerSpec(opts, {
          runId,
          isolation: opts.isolation,
          name,
          gvisor: runtime.gvisor,
          ...(runnerPath !== undefined ? { runnerPath } : {}),
        }),
      );
    } catch (err) {
      throw new SandboxFault(`cannot create container ${name}: ${dockerErrorText(err)}`);
    }
    live.set(container.id, container);
    let socket: Duplex | null = null;
    try {
      if (closed) throw closedFault();
      // Attach before start so not one byte of the runner's output (its hello) is missed.
      socket = (await container.attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })) as unknown as Duplex;
      const out = new PassThrough();
      const err = new PassThrough();
      docker.modem.demuxStream(socket, out, err);
      // demuxStream never ends its targets; the runner's EOF must reach the connection.
      const finish = (): void => {
        out.end();
        err.end();
      };
      socket.once("end", finish);
      socket.once("close", finish);
      socket.on("error", (e) => out.destroy(e));
      const conn = createRunnerConnection(
        { input: socket, output: out, diagnostics: err },
        { label: name, ...(opts.readySeconds !== undefined ? { readyTimeoutMs: opts.readySeconds * 1000 } : {}) },
      );
      await container.start();
      await conn.ready;
      if (closed) throw closedFault();
      return { name, container, socket, conn };
    } catch (err) {
      socket?.destroy();
      await removeContainer(container);
      throw err instanceof SandboxFault ? err : new SandboxFault(`cannot start container ${name}: ${dockerErrorText(err)}`);
    }
  };

  const trackedStart = (): Promise<Box> => {
    const p = startBox();
    starting.add(p);
    void p.then(
      () => starting.delete(p),
      () => starting.delete(p),
    );
    return p;
  };

  const removeContainer = async (container: Docker.Container): Promise<void> => {
    try {
      await container.remove({ force: true });
    } catch (err) {
      // Already gone (404) or already being removed (409): either way it is not ours to wait for.
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) {
        // Kept for a later attempt (the engine may be away): close() must not leak it.
        orphans.add(container);
        throw new SandboxFault(`cannot remove container ${container.id.slice(0, 12)}: ${dockerErrorText(err)}`);
      }
    }
    orphans.delete(container);
    live.delete(container.id);
  };

  /** Tears a box down; with `why`, first asks Docker what became of it, for the fault message. */
  const retire = async (box: Box, why?: SandboxFault): Promise<string> => {
    let detail = why?.message ?? "";
    box.conn.close();
    if (why) detail += await postMortem(box.container);
    box.socket.destroy();
    await removeContainer(box.container).catch(() => undefined);
    return detail;
  };

  const slots: Slot[] = Array.from({ length: opts.workers }, () => ({ box: null }));
  const idle: Slot[] = [...slots];
  const waiters: { resolve(slot: Slot): void; reject(err: SandboxFault): void }[] = [];

  const acquire = (): Promise<Slot> => {
    const slot = idle.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };
  const release = (slot: Slot): void => {
    const next = waiters.shift();
    if (next) next.resolve(slot);
    else idle.push(slot);
  };

  if (opts.isolation === "pool") {
    const started = await Promise.allSettled(slots.map(() => trackedStart()));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      await Promise.allSettled(
        started.flatMap((s) => (s.status === "fulfilled" ? [retire(s.value)] : [])),
      );
      throw failed.reason;
    }
    started.forEach((s, i) => {
      if (s.status === "fulfilled") slots[i]!.box = s.value;
    });
  }

  const run = async (job: Job, onControl?: (control: JobControl) => void): Promise<RawJobResult> => {
    if (closed) throw closedFault();
    // A malformed job is a bug on this side: refuse it before a container is spent on it.
    perTestSeconds(job.limits, job.tests.length);
    const slot = await acquire();
    const started = Date.now();
    let handedOff = false;
    try {
      let first: string | null = null;
      let outages = 0;
      let notReady = 0;
      for (;;) {
        if (closed) throw closedFault();
        // A pool container that died while idle never saw this job: replacing it is not a retry.
        if (slot.box?.conn.fault) {
          const dead = slot.box;
          slot.box = null;
          await retire(dead);
        }
        let box: Box | null = null;
        try {
          box = slot.box ?? (await trackedStart());
          slot.box = box;
          const result = await box.conn.run(job, onControl);
          if (opts.isolation === "fresh") {
            // The caller has its result now; the slot frees only once the container is gone,
            // so at most `workers` containers ever exist.
            slot.box = null;
            handedOff = true;
            const removal = retire(box)
              .then(() => undefined)
              .finally(() => {
                removals.delete(removal);
                release(slot);
              });
            removals.add(removal);
          }
          return result;
        } catch (err) {
          if (!(err instanceof SandboxFault)) throw err;
          slot.box = null;
          if (box && runtime.gvisor && !(err instanceof RunnerNotReady) && (await oomKilled(box.container))) {
            await retire(box);
            return sandboxOomResult(job, (Date.now() - started) / 1000);
          }
          const detail = box ? await retire(box, err) : err.message;
          if (closed) throw new SandboxFault(`sandbox pool ${poolId} closed while job ${job.id} ran`);
          if (err instanceof RunnerNotReady) {
            // The container never saw this job: its cleanup after the last one overran. That
            // job kept its result; this one runs in a new container, its retry unspent.
            opts.log?.(`replaced container ${box?.name ?? "?"}: ${err.message}`);
            if (++notReady > MAX_NOT_READY_PER_JOB) throw new SandboxFault(`job ${job.id}: ${notReady} containers in a row were not ready: ${detail}`);
            continue;
          }
          if (!(await engineAnswersNow())) {
            // The engine went away under the job: not the job's fault, so its retry is not spent.
            if (++outages > MAX_ENGINE_OUTAGES_PER_JOB) {
              throw new SetupError(`the Docker engine at ${engineAddress(docker)} went away ${outages} times during job ${job.id}`);
            }
            await awaitEngine(job.id);
            continue;
          }
          if (first !== null) {
            throw new SandboxFault(`job ${job.id}: sandbox fault, then again on retry in a new container: ${first} | retry: ${detail}`);
          }
          first = detail;
        }
      }
    } finally {
      if (!handedOff) release(slot);
    }
  };

  const close = (): Promise<void> => {
    if (closing) return closing;
    closed = true;
    closing = (async () => {
      for (const w of waiters.splice(0)) w.reject(closedFault());
      await Promise.allSettled([...starting]);
      const boxes = slots.flatMap((s) => (s.box ? [s.box] : []));
      for (const s of slots) s.box = null;
      await Promise.allSettled(boxes.map((b) => retire(b)));
      await Promise.allSettled([...removals]);
      // Whatever is left (a container whose start was cut short) goes too.
      await Promise.allSettled([...live.values()].map((c) => removeContainer(c)));
      // A create whose answer was lost (the engine died mid-request) made a container `live`
      // never saw; the pool's name prefix finds it.
      try {
        const stray = await docker.listContainers({ all: true, filters: { name: [`verdict-${poolId}-`] } });
        await Promise.allSettled(stray.map((c) => docker.getContainer(c.Id).remove({ force: true })));
      } catch {
        // The engine is away; whatever is left carries verdict.managed=1 for `verdict sandbox prune`.
      }
    })();
    return closing;
  };

  return { info, run, close };
}

/**
 * The result of a job whose gVisor sandbox the host OOM-killed: its processes passed the
 * container's memory. Which test was running died with the runner, so the load carries it.
 */
function sandboxOomResult(job: Job, wallSeconds: number): RawJobResult {
  return {
    id: job.id,
    load: { st: "memory", msg: "the sandbox was killed by the host's out-of-memory killer (gVisor has none inside)" },
    tests: job.tests.map((_, i) => ({ i, st: "skipped" as const })),
    stdout: "",
    stderr: "",
    maxRssKb: 0,
    wallSeconds,
  };
}
