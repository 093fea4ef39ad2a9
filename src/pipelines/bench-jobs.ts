/**
 * What every bench section measures with: a figure (median, min, max of the runs) and jobs per
 * second, of trivial jobs through a session's pool or of any job. Its own module so the bench
 * and its sections (bench-tcg.ts, bench-engines.ts, bench-search.ts) share it without a circle.
 */
import pLimit from "p-limit";
import type { Job } from "../core/job.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";
import type { LocalJudgingSession } from "../session/session-options.js";

/** One measured figure: the median of its repeats, with min and max. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

/** The median, min and max of some runs of one measure. */
export function figure(runs: number[]): Figure {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs };
}

/** The bench's trivial job i: a call that returns its argument. */
export function trivialJob(i: number): Job {
  return {
    id: `trivial-${i}`,
    program: "def f(x):\n    return x\n",
    setup: "",
    tests: [{ kind: "call", fn: "f", args: [i] }],
    limits: { ...DEFAULT_LIMITS, memoryMb: 512 },
    continueAfterCrash: false,
  };
}

/** Jobs per second for `n` jobs, `concurrency` at a time; `one(i)` runs job i and checks it. */
export async function jobsPerSecond(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<number> {
  const limit = pLimit(concurrency);
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, (_, i) => limit(() => one(i))));
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Jobs per second through the session's pool for `n` trivial jobs, keeping every worker busy. */
export function trivialJobsPerSecond(session: LocalJudgingSession, n: number): Promise<number> {
  return jobsPerSecond(n, session.sandbox.workers * 2, async (i) => {
    const r = await session.runJob(trivialJob(i));
    if (r.tests[0]?.st !== "value" || r.tests[0].v !== i) throw new Error(`bench job ${i} failed: ${JSON.stringify(r.tests[0])}`);
  });
}
