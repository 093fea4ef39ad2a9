import type { Job, RawJobResult } from "../core/job.js";
import type { SandboxPool } from "../core/sandbox.js";
import type { BackendPoolOptions, SandboxBackend } from "../sandbox/backends.js";

/**
 * The pools of one session: every pool it opens goes through here, so an abort (or close)
 * removes the containers of whatever phase the session is in — the reference pool while
 * expected values are computed, the candidates' pool after.
 */
export interface SessionPools {
  /** Opens a pool through the backend; refused once stopped (and one that opens as the stop comes is closed). */
  open(options: BackendPoolOptions): Promise<SandboxPool>;
  /** The candidates' pool, started on first use with these options; every caller shares one start. */
  candidates(): Promise<SandboxPool>;
  /** The candidates' pool once it has started, else undefined. */
  startedCandidates(): SandboxPool | undefined;
  /** Whether the pools were closed (an abort or close). */
  readonly stopped: boolean;
  /** Closes every pool; later opens are refused. Safe to call twice. */
  closeAll(): Promise<void>;
}

/** Why an operation cannot go on: the abort's reason, or the session's close. */
export type StopReason = () => Error;

/** Tracks a session's pools (see SessionPools); `candidateOptions` is read when the candidates' pool starts. */
export function createSessionPools(backend: SandboxBackend, candidateOptions: () => BackendPoolOptions, stopReason: StopReason): SessionPools {
  const pools = new Set<SandboxPool>();
  let stopped = false;
  let closing: Promise<void> | undefined;
  let candidates: Promise<SandboxPool> | undefined;
  let started: SandboxPool | undefined;
  const open = async (options: BackendPoolOptions): Promise<SandboxPool> => {
    if (stopped) throw stopReason();
    const pool = await backend.open(options);
    pools.add(pool);
    if (stopped) {
      await pool.close();
      throw stopReason();
    }
    return pool;
  };
  return {
    open,
    candidates() {
      candidates ??= open(candidateOptions()).then((pool) => (started = pool));
      return candidates;
    },
    startedCandidates: () => started,
    get stopped() {
      return stopped;
    },
    closeAll() {
      stopped = true;
      // A start in flight is waited for: its pool closes itself as it opens (see open).
      closing ??= Promise.allSettled([...[...pools].map((p) => p.close()), candidates ?? Promise.resolve()]).then(() => undefined);
      return closing;
    },
  };
}

/** Runs a job in `pool`; an abort of `signal` rejects at once with its reason. */
export function runUnder(pool: SandboxPool, job: Job, signal: AbortSignal | undefined): Promise<RawJobResult> {
  return underSignal(pool.run(job), signal);
}

/** `work`, or its abort: the caller stops waiting at once with the signal's reason (the work itself goes on). */
export function underSignal<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
