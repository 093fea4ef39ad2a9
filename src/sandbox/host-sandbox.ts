/**
 * !!! NO ISOLATION AT ALL !!!
 *
 * The runner protocol with `python3 -S -B runner.py --host` child processes on the host:
 * the program runs as the current user, with the host's network, files and processes in
 * reach. It exists ONLY as the physical no-sandbox reference for `verdict bench` (how much
 * do containers cost compared with plain processes?). It must never judge a sample and must
 * never be reachable from `verdict eval` or any other command that runs untrusted code;
 * docs/ARCHITECTURE.md, trust boundary property 5: nothing runs outside a sandbox.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { SandboxFault } from "../core/errors.js";
import type { Job, RawJobResult } from "../core/job.js";
import type { SandboxInfo, SandboxPool } from "../core/sandbox.js";
import { createRunnerConnection, type RunnerConnection } from "./runner-connection.js";

/** Options of the unisolated host backend (bench only). */
export interface HostSandboxOptions {
  workers: number;
  /** The runner script on this machine (sandbox-images/python/runner.py). */
  runnerPath: string;
  /** The Python interpreter; defaults to `python3` on PATH. */
  python?: string;
  /** PYTHONHASHSEED of every runner; defaults to 0. */
  hashSeed?: number;
}

interface Proc {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  conn: RunnerConnection;
}

/**
 * Starts `workers` unisolated runner processes on the host. Bench only: see the warning at
 * the top of this file.
 * A factory: its length is the pool's methods, which share the process slots it closes over.
 */
export async function createHostSandbox(opts: HostSandboxOptions): Promise<SandboxPool> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${opts.workers}`);
  }
  const runnerPath = path.resolve(opts.runnerPath);
  const python = opts.python ?? "python3";
  const hashSeed = opts.hashSeed ?? 0;
  const info: SandboxInfo = {
    backend: "host-unsandboxed",
    // The closest contract value: one warm process per worker, one fork per job.
    isolation: "pool",
    image: `${python} ${runnerPath} --host`,
    imageId: "none",
    workers: opts.workers,
    hashSeed,
  };
  let closed = false;
  let seq = 0;
  const procs = new Set<Proc>();

  const startProc = async (): Promise<Proc> => {
    const child = spawn(python, ["-S", "-B", runnerPath, "--host"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, PYTHONHASHSEED: String(hashSeed) },
    });
    const label = `host-${++seq}`;
    const conn = createRunnerConnection({ input: child.stdin, output: child.stdout, diagnostics: child.stderr }, { label });
    const proc = { child, conn };
    procs.add(proc);
    // A spawn failure (no such interpreter) arrives as an event, not a throw.
    child.once("error", (err) => child.stdout.destroy(err));
    try {
      await conn.ready;
    } catch (err) {
      stop(proc);
      throw err;
    }
    return proc;
  };

  const stop = (proc: Proc): void => {
    proc.conn.close();
    proc.child.kill("SIGKILL");
    procs.delete(proc);
  };

  const slots: { proc: Proc | null }[] = [];
  const started = await Promise.allSettled(Array.from({ length: opts.workers }, () => startProc()));
  for (const s of started) {
    if (s.status === "rejected") {
      for (const p of [...procs]) stop(p);
      throw s.reason;
    }
    slots.push({ proc: s.value });
  }
  const idle = [...slots];
  const waiters: ((slot: { proc: Proc | null }) => void)[] = [];

  const run = async (job: Job): Promise<RawJobResult> => {
    if (closed) throw new SandboxFault("host sandbox is closed");
    const slot = idle.pop() ?? (await new Promise<{ proc: Proc | null }>((resolve) => waiters.push(resolve)));
    try {
      let first: string | null = null;
      for (;;) {
        if (closed) throw new SandboxFault("host sandbox is closed");
        try {
          if (slot.proc?.conn.fault) {
            stop(slot.proc);
            slot.proc = null;
          }
          slot.proc ??= await startProc();
          return await slot.proc.conn.run(job);
        } catch (err) {
          if (!(err instanceof SandboxFault)) throw err;
          if (slot.proc) stop(slot.proc);
          slot.proc = null;
          if (first !== null) throw new SandboxFault(`job ${job.id}: runner fault, then again on retry: ${first} | retry: ${err.message}`);
          first = err.message;
        }
      }
    } finally {
      const next = waiters.shift();
      if (next) next(slot);
      else idle.push(slot);
    }
  };

  const close = async (): Promise<void> => {
    closed = true;
    for (const p of [...procs]) stop(p);
  };

  return { info, run, close };
}
