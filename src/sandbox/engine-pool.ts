/**
 * A sandbox pool over several Docker engines (docs/ARCHITECTURE.md, "Scale beyond one machine"): one Docker
 * pool per engine (docker-sandbox.ts, that engine's `workers` containers) behind one shared
 * queue. Whenever a slot of an engine is free it takes the next job, so a faster engine takes
 * more of them; jobs leave the queue in the order they came (the scheduler hands them out
 * longest first), and a job an engine lost goes back to the front.
 *
 * Every dispatch carries an attempt number, and only the current attempt's result is taken.
 * When an engine stops answering (its daemon killed, the network cut: a fault it cannot explain,
 * or two heartbeats missed while it holds work), every job it held goes back to the front of the
 * queue with its retry unspent (a late answer of the lost attempt is ignored), and the engine is
 * tried again in the background with backoff: a fresh connection, the image checked (copied
 * again from an engine that has it), what its lost pool left removed, a new pool, and it takes
 * jobs again. If no engine is left for `engineWaitSeconds`, every waiting job fails with a
 * SetupError: a run stops with its verdicts kept, resumable as after any stop.
 */
import { randomBytes } from "node:crypto";
import pRetry from "p-retry";
import { SandboxFault, SetupError } from "../core/errors.js";
import type { Job, RawJobResult } from "../core/job.js";
import type { EngineRecord, EngineStats, SandboxInfo, SandboxPool } from "../core/sandbox.js";
import { createDockerSandbox, type DockerSandboxOptions } from "./docker-sandbox.js";
import { connectEngine, type ConnectedEngine } from "./engine-connect.js";
import { engineAnswers } from "./engine.js";
import { copyImage } from "./image-transfer.js";
import { imageId, pruneSandbox } from "./image.js";

/** The label that ties every container of one multi-engine pool together, on every engine. */
export const ENGINE_POOL_LABEL = "verdict.engine-pool";

/** An engine as the pool starts with it: connected, its runtime resolved. */
export interface PoolEngine {
  engine: ConnectedEngine;
  /** The OCI runtime its containers run under (the requested one, else its default). */
  runtime: string;
}

/** What a multi-engine pool is opened with. `workers` is ignored: each engine has its own. */
export interface EnginePoolOptions extends DockerSandboxOptions {
  engines: readonly PoolEngine[];
  /** The image's ID, the same on every engine (checked again when an engine rejoins). */
  imageId: string;
  /** Connects again to an engine that went away (default: connectEngine). */
  reconnect?: (engine: ConnectedEngine) => Promise<ConnectedEngine>;
}

/** How long a ping may take before the engine counts as not answering. */
const PING_TIMEOUT_MS = 5_000;
/** How often an engine that holds work is pinged; a network cut may end no stream for a long time. */
const HEARTBEAT_MS = 5_000;
/** Heartbeats in a row an engine may miss before it is taken out. */
const HEARTBEAT_MISSES = 2;
/** Times one job may be put back because its engine went away; more means engines are flapping. */
const MAX_LOSSES_PER_JOB = 5;
/** Default wait for some engine to come back once every engine is gone. */
const DEFAULT_ENGINE_WAIT_SECONDS = 120;
/** Backoff of the background reconnection (a try is one connection and a ping: cheap). */
const REJOIN_BACKOFF = { minTimeout: 500, maxTimeout: 5_000, factor: 2 } as const;

/** A job waiting for, or holding, a slot. */
interface Pending {
  job: Job;
  resolve(result: RawJobResult): void;
  reject(err: unknown): void;
  /** The current attempt: a dispatch whose number is not this one is stale. */
  attempt: number;
  losses: number;
}

/** One dispatch of a job to an engine. */
interface Dispatch {
  pending: Pending;
  attempt: number;
  started: number;
}

