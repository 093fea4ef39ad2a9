/**
 * Tail splitting: no worker idles while a sample still has tests to run. The session's sample
 * jobs go through here, so it knows how many are in the pool (running or queued there). When
 * fewer than the workers are — the end of a run, a slow stream of samples — the longest-running
 * sample is asked to give up the tests it has not started (control.py picks the cut by the
 * tests' CPU limits), and those run as a job of their own on the idle worker, with the same
 * limits; a part can be cut again when another worker frees up. The sample's result is merged
 * from its parts exactly as the one job would have given it (src/runner/split-merge.ts), or,
 * where that cannot be told (a program that keeps state between tests, among others), the job
 * runs again whole.
 *
 * Only jobs that can be cut are split: three tests or more, no whole-program (stdio) test. A
 * part gets what is left of its sample's CPU budget when it was cut; the merge checks the parts
 * together stayed well inside the whole budget. A sample is cut only once it has run for
 * MIN_AGE_MS: a short one is not worth a second job's start.
 */
import type { CutSpan, Job, JobControl, RawJobResult } from "../core/job.js";
import type { SandboxPool } from "../core/sandbox.js";
import { ENDS_PROCESS, mergeSplit, type SplitPart } from "./split-merge.js";
import { jobBudgetSeconds, perTestSeconds } from "../sandbox/wire.js";

/** When samples are split: at the tail (idle workers; the default), never, or each sample's job once, as soon as it runs (tests of the merging). */
export const SPLIT_MODES = ["tail", "off", "eager"] as const;
export type SplitMode = (typeof SPLIT_MODES)[number];

/** A sample is cut only once it has run this long (at the tail). */
const MIN_AGE_MS = 300;
/** A sample that had nothing to cut is asked again after this long (it may have been loading). */
const RETRY_MS = 250;
/** How often idle workers are looked for while some are idle and samples run. */
const TICK_MS = 100;
/** The least CPU budget a part gets (its sample had spent nearly all of it: the merge then runs it whole). */
const MIN_PART_BUDGET_SECONDS = 0.05;

/** What the splitter has done so far. */
export interface SplitStats {
  /** Cuts made (each started a part job). */
  cuts: number;
  /** Samples run again whole because their parts could not be merged exactly. */
  wholeAgain: number;
  /** Parts stopped because an earlier piece of their sample ended it (a crash, a timeout). */
  cancelled: number;
}

/** Runs sample jobs, splitting them across idle workers (see the module comment). */
export interface TailSplitter {
  run(job: Job): Promise<RawJobResult>;
  stats(): SplitStats;
}

/** One job running: a sample's, or a part of one. */
interface Piece {
  job: Job;
  /** The piece it was cut from, and where it starts in that piece's tests (a sample's own job: none). */
  parent?: Piece;
  from: number;
  control?: JobControl;
  startedAt: number;
  retryAt: number;
  cutting: boolean;
  /** Not needed any more: an earlier piece ended the sample. */
  cancelled: boolean;
  parts: { piece: Piece; to: number; result: Promise<PieceResult> }[];
}

/** A piece's result: whole, or why its parts could not be merged (its sample then runs again whole). */
type PieceResult = { ok: true; raw: RawJobResult } | { ok: false; why: string };

/** Whether a job can be cut at all (see the module comment). */
export function splittable(job: Job): boolean {
  return job.tests.length >= 3 && job.tests.every((t) => t.kind !== "stdio");
}

