import { cpus } from "node:os";
import type { JobLimits } from "../core/job.js";

/**
 * The sandbox's default limits: the one place every command, config schema and session takes
 * them from. Time limits are CPU time of all the job's processes, enforced by the runner from
 * outside the job, with a wall-clock backstop of 3×.
 */

/** Default per-job limits for candidate programs. */
export const DEFAULT_LIMITS: JobLimits = {
  testSeconds: 4,
  loadSeconds: 10,
  memoryMb: 4096,
  outputBytes: 8 * 1024 * 1024,
  valueBytes: 16 * 1024 * 1024,
};

/** Limits for trusted reference runs (expected values): generous, since the reference is trusted. */
export const REFERENCE_LIMITS: JobLimits = {
  testSeconds: 120,
  loadSeconds: 60,
  memoryMb: 12 * 1024,
  outputBytes: 64 * 1024 * 1024,
  // Must equal the candidates' limit: above it both sides send a digest instead of the value.
  valueBytes: DEFAULT_LIMITS.valueBytes,
};

/** Room the runner itself needs in a container on top of one job's memory limit. */
export const RUNNER_HEADROOM_MB = 256;

/** Container settings of every pool a session opens (CPUs, pids, scratch tmpfs). */
export const DEFAULT_CONTAINER = { cpus: 1, pidsLimit: 512, tmpfsMb: 256 } as const;

/** Default worker count: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, cpus().length);
}