/** An engine of the pool, and what it did. */
interface Member {
  label: string;
  connected: ConnectedEngine;
  runtime: string;
  pool: SandboxPool | null;
  up: boolean;
  inflight: Set<Dispatch>;
  heartbeat: NodeJS.Timeout | undefined;
  pinging: boolean;
  misses: number;
  /** When it was last given a job (a count of dispatches). */
  lastDispatch: number;
  stats: { jobs: number; busy: number; faults: number; outages: number; requeued: number };
}

/**
 * Opens a Docker pool on every engine (all must start) and returns the pool over them.
 * A factory: its length is the scheduler's parts (queue, dispatch, loss, rejoin), which share
 * the engines and the queue it closes over.
 */
export async function createEnginePool(opts: EnginePoolOptions): Promise<SandboxPool> {
  if (opts.engines.length === 0) throw new RangeError("a multi-engine pool needs at least one engine");
  const poolId = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const log = opts.log ?? (() => {});
  const reconnect = opts.reconnect ?? ((e: ConnectedEngine) => connectEngine(e.endpoint));
  const waitMs = (opts.engineWaitSeconds ?? DEFAULT_ENGINE_WAIT_SECONDS) * 1000;
  const members: Member[] = opts.engines.map((e) => ({
    label: e.engine.endpoint.label,
    connected: e.engine,
    runtime: e.runtime,
    pool: null,
    up: false,
    inflight: new Set(),
    heartbeat: undefined,
    pinging: false,
    misses: 0,
    lastDispatch: 0,
    stats: { jobs: 0, busy: 0, faults: 0, outages: 0, requeued: 0 },
  }));
  const queue: Pending[] = [];
  const closer = new AbortController();
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  let dispatches = 0;
  let allGone: { timer: NodeJS.Timeout | undefined; error: SetupError | undefined } = { timer: undefined, error: undefined };

  const track = (p: Promise<unknown>): void => {
    const quiet = p.catch(() => undefined);
    pending.add(quiet);
    void quiet.finally(() => pending.delete(quiet));
  };
  const closedFault = (): SandboxFault => new SandboxFault(`sandbox pool ${poolId} is closed`);

  /** The Docker pool of one engine: its own workers, failing fast when its engine is away (the loss is handled here). */
  const openMember = (m: Member): Promise<SandboxPool> =>
    createDockerSandbox(m.connected.docker, {
      ...opts,
      workers: m.connected.workers,
      runtime: m.runtime,
      engineWaitSeconds: 0,
      labels: { ...opts.labels, [ENGINE_POOL_LABEL]: poolId },
      log: (line) => log(`${m.label}: ${line}`),
    });

  const elapsed = (d: Dispatch): number => (Date.now() - d.started) / 1000;
  const current = (m: Member, d: Dispatch): boolean => !closed && d.pending.attempt === d.attempt && m.inflight.has(d);

  /**
   * Hands queued jobs to free slots: the engine with the most room first, and among equals the
   * one that was given a job longest ago, so jobs one at a time still go round every engine.
   */
  const pump = (): void => {
    while (!closed && queue.length > 0) {
      let best: Member | undefined;
      let room = 0;
      for (const m of members) {
        if (!m.up || m.pool === null) continue;
        const free = (m.connected.workers - m.inflight.size) / m.connected.workers;
        if (free > room || (free === room && free > 0 && best !== undefined && m.lastDispatch < best.lastDispatch)) [best, room] = [m, free];
      }
      if (best === undefined) return;
      best.lastDispatch = ++dispatches;
      dispatch(best, queue.shift()!);
    }
  };

  const dispatch = (m: Member, p: Pending): void => {
    const d: Dispatch = { pending: p, attempt: ++p.attempt, started: Date.now() };
    m.inflight.add(d);
    startHeartbeat(m);
    const pool = m.pool!;
    pool.run(p.job).then(
      (result) => finish(m, d, () => {
        m.stats.jobs += 1;
        p.resolve({ ...result, engine: m.label });
      }),
      (err: unknown) => void failed(m, d, err),
    );
  };

  /** Ends a dispatch that is still current and lets the next job in. */
  const finish = (m: Member, d: Dispatch, settle: () => void): void => {
    if (!current(m, d)) return;
    m.inflight.delete(d);
    m.stats.busy += elapsed(d);
    settle();
    pump();
  };

  /** A dispatch failed: the job's own fault when its engine still answers, else the engine's loss. */
  const failed = async (m: Member, d: Dispatch, err: unknown): Promise<void> => {
    if (!current(m, d)) return;
    if (!(err instanceof SandboxFault) && !(err instanceof SetupError)) {
      finish(m, d, () => d.pending.reject(err));
      return;
    }
    // Its Docker pool gives up at once when its engine does not answer (a SetupError); a
    // fault while the engine answers is the job's, after its retry there.
    const answers = err instanceof SetupError ? false : await engineAnswers(m.connected.docker, PING_TIMEOUT_MS);
    if (!current(m, d)) return;
    if (answers) {
      finish(m, d, () => {
        m.stats.faults += 1;
        d.pending.reject(err);
      });
      return;
    }
    lose(m, `job ${d.pending.job.id}: ${err.message}`);
  };

  /** Takes an engine out: its jobs back to the front of the queue, its pool dropped, a rejoin started. */
  const lose = (m: Member, why: string): void => {
    if (!m.up || closed) return;
    m.up = false;
    m.stats.outages += 1;
    stopHeartbeat(m);
    const stranded = [...m.inflight];
    m.inflight.clear();
    const back: Pending[] = [];
    for (const d of stranded) {
      m.stats.busy += elapsed(d);
      const p = d.pending;
      // A new attempt number: whatever the lost one answers later is ignored.
      p.attempt += 1;
      if (++p.losses > MAX_LOSSES_PER_JOB) {
        p.reject(new SetupError(`job ${p.job.id}: ${p.losses} engines in a row went away while they ran it (${why})`));
      } else back.push(p);
    }
    queue.unshift(...back);
    m.stats.requeued += back.length;
    const left = members.filter((x) => x.up).length;
    log(`engine ${m.label} stopped answering (${why}); ${back.length} job(s) go back to the queue, ${left} engine(s) carry on; reconnecting in the background`);
    const old = m.pool;
    m.pool = null;
    if (old !== null) track(old.close());
    track(rejoin(m));
    if (left === 0) armAllGone();
    pump();
  };

  /** Reconnects an engine with backoff until it is back (or the pool closes). */
  const rejoin = async (m: Member): Promise<void> => {
    const lostAt = Date.now();
    await pRetry(
      async () => {
        if (closed) throw closedFault();
        const fresh = await reconnect(m.connected);
        await presentImage(fresh);
        // What the lost pool left there (its containers outlive a killed daemon) goes first.
        await pruneSandbox(fresh.docker, { labels: { [ENGINE_POOL_LABEL]: poolId } });
        m.connected = { ...fresh, workers: m.connected.workers };
        const pool = await openMember(m);
        if (closed) {
          await pool.close();
          throw closedFault();
        }
        m.pool = pool;
        m.up = true;
        m.misses = 0;
      },
      { retries: Number.POSITIVE_INFINITY, ...REJOIN_BACKOFF, signal: closer.signal, shouldRetry: () => !closed },
    );
    clearAllGone();
    log(`engine ${m.label} is back after ${((Date.now() - lostAt) / 1000).toFixed(1)} s; it takes jobs again`);
    pump();
  };

  /** The image with the pool's ID on an engine that rejoins: copied from an engine that is up when it lost it. */
  const presentImage = async (e: ConnectedEngine): Promise<void> => {
    if ((await imageId(e.docker, opts.image)) === opts.imageId) return;
    const source = members.find((x) => x.up);
    if (source === undefined) throw new SetupError(`${e.endpoint.label} lost the image ${opts.image} and no engine is up to copy it from`);
    await copyImage({ docker: source.connected.docker, label: source.label }, { docker: e.docker, label: e.endpoint.label }, opts.image, log);
  };

  const startHeartbeat = (m: Member): void => {
    m.heartbeat ??= setInterval(() => void beat(m), HEARTBEAT_MS);
    m.heartbeat.unref();
  };
  const stopHeartbeat = (m: Member): void => {
    clearInterval(m.heartbeat);
    m.heartbeat = undefined;
    m.misses = 0;
  };
  const beat = async (m: Member): Promise<void> => {
    if (m.inflight.size === 0 || !m.up) return stopHeartbeat(m);
    if (m.pinging) return;
    m.pinging = true;
    const answers = await engineAnswers(m.connected.docker, PING_TIMEOUT_MS);
    m.pinging = false;
    m.misses = answers ? 0 : m.misses + 1;
    if (m.misses >= HEARTBEAT_MISSES) lose(m, `it missed ${m.misses} heartbeats`);
  };

  /** Once no engine is left: waiting jobs fail after `engineWaitSeconds` unless one comes back. */
  const armAllGone = (): void => {
    allGone.timer ??= setTimeout(() => {
      const labels = members.map((m) => m.label).join(", ");
      allGone.error = new SetupError(`every engine of the pool (${labels}) stopped answering, and none came back within ${waitMs / 1000} s`);
      for (const p of queue.splice(0)) p.reject(allGone.error);
    }, waitMs);
  };
  const clearAllGone = (): void => {
    clearTimeout(allGone.timer);
    allGone = { timer: undefined, error: undefined };
  };

  // Every engine starts its pool; one that cannot is a setup problem, named.
  const opened = await Promise.allSettled(
    members.map(async (m) => {
      try {
        m.pool = await openMember(m);
        m.up = true;
      } catch (err) {
        throw new SetupError(`${m.connected.endpoint.source}: cannot start the sandbox pool there: ${(err as Error).message}`, { cause: err });
      }
    }),
  );
  const failure = opened.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure !== undefined) {
    await Promise.allSettled(members.map((m) => m.pool?.close()));
    throw failure.reason;
  }

  const record = (m: Member): EngineRecord => ({
    label: m.label,
    id: m.connected.info.id,
    version: m.connected.info.serverVersion,
    runtime: m.runtime,
    cpus: m.connected.info.cpus,
    workers: m.connected.workers,
    image_id: opts.imageId,
  });
  const runtimes = [...new Set(members.map((m) => m.runtime))];
  const info: SandboxInfo = {
    backend: "engines",
    isolation: opts.isolation,
    image: opts.image,
    imageId: opts.imageId,
    workers: members.reduce((n, m) => n + m.connected.workers, 0),
    hashSeed: opts.hashSeed,
    runtime: runtimes.join(","),
    engines: members.map(record),
  };

  return {
    info,
    run(job) {
      if (closed) return Promise.reject(closedFault());
      if (allGone.error !== undefined) return Promise.reject(allGone.error);
      return new Promise<RawJobResult>((resolve, reject) => {
        queue.push({ job, resolve, reject, attempt: 0, losses: 0 });
        pump();
      });
    },
    engineStats: (): EngineStats[] =>
      members.map((m) => ({
        ...record(m),
        jobs: m.stats.jobs,
        busy_seconds: m.stats.busy + [...m.inflight].reduce((s, d) => s + elapsed(d), 0),
        faults: m.stats.faults,
        outages: m.stats.outages,
        requeued: m.stats.requeued,
        up: m.up,
      })),
    async close() {
      if (closed) return;
      closed = true;
      closer.abort(closedFault());
      clearTimeout(allGone.timer);
      for (const p of queue.splice(0)) p.reject(closedFault());
      for (const m of members) {
        stopHeartbeat(m);
        for (const d of m.inflight) d.pending.reject(closedFault());
        m.inflight.clear();
        if (m.pool !== null) track(m.pool.close());
        m.pool = null;
        m.up = false;
      }
      await Promise.allSettled([...pending]);
    },
  };
}
