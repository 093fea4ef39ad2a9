/**
 * What the two joins of a job run in parts have in common — a long reference sharded
 * (reference-shards.ts) and a sample split at the tail (split-merge.ts): which part cannot be
 * joined exactly, whether the joined values come near the job's room, and the joined result.
 */
import type { Job, RawJobResult, RawLoad, RawTestResult } from "../core/job.js";
import { jobValueLimit } from "../sandbox/wire.js";

/** The stdout and stderr prefix the runner keeps per stream (collect.py REPORT_BYTES): output that fills it may be more than a join can count. */
const REPORT_CHARS = 16 * 1024;

/** Why a part's result cannot be joined exactly (`what` names it: "the shard from test 3"), or undefined. */
export function partRefusal(raw: RawJobResult, what: string): string | undefined {
  if (raw.load.st !== "ok") return `${what} did not load (${raw.load.st})`;
  if (raw.stdout.length >= REPORT_CHARS || raw.stderr.length >= REPORT_CHARS) return `${what} printed more than a join can count`;
  return undefined;
}

/** Whether joined tests' values come near the job-wide room for them, which is counted in frames the host never sees. */
export function nearValueRoom(job: Job, tests: readonly RawTestResult[]): boolean {
  const values = tests.reduce((sum, r) => sum + (r.v === undefined ? 0 : JSON.stringify(r.v).length) + (r.msg?.length ?? 0), 0);
  return values * 2 > jobValueLimit(job.limits);
}

/** The CPU seconds of some results together, or undefined when one of them does not say. */
export function cpuOf(raws: readonly RawJobResult[]): number | undefined {
  return raws.every((r) => r.cpuSeconds !== undefined) ? raws.reduce((sum, r) => sum + (r.cpuSeconds ?? 0), 0) : undefined;
}

/**
 * The job's result joined from its parts: the output and peak memory of those it takes tests
 * from (`used`, in input order), the run time and CPU of every part that ran (`all`), as if one
 * process had done the work.
 */
export function joinedResult(job: Job, load: RawLoad, tests: RawTestResult[], used: readonly RawJobResult[], all: readonly RawJobResult[]): RawJobResult {
  const cpu = cpuOf(all);
  const engine = used[0]?.engine;
  return {
    id: job.id,
    load,
    tests,
    stdout: used.map((r) => r.stdout).join(""),
    stderr: used.map((r) => r.stderr).join(""),
    maxRssKb: Math.max(...used.map((r) => r.maxRssKb)),
    wallSeconds: all.reduce((sum, r) => sum + r.wallSeconds, 0),
    ...(cpu !== undefined ? { cpuSeconds: cpu } : {}),
    ...(engine !== undefined ? { engine } : {}),
  };
}
