/**
 * One runner process behind a byte stream: frames to its fd 0, frames from its fd 1,
 * diagnostics from its fd 2. It hands out one job at a time and turns every way the runner
 * can let us down (EOF, garbage, silence) into a SandboxFault, after which the connection is
 * dead and its owner replaces the runner.
 */
import type { Readable, Writable } from "node:stream";
import { RunnerNotReady, SandboxFault } from "../core/errors.js";
import type { CutSpan, Job, JobControl, RawJobResult } from "../core/job.js";
import { createFrameDecoder, encodeFrame } from "./framing.js";
import {
  maxResultFrameBytes,
  parseHello,
  parseResult,
  perTestSeconds,
  jobBudgetSeconds,
  toWireJob,
  type RunnerHello,
} from "./wire.js";

/** The three stdio streams of one runner process, as seen from the host. */
export interface RunnerStreams {
  /** The runner's fd 0: frames to it. */
  input: Writable;
  /** The runner's fd 1: frames from it. */
  output: Readable;
  /** The runner's fd 2: free-form diagnostics; only a tail is kept, for fault messages. */
  diagnostics?: Readable;
}

/** Settings for one connection. */
export interface RunnerConnectionOptions {
  /** Names the runner in fault messages (a container name, a pid). */
  label: string;
  /** How long the runner may take to say hello after the connection is made. */
  helloTimeoutMs?: number;
  /**
   * The largest frame accepted from the runner; a bigger one is a fault. A job whose limits
   * allow a bigger result raises it for that job.
   */
  maxFrameBytes?: number;
  /**
   * How long the runner may take, after a result, to say it is ready for the next job (it
   * empties the scratch space first). Past it the connection faults with RunnerNotReady.
   */
  readyTimeoutMs?: number;
}

/** A live runner that takes one job at a time. */
export interface RunnerConnection {
  /** Resolves with the runner's hello; rejects with SandboxFault if it never comes. */
  readonly ready: Promise<RunnerHello>;
  /**
   * Runs one job; rejects with SandboxFault on timeout, EOF or garbage (the connection is then
   * dead). `onControl` gets the job's control once it is sent: the host may cut it short.
   */
  run(job: Job, onControl?: (control: JobControl) => void): Promise<RawJobResult>;
  /** Round-trips a ping frame; rejects with SandboxFault if no pong comes within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>;
  /** Why the connection is unusable, or null while it is healthy. */
  readonly fault: SandboxFault | null;
  /** The last bytes the runner wrote to its diagnostics stream. */
  diagnosticsTail(): string;
  /** Asks the runner to exit and stops listening; safe to call twice. */
  close(): void;
}

const DEFAULT_HELLO_TIMEOUT_MS = 30_000;
/** Emptying a scratch space of the most inodes its tmpfs allows takes well under a second. */
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
const DIAGNOSTICS_TAIL_BYTES = 4096;
/** Fixed slack on top of the job's own limits (see hostTimeoutSeconds). */
const HOST_MARGIN_SECONDS = 5;
/** Proportional slack, for long jobs on a loaded machine. */
const HOST_MARGIN_FACTOR = 1.25;
/** The per-sample budget's wall-clock backstop, as a factor of the budget (runner.py SAMPLE_WALL_FACTOR). */
const RUNNER_SAMPLE_WALL_FACTOR = 1.5;
/** How long the runner waits for a child that has sent everything to exit (runner.py). */
const RUNNER_EXIT_GRACE_SECONDS = 2;

/**
 * The host-side deadline for one job, in seconds.
 *
 * The runner enforces the real limits (load and each test) and reports them as outcomes. This
 * deadline only catches a runner that is wedged, so it must never fire first: it covers the
 * worst case the runner can legitimately take — every test running to its limit, and every
 * child process it may fork loading the program to its limit and then lingering for the
 * runner's exit grace — plus slack for forking, the runner's cleanup after each child (kill,
 * reap, emptying /tmp), moving frames through Docker, and a busy machine's scheduling delays.
 * Were it tighter, a program's ordinary timeout would surface as a sandbox fault instead of a
 * `timeout` verdict.
 */
export function hostTimeoutSeconds(job: Job): number {
  const tests = perTestSeconds(job.limits, job.tests.length);
  const children = maxChildren(job);
  let budget = tests.reduce((a, b) => a + b, 0) + children * (job.limits.loadSeconds + RUNNER_EXIT_GRACE_SECONDS);
  // A per-sample budget stops the whole job sooner: at its wall backstop at the latest.
  const sample = jobBudgetSeconds(job);
  if (sample !== undefined) budget = Math.min(budget, RUNNER_SAMPLE_WALL_FACTOR * sample + children * RUNNER_EXIT_GRACE_SECONDS);
  return budget * HOST_MARGIN_FACTOR + HOST_MARGIN_SECONDS;
}

/**
 * How many child processes the runner may fork for a job: one per stdio test, one per run of
 * other tests between them, and with `continueAfterCrash` a new one after any test.
 */
