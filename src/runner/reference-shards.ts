/**
 * Expected values sharded across workers: a task whose reference takes long (MBPP+'s Mbpp/255
 * and Mbpp/599 take a third of all the reference work) is run as several jobs, each a
 * contiguous range of its tests in input order, so no worker idles while one runs it alone.
 * Every job runs longest first (the best estimate of its time: the reference's own time in an
 * earlier computation, when there was one; a first computation runs every task whole, in order,
 * and tail splitting (tail-split.ts) cuts the long ones across the workers that idle at its end).
 *
 * A reference job runs every test (continueAfterCrash) with no per-sample budget, so each
 * test's value depends only on the program, the test and the process it runs in. The shards
 * are joined back into the one raw result the whole job would have given; where a shard shows
 * something the join cannot reproduce exactly (a load that did not succeed, a test not run,
 * a garbled frame, output or values near the job-wide limits), the task runs again whole.
 * What the join cannot see: a reference whose answers depend on state an earlier test left in
 * its process (benchmark references are pure functions), and the peak memory, which is the
 * largest shard's (the whole job's process may have held a little more).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Job, RawJobResult, RawTestResult } from "../core/job.js";
import type { SandboxPool } from "../core/sandbox.js";
import { joinedResult, nearValueRoom, partRefusal } from "./join-parts.js";
import { createTailSplitter } from "./tail-split.js";

/** What one shard should cost at most, as a share of the whole computation's floor (Σ time / workers). */
const SHARD_SHARE_OF_FLOOR = 1 / 8;
/** A shard below this many seconds is not worth a job's start (a fork and a load). */
const MIN_SHARD_SECONDS = 0.25;

/** One job of a task's reference run: tests [start, stop) of the whole job, numbered from 0 in it. */
export interface ReferenceShard {
  start: number;
  stop: number;
  job: Job;
  /** Estimated seconds (the scheduling order). */
  cost: number;
}

/** The most seconds a shard should take, given every task's estimated cost and the workers. */
export function shardSeconds(totalSeconds: number, workers: number): number {
  return Math.max(MIN_SHARD_SECONDS, (totalSeconds / Math.max(1, workers)) * SHARD_SHARE_OF_FLOOR);
}

/**
 * `job` cut into contiguous shards of at most `maxSeconds` each by `costs` (each test's
 * estimated seconds; a test above it is a shard alone), or the job whole when costs are unknown
 * (undefined, or not one per test) or it is small.
 */
export function shardReferenceJob(job: Job, costs: readonly number[] | undefined, maxSeconds: number): ReferenceShard[] {
  const n = job.tests.length;
  const total = costs?.reduce((a, b) => a + b, 0);
  if (costs === undefined || costs.length !== n || total === undefined || total <= maxSeconds || n < 2) {
    return [{ start: 0, stop: n, job, cost: total ?? 0 }];
  }
  const shards: ReferenceShard[] = [];
  let start = 0;
  let cost = 0;
  const close = (stop: number): void => {
    shards.push({ start, stop, cost, job: { ...job, id: `${job.id}[${start}:${stop}]`, tests: job.tests.slice(start, stop) } });
    start = stop;
    cost = 0;
  };
  costs.forEach((c, i) => {
    // (A hair over: sums of estimates are not exact.)
    if (i > start && cost + c > maxSeconds * (1 + 1e-9)) close(i);
    cost += c;
  });
  close(n);
  return shards.length === 1 ? [{ start: 0, stop: n, job, cost: total }] : shards;
}

/** The whole job's raw result from its shards' (in any order), or why it cannot be told exactly. */
export function joinShards(job: Job, shards: readonly { start: number; stop: number; raw: RawJobResult }[]): { ok: true; raw: RawJobResult } | { ok: false; why: string } {
  const ordered = [...shards].sort((a, b) => a.start - b.start);
  const tests: RawTestResult[] = [];
  for (const s of ordered) {
    if (s.start !== tests.length) return { ok: false, why: `no shard starts at test ${tests.length}` };
    const refused = partRefusal(s.raw, `the shard from test ${s.start}`);
    if (refused !== undefined) return { ok: false, why: refused };
    if (s.raw.tests.length !== s.stop - s.start) return { ok: false, why: `the shard from test ${s.start} reported ${s.raw.tests.length} of ${s.stop - s.start} tests` };
    for (const r of s.raw.tests) {
      if (r.st === "skipped" || r.st === "protocol") return { ok: false, why: `test ${s.start + r.i} was ${r.st} in its shard` };
      tests.push({ ...r, i: s.start + r.i });
    }
  }
  if (tests.some((r, k) => r.i !== k)) return { ok: false, why: "the shards' tests are not in input order" };
  if (tests.length !== job.tests.length) return { ok: false, why: `the shards ran ${tests.length} of ${job.tests.length} tests` };
  if (nearValueRoom(job, tests)) return { ok: false, why: "the values come near the job's room for them" };
  const raws = ordered.map((s) => s.raw);
  return { ok: true, raw: joinedResult(job, (ordered[0] as (typeof ordered)[number]).raw.load, tests, raws, raws) };
}

