import type { Job, JobControl, RawJobResult } from "./job.js";

/** The isolation modes, in the order `--isolation` lists them (the one list every schema and flag uses). */
export const ISOLATION_MODES = ["pool", "fresh"] as const;

/** `pool`: warm containers, one fork per job. `fresh`: one new container per job. */
export type Isolation = (typeof ISOLATION_MODES)[number];

/** Container-level settings shared by every backend. */
export interface SandboxOptions {
  image: string;
  isolation: Isolation;
  /** Jobs that may run at once (containers in the pool). */
  workers: number;
  /** Container memory cap in MiB (a backstop; each job also has its own limit). */
  memoryMb: number;
  /** CPUs per container. */
  cpus: number;
  pidsLimit: number;
  /**
   * The engine's OCI runtime for the containers (`runc`, `runsc` for gVisor); default: the
   * engine's default runtime. Must be registered with the engine.
   */
  runtime?: string;
  /** Size of the container's writable tmpfs, in MiB. */
  tmpfsMb: number;
  /** PYTHONHASHSEED for every process in the sandbox (reference and candidates alike). */
  hashSeed: number;
  /** Extra labels on every container (all get `verdict.managed=1`). */
  labels?: Record<string, string>;
}

/** What a run manifest records about the sandbox. */
export interface SandboxInfo {
  backend: string;
  isolation: Isolation;
  image: string;
  imageId: string;
  /** Jobs at once: on several engines, the sum of theirs. */
  workers: number;
  hashSeed: number;
  /** The OCI runtime the containers run under (`runc`, `runsc`), when the backend has one. */
  runtime?: string;
  /** Each Docker engine the pool runs on (one for `docker`, several for `engines`). */
  engines?: EngineRecord[];
}

/** One Docker engine of a pool, as a manifest records it. */
export interface EngineRecord {
  /** The entry's label (`name=`, else its URL). */
  label: string;
  /** The engine's own ID (`docker info`). */
  id: string;
  /** Docker's version on it. */
  version: string;
  /** The OCI runtime its containers run under there. */
  runtime: string;
  cpus: number;
  workers: number;
  /** The sandbox image's ID on it (the same on every engine: it is checked). */
  image_id: string;
}

/** What one engine of a pool did in a run, as summary.json records it. */
export interface EngineSummary extends EngineStats {
  /** Its jobs over the run's wall time. */
  jobs_per_second: number;
}

/** What one engine of a pool did (summary.json, the final manifest, progress). */
export interface EngineStats extends EngineRecord {
  /** Jobs whose result it gave. */
  jobs: number;
  /** Seconds its slots spent on those jobs (and on attempts an outage cut short). */
  busy_seconds: number;
  /** Jobs that ended in a sandbox fault on it (after their retry there). */
  faults: number;
  /** Times it stopped answering and was taken out of the pool. */
  outages: number;
  /** Jobs it held when it went away, put back in the queue for the others. */
  requeued: number;
  /** Whether it is in the pool now (false while it is away). */
  up: boolean;
}

/**
 * The sandbox contract: run jobs, hand back raw results. An infrastructure fault is retried
 * once in a fresh container inside `run`; a second fault throws SandboxFault.
 */
export interface SandboxPool {
  readonly info: SandboxInfo;
  /**
   * Runs a job. Where the backend can steer a running job (a warm pool's runner), `onControl`
   * gets its control each time the job starts on a worker (again on a retry).
   */
  run(job: Job, onControl?: (control: JobControl) => void): Promise<RawJobResult>;
  close(): Promise<void>;
  /** What each engine did so far (pools spanning several engines). */
  engineStats?(): EngineStats[];
}
