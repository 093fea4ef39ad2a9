import type { Job, RawJobResult } from "./job.js";

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
  workers: number;
  hashSeed: number;
}

/**
 * The sandbox contract: run jobs, hand back raw results. An infrastructure fault is retried
 * once in a fresh container inside `run`; a second fault throws SandboxFault.
 */
export interface SandboxPool {
  readonly info: SandboxInfo;
  run(job: Job): Promise<RawJobResult>;
  close(): Promise<void>;
}
