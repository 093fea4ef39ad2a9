/**
 * The Docker create options of a sandbox container: the runner as PID 1 behind attached stdio,
 * and every containment setting of docs/ARCHITECTURE.md ("The trust boundary", property 3).
 */
import type { ContainerCreateOptions } from "dockerode";
import type { Isolation, SandboxOptions } from "../core/sandbox.js";

/** Where the runner lives inside the image. */
export const RUNNER_PATH_IN_CONTAINER = "/opt/verdict/runner.py";

/** The command that starts the runner. */
export const RUNNER_COMMAND = ["python3", "-S", "-B", RUNNER_PATH_IN_CONTAINER] as const;

/** Every container verdict makes carries this label, so prune and crash cleanup can find them. */
export const MANAGED_LABEL = "verdict.managed";
/** The pool (run) a container belongs to. */
export const RUN_LABEL = "verdict.run";
/** `pool` or `fresh`. */
export const ISOLATION_LABEL = "verdict.isolation";

/** /dev/shm: small, since it counts against nothing else. */
const SHM_MB = 64;
/**
 * Inodes (files, directories, links) each scratch tmpfs holds at most. The runner empties the
 * scratch space after every job; without a cap a job could leave a million entries there and
 * stall that cleanup for many seconds. 16,384 of them take well under a second to remove.
 */
export const SCRATCH_INODES = 16_384;
/** Open files per process: plenty for a job, too few to exhaust the kernel's tables. */
const NOFILE = 1024;
/**
 * Under gVisor the container's pids limit counts the sandbox's own host threads, not the job's
 * processes: about 40 idle, and 30-45 more per job process in a fork bomb (a 64-process one
 * peaked at 2,031-2,937; docs/gvisor-notes.md). So a gVisor container gets this many host pids
 * per job process, and the runner holds the job to gvisorJobProcesses() with RLIMIT_NPROC
 * (counted inside the sandbox; under runc it would count uid 10000 across the host).
 */
export const GVISOR_PIDS_PER_PROCESS = 48;
/** The gVisor sandbox's own threads before any job runs, with room to spare. */
const GVISOR_PIDS_BASE = 128;
/**
 * Container memory per job process under gVisor: a forked Python costs ~10 MiB there (~1 MiB
 * under runc). The job's processes are capped to fit the container's memory too, so a fork
 * bomb meets its CPU limit, not the host's OOM killer (which would take the whole sandbox).
 */
const GVISOR_MB_PER_PROCESS = 16;

/** The job processes a gVisor container allows (RLIMIT_NPROC of the job uid): within the pids limit and the memory. */
export function gvisorJobProcesses(opts: Pick<SandboxOptions, "pidsLimit" | "memoryMb">): number {
  return Math.max(1, Math.min(opts.pidsLimit - 1, Math.floor(opts.memoryMb / GVISOR_MB_PER_PROCESS)));
}

/** Per-container values that are not sandbox-wide options. */
export interface ContainerSpecExtras {
  /** Value of the `verdict.run` label (one per pool). */
  runId: string;
  isolation: Isolation;
  name?: string;
  /**
   * A host path bind-mounted read-only over the image's runner script, for development (a
   * standalone script: the image's own runner package stays). Absent in production.
   */
  runnerPath?: string;
  /** Whether the container runs under gVisor (oci-runtime.ts): its pids limit and job process cap differ. */
  gvisor?: boolean;
}

/** Builds the dockerode create options for one sandbox container. */
export function containerSpec(opts: SandboxOptions, extras: ContainerSpecExtras): ContainerCreateOptions {
  const memoryBytes = Math.round(opts.memoryMb * 1024 * 1024);
  const gvisor = extras.gvisor === true;
  const jobProcesses = gvisorJobProcesses(opts);
  return {
    ...(extras.name !== undefined ? { name: extras.name } : {}),
    Image: opts.image,
    Cmd: [...RUNNER_COMMAND],
    Hostname: "sandbox",
    // Frames travel over the attached stdio: stdin stays open for the pool's whole life.
    OpenStdin: true,
    StdinOnce: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    // Nothing secret goes here: under gVisor a job can read the runner's /proc/1/environ.
    Env: [`PYTHONHASHSEED=${opts.hashSeed}`, ...(gvisor ? [`VERDICT_JOB_NPROC=${jobProcesses}`] : [])],
    Labels: {
      ...opts.labels,
      [MANAGED_LABEL]: "1",
      [RUN_LABEL]: extras.runId,
      [ISOLATION_LABEL]: extras.isolation,
    },
    HostConfig: {
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: {
        "/tmp": `rw,nosuid,nodev,size=${opts.tmpfsMb}m,nr_inodes=${SCRATCH_INODES},mode=1777`,
        // Mounted here rather than by Docker (ShmSize), which cannot cap its inodes.
        "/dev/shm": `rw,nosuid,nodev,size=${SHM_MB}m,nr_inodes=${SCRATCH_INODES},mode=1777`,
      },
      IpcMode: "private",
      Memory: memoryBytes,
      // Equal to Memory: no swap, so the memory cap is a real cap.
      MemorySwap: memoryBytes,
      NanoCpus: Math.round(opts.cpus * 1e9),
      PidsLimit: gvisor ? jobProcesses * GVISOR_PIDS_PER_PROCESS + GVISOR_PIDS_BASE : opts.pidsLimit,
      SecurityOpt: ["no-new-privileges"],
      CapDrop: ["ALL"],
      // The runner (root, PID 1) needs these to drop a job to uid 10000, kill whatever it
      // leaves behind, and prepare and empty its working directory; the job itself has none.
      CapAdd: ["SETUID", "SETGID", "KILL", "CHOWN", "DAC_OVERRIDE", "FOWNER"],
      Ulimits: [{ Name: "nofile", Soft: NOFILE, Hard: NOFILE }],
      // Frames are read from the attach stream; a log driver would only copy every job to disk.
      LogConfig: { Type: "none", Config: {} },
      // Removed explicitly, after its result is read and even when it crashed (post-mortem inspect).
      AutoRemove: false,
      // The runner is PID 1 on purpose: kill(-1, SIGKILL) from it reaches every other process.
      Init: false,
      ...(extras.runnerPath !== undefined ? { Binds: [`${extras.runnerPath}:${RUNNER_PATH_IN_CONTAINER}:ro`] } : {}),
      ...(opts.runtime !== undefined ? { Runtime: opts.runtime } : {}),
    },
  };
}