/** Each task's reference job, by task id, run as shards (see the module comment). */
export interface ReferenceRun {
  taskId: string;
  job: Job;
}

/** What the reference jobs' run gives: each task's raw result, and the tests' own run time summed (their floor is this over the workers). */
export interface ReferenceResults {
  raws: Map<string, RawJobResult>;
  runSeconds: number;
  jobs: number;
}

/**
 * Runs every task's reference job in `pool`, sharded by `costs` (each task's tests' seconds in
 * an earlier computation, see readCostHints) and longest first; `done` is called as each task's
 * result is in. A task whose shards cannot be joined exactly runs again whole.
 */
export async function runReferenceJobs(pool: SandboxPool, runs: readonly ReferenceRun[], costs: Record<string, number[]> | undefined, done: () => void, log?: (line: string) => void): Promise<ReferenceResults> {
  const total = runs.reduce((sum, r) => sum + (costs?.[r.taskId] ?? []).reduce((a, b) => a + b, 0), 0);
  const max = shardSeconds(total, pool.info.workers);
  const planned = runs.map((r) => ({ ...r, shards: shardReferenceJob(r.job, costs?.[r.taskId], max) }));
  // Longest first (a stable sort: tasks with no estimate keep their order, after those with one).
  const order = planned.flatMap((p) => p.shards.map((s) => ({ p, s }))).sort((a, b) => b.s.cost - a.s.cost);
  // Through tail splitting as well: a long task with no estimate yet (a first computation) is cut
  // across the workers that idle at the end.
  const splitter = createTailSplitter(() => Promise.resolve(pool), pool.info.workers, "tail", log);
  const started = new Map(order.map(({ s }) => [s, splitter.run(s.job)] as const));
  let jobs = order.length;
  const split = planned.filter((p) => p.shards.length > 1);
  if (split.length > 0) log?.(`expected values: ${split.length} long task(s) sharded into ${split.reduce((n, p) => n + p.shards.length, 0)} jobs (${split.map((p) => p.taskId).join(", ")})`);
  const entries = await Promise.all(
    planned.map(async (p) => {
      const parts = await Promise.all(p.shards.map(async (s) => ({ start: s.start, stop: s.stop, raw: await (started.get(s) as Promise<RawJobResult>) })));
      let raw = (parts[0] as (typeof parts)[number]).raw;
      if (parts.length > 1) {
        const joined = joinShards(p.job, parts);
        if (joined.ok) raw = joined.raw;
        else {
          log?.(`expected values: ${p.taskId}'s shards cannot be joined exactly (${joined.why}); running it again whole`);
          jobs++;
          raw = await pool.run(p.job);
        }
      }
      done();
      return [p.taskId, raw] as const;
    }),
  );
  const raws = new Map(entries);
  const { cuts, wholeAgain } = splitter.stats();
  if (cuts > 0) log?.(`expected values: ${cuts} cut(s) ran tests of a long task on an idle worker${wholeAgain > 0 ? `; ${wholeAgain} task(s) ran again whole` : ""}`);
  return { raws, runSeconds: [...raws.values()].reduce((sum, raw) => sum + testSeconds(raw), 0), jobs: jobs + cuts + wholeAgain };
}

/** The run time of a raw result's tests, as the runner measured them. */
export function testSeconds(raw: RawJobResult): number {
  return raw.tests.reduce((sum, t) => sum + (t.t ?? 0), 0);
}

/** Each task's tests' seconds from an earlier computation of the same tasks (`path`), or undefined when there was none. */
export function readCostHints(path: string): Record<string, number[]> | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { tasks?: unknown };
    const tasks = parsed.tasks;
    if (typeof tasks !== "object" || tasks === null) return undefined;
    const out: Record<string, number[]> = {};
    for (const [id, ts] of Object.entries(tasks)) {
      if (Array.isArray(ts) && ts.every((t) => typeof t === "number" && Number.isFinite(t) && t >= 0)) out[id] = ts as number[];
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Keeps each task's tests' seconds for the next computation's plan (written whole or not at all). */
export function writeCostHints(path: string, raws: ReadonlyMap<string, RawJobResult>): void {
  const tasks: Record<string, number[]> = {};
  for (const [id, raw] of raws) tasks[id] = raw.tests.map((t) => t.t ?? 0);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify({ tasks }));
  renameSync(`${path}.tmp`, path);
}