function maxChildren(job: Job): number {
  if (job.tests.length === 0) return 1;
  if (job.continueAfterCrash) return job.tests.length;
  let children = 0;
  job.tests.forEach((t, k) => {
    if (t.kind === "stdio" || k === 0 || job.tests[k - 1]?.kind === "stdio") children++;
  });
  return children;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(err: SandboxFault): void;
  timer: NodeJS.Timeout;
}

/** Checks the runner's answer to a cut request: its id, and the span cut off the running job (null: nothing was cut). */
function parseCutAnswer(message: unknown, running: Job | undefined): { id: number; span: CutSpan | null } {
  const m = message as { id?: unknown; from?: unknown; to?: unknown; used?: unknown };
  if (!Number.isSafeInteger(m.id)) throw new SandboxFault(`malformed cut answer ${JSON.stringify(message).slice(0, 200)}`);
  const id = m.id as number;
  if (m.from === null && m.to === null) return { id, span: null };
  const n = running?.tests.length ?? 0;
  if (!Number.isSafeInteger(m.from) || !Number.isSafeInteger(m.to) || (m.from as number) < 1 || (m.to as number) > n || (m.to as number) - (m.from as number) < 2) {
    throw new SandboxFault(`malformed cut answer ${JSON.stringify(message).slice(0, 200)}`);
  }
  const used = typeof m.used === "number" && Number.isFinite(m.used) && m.used >= 0 ? { usedCpuSeconds: m.used } : {};
  return { id, span: { from: m.from as number, to: m.to as number, ...used } };
}