/** A splitter over the pool `pool()` gives, of `workers` workers. */
export function createTailSplitter(pool: () => Promise<SandboxPool>, workers: number, mode: SplitMode, log?: (line: string) => void): TailSplitter {
  const stats: SplitStats = { cuts: 0, wholeAgain: 0, cancelled: 0 };
  /** Jobs handed to the pool and not finished (queued there or running). */
  let inflight = 0;
  const running = new Set<Piece>();
  let ticker: NodeJS.Timeout | undefined;

  const rebalance = (): void => {
    const now = performance.now();
    const idle = workers - inflight;
    const ready = [...running]
      .filter((p) => p.control !== undefined && !p.cutting && !p.cancelled && now >= p.retryAt && (mode === "eager" ? p.parent === undefined && p.parts.length === 0 : now - p.startedAt >= MIN_AGE_MS))
      .sort((a, b) => a.startedAt - b.startedAt);
    const take = mode === "eager" ? ready : ready.slice(0, Math.max(0, idle - [...running].filter((p) => p.cutting).length));
    for (const p of take) void cut(p);
    // Look again soon while workers idle beside running samples (they age into being cut).
    const wanted = (mode === "eager" || idle > 0) && running.size > 0;
    if (wanted && ticker === undefined) {
      ticker = setInterval(rebalance, TICK_MS);
      ticker.unref();
    } else if (!wanted && ticker !== undefined) {
      clearInterval(ticker);
      ticker = undefined;
    }
  };

  const cut = async (p: Piece): Promise<void> => {
    const control = p.control as JobControl;
    p.cutting = true;
    try {
      const span = await control.cut().catch(() => null);
      if (span === null) {
        p.retryAt = performance.now() + RETRY_MS;
        return;
      }
      stats.cuts++;
      const part: Piece = newPiece(partJob(p.job, span), p, span.from);
      // A part that fails (the sandbox, twice) leaves its sample to run again whole: never a rejection nobody waits for.
      const result = runPiece(part).catch((e: unknown): PieceResult => ({ ok: false, why: `a part failed: ${(e as Error).message}` }));
      p.parts.push({ piece: part, to: span.to, result });
      if (p.cancelled) cancel(part);
    } finally {
      p.cutting = false;
    }
  };

  /** Stops a piece and every part cut from it: an earlier piece ended their sample. */
  const cancel = (p: Piece): void => {
    if (p.cancelled) return;
    p.cancelled = true;
    stats.cancelled++;
    void p.control?.cancel().catch(() => undefined);
    for (const part of p.parts) cancel(part.piece);
  };

  /** A piece ended its sample at its test `at`: every piece after it (its own parts, and later parts of those it was cut from) is not needed. */
  const endedAt = (p: Piece, at: number): void => {
    let node: Piece | undefined = p;
    let index = at;
    while (node !== undefined) {
      for (const part of node.parts) if (part.piece.from > index || (node === p && part.piece.from >= index)) cancel(part.piece);
      index = node.from;
      node = node.parent;
    }
  };

  /** Runs a piece and merges its parts; a part that cannot be merged leaves its sample to run again whole. */
  const runPiece = async (piece: Piece): Promise<PieceResult> => {
    const { job } = piece;
    inflight++;
    let raw: RawJobResult;
    try {
      raw = await (
        await pool()
      ).run(job, (control) => {
        // A retry after a fault runs the job whole again: a job cut once is not cut again.
        if (piece.parts.length > 0) return;
        piece.control = control;
        piece.startedAt = performance.now();
        if (piece.cancelled) void control.cancel().catch(() => undefined);
        running.add(piece);
        rebalance();
      });
    } finally {
      inflight--;
      running.delete(piece);
      rebalance();
    }
    if (piece.cancelled) return { ok: false, why: "not needed" };
    const ended = job.continueAfterCrash || raw.load.st !== "ok" ? -1 : raw.tests.findIndex((t) => ENDS_PROCESS.has(t.st));
    if (ended >= 0) {
      // Its own tests up to the end say everything: its parts, all cut off past it, do not count.
      endedAt(piece, ended);
      return mergeSplit(job, raw, []);
    }
    if (piece.parts.length === 0) return { ok: true, raw };
    const parts: SplitPart[] = [];
    for (const part of piece.parts) {
      const r = await part.result;
      // A part cancelled because an earlier piece ended the sample: the merge ends before it.
      if (part.piece.cancelled) continue;
      if (!r.ok) return r;
      parts.push({ from: part.piece.from, to: part.to, raw: r.raw });
    }
    return mergeSplit(job, raw, parts);
  };

  /** A sample's job, split where workers idle; run again whole when its parts cannot be merged exactly. */
  const runSample = async (job: Job): Promise<RawJobResult> => {
    const merged = await runPiece(newPiece(job, undefined, 0));
    if (merged.ok) return merged.raw;
    stats.wholeAgain++;
    log?.(`tail split: job ${job.id} runs again whole: ${merged.why}`);
    return runWhole(job);
  };

  /** A job never split, counted among those in the pool all the same. */
  const runWhole = async (job: Job): Promise<RawJobResult> => {
    inflight++;
    try {
      return await (await pool()).run(job);
    } finally {
      inflight--;
      rebalance();
    }
  };

  return {
    run: (job) => (mode !== "off" && splittable(job) ? runSample(job) : runWhole(job)),
    stats: () => ({ ...stats }),
  };
}

/** A piece of `job`, not started yet. */
function newPiece(job: Job, parent: Piece | undefined, from: number): Piece {
  return { job, ...(parent !== undefined ? { parent } : {}), from, startedAt: 0, retryAt: 0, cutting: false, cancelled: false, parts: [] };
}

/** The job that runs tests [from, to) of `job`, with their limits, and what is left of its CPU budget. */
function partJob(job: Job, span: CutSpan): Job {
  const budget = jobBudgetSeconds(job);
  return {
    ...job,
    id: `${job.id}[${span.from}:${span.to}]`,
    tests: job.tests.slice(span.from, span.to),
    limits: { ...job.limits, testSeconds: perTestSeconds(job.limits, job.tests.length).slice(span.from, span.to) },
    ...(budget !== undefined ? { sampleBudgetSeconds: Math.max(MIN_PART_BUDGET_SECONDS, budget - (span.usedCpuSeconds ?? 0)) } : {}),
  };
}