/** Wraps a runner's streams in a connection; the hello timeout starts now. (A factory: its length is the connection's methods, which share the stream state it closes over.) */
export function createRunnerConnection(streams: RunnerStreams, opts: RunnerConnectionOptions): RunnerConnection {
  const { input, output, diagnostics } = streams;
  const baseMaxFrame = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const decoder = createFrameDecoder(baseMaxFrame);
  let tail = Buffer.alloc(0);
  let fault: SandboxFault | null = null;
  let hello: RunnerHello | null = null;
  let job: (Pending<RawJobResult> & { job: Job }) | null = null;
  let ping: Pending<void> | null = null;
  /** Set from a result until the runner says `ready`: it is emptying its scratch space. */
  let cleaning: { done: Promise<void>; resolve(): void; reject(err: SandboxFault): void; after: string } | null = null;
  /** What holds the runner (a job or a ping), from the moment run() or ping() is called. */
  let busy: string | null = null;
  /** Cut requests waiting for their answer (control.py), and those whose job ended first: their answer comes later and is dropped. */
  const cuts = new Map<number, (span: CutSpan | null) => void>();
  const staleCuts = new Set<number>();
  let cutSeq = 0;
  /** Every cut request waiting gets `null` (its job is over, or the connection is). */
  const settleCuts = (stale: boolean): void => {
    for (const [id, resolve] of cuts) {
      if (stale) staleCuts.add(id);
      resolve(null);
    }
    cuts.clear();
  };

  const diagnosticsTail = (): string => tail.toString("utf8").replace(/^\uFFFD+/, "");

  /** Marks the connection dead and fails whatever waits on it. */
  const breakdown = (reason: string, Fault: typeof SandboxFault = SandboxFault): void => {
    if (fault) return;
    const stderr = diagnosticsTail().trim();
    fault = new Fault(`runner ${opts.label}: ${reason}${stderr ? `; runner stderr: ${stderr.slice(-1000)}` : ""}`);
    clearTimeout(helloTimer);
    rejectHello(fault);
    cleaning?.reject(fault);
    cleaning = null;
    for (const p of [job, ping]) {
      if (p) {
        clearTimeout(p.timer);
        p.reject(fault);
      }
    }
    job = null;
    ping = null;
    settleCuts(false);
    output.off("data", onData);
  };

  let resolveHello!: (h: RunnerHello) => void;
  let rejectHello!: (e: SandboxFault) => void;
  const ready = new Promise<RunnerHello>((resolve, reject) => {
    resolveHello = resolve;
    rejectHello = reject;
  });
  // Nobody may be awaiting `ready` when the runner dies; the fault is reported by run() then.
  ready.catch(() => undefined);
  const helloTimer = setTimeout(
    () => breakdown(`no hello within ${(opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS) / 1000} s`),
    opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS,
  );

  const onMessage = (message: unknown): void => {
    const op = typeof message === "object" && message !== null ? (message as { op?: unknown }).op : undefined;
    if (hello === null) {
      hello = parseHello(message);
      clearTimeout(helloTimer);
      resolveHello(hello);
      return;
    }
    if (op === "cut") {
      const { id, span } = parseCutAnswer(message, job?.job);
      if (staleCuts.delete(id)) return;
      const waiter = cuts.get(id);
      if (waiter === undefined) throw new SandboxFault(`unexpected cut answer ${JSON.stringify(message).slice(0, 200)}`);
      cuts.delete(id);
      waiter(span);
      return;
    }
    if (op === "result" && job) {
      const p = job;
      const result = parseResult(message, p.job);
      job = null;
      // A cut the runner had not read when the job ended: it answers once the job is over.
      settleCuts(true);
      clearTimeout(p.timer);
      let settle!: Pick<NonNullable<typeof cleaning>, "resolve" | "reject">;
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      done.catch(() => undefined); // nobody may be waiting when the runner dies
      cleaning = { done, ...settle, after: p.job.id };
      p.resolve(result);
      return;
    }
    if (op === "ready" && cleaning) {
      cleaning.resolve();
      cleaning = null;
      return;
    }
    if (op === "pong" && ping) {
      const p = ping;
      ping = null;
      clearTimeout(p.timer);
      p.resolve();
      return;
    }
    if (op === "error") {
      const text = (message as { message?: unknown }).message;
      throw new SandboxFault(`runner refused a frame: ${typeof text === "string" ? text : JSON.stringify(message)}`);
    }
    // The runner speaks only when spoken to; anything else on its stdout means the channel
    // is no longer the runner's alone, and nothing more read from it can be trusted.
    throw new SandboxFault(`unexpected frame ${JSON.stringify(message).slice(0, 200)}`);
  };

  function onData(chunk: Buffer): void {
    try {
      for (const message of decoder.push(chunk)) {
        onMessage(message);
        if (fault) return;
      }
    } catch (err) {
      breakdown(err instanceof SandboxFault ? err.message : `bad frame: ${(err as Error).message}`);
    }
  }

  output.on("data", onData);
  output.once("end", () => {
    breakdown(decoder.pending > 0 ? "output ended inside a frame" : "runner closed its output (it exited or the container died)");
  });
  output.once("close", () => breakdown("runner output closed"));
  output.on("error", (err) => breakdown(`output stream failed: ${err.message}`));
  input.on("error", (err) => breakdown(`input stream failed: ${err.message}`));
  diagnostics?.on("data", (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > DIAGNOSTICS_TAIL_BYTES) tail = tail.subarray(tail.length - DIAGNOSTICS_TAIL_BYTES);
  });
  diagnostics?.on("error", () => undefined);

  const send = (message: unknown): void => {
    input.write(encodeFrame(message));
  };

  /** Waits until the runner is ready for a job (done cleaning up after the last one). */
  const awaitReady = async (): Promise<void> => {
    const c = cleaning;
    if (c === null) return;
    const ms = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        breakdown(`not ready within ${ms / 1000} s of the result of job ${c.after} (its cleanup overran)`, RunnerNotReady);
        resolve();
      }, ms);
    });
    try {
      await Promise.race([c.done, overrun]);
    } finally {
      clearTimeout(timer);
    }
    if (fault) throw fault;
  };

  return {
    ready,
    async run(j, onControl) {
      if (fault) throw fault;
      if (busy) throw new Error(`runner ${opts.label} is busy (${busy}); one job at a time`);
      const wire = toWireJob(j);
      const limitS = hostTimeoutSeconds(j);
      // Claimed before the first await, so two callers cannot both get past the check.
      busy = `job ${j.id}`;
      try {
        await ready;
        await awaitReady();
        if (fault) throw fault;
        // Room for the largest result this job can legitimately produce, never less than the base.
        decoder.maxFrameBytes = Math.max(baseMaxFrame, maxResultFrameBytes(j));
        return await new Promise<RawJobResult>((resolve, reject) => {
          const timer = setTimeout(
            () => breakdown(`no result for job ${j.id} within the host timeout of ${limitS.toFixed(1)} s (runner wedged)`),
            limitS * 1000,
          );
          job = { job: j, resolve, reject, timer };
          send(wire);
          const request = (now: boolean): Promise<CutSpan | null> =>
            new Promise<CutSpan | null>((resolveCut) => {
              if (fault || job?.job !== j) return resolveCut(null);
              const id = ++cutSeq;
              cuts.set(id, resolveCut);
              send(now ? { op: "cut", id, now: true } : { op: "cut", id });
            });
          onControl?.({ cut: () => request(false), cancel: () => request(true).then(() => undefined) });
        });
      } finally {
        busy = null;
      }
    },
    async ping(timeoutMs = 5000) {
      if (fault) throw fault;
      if (busy) throw new Error(`runner ${opts.label} is busy (${busy})`);
      busy = "ping";
      try {
        await ready;
        await awaitReady();
        if (fault) throw fault;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => breakdown(`no pong within ${timeoutMs / 1000} s`), timeoutMs);
          ping = { resolve, reject, timer };
          send({ op: "ping" });
        });
      } finally {
        busy = null;
      }
    },
    get fault() {
      return fault;
    },
    diagnosticsTail,
    close() {
      if (fault) return;
      if (!input.writableEnded && !input.destroyed) {
        try {
          send({ op: "exit" });
          input.end();
        } catch {
          // The runner is going away either way; its owner removes the process or container.
        }
      }
      breakdown("connection closed");
    },
  };
}
