/**
 * Tasks a caller brings with it (a task object in MBPP's schema sent to the judging service, or
 * a reward request's label) resolved exactly as a benchmark's are: asserts decomposed into a call
 * and an expected value, the expected values computed by running the task's own reference
 * solution (its `code`) in reference containers, and every decomposed test judged on the host.
 * Only an assert the decomposer cannot split runs whole in the job (its pass is weak), as in a
 * benchmark.
 *
 * Each spec is resolved once per session (by content) and cached on disk like a benchmark (by
 * content, image, runner and hash seed). The specs of one call share one reference pool, opened
 * for them and closed once their values are in; its containers never run a candidate.
 */
import type { SandboxPool } from "../core/sandbox.js";
import type { ResolvedTask } from "../core/session.js";
import type { Task, TaskSpec } from "../core/task.js";
import { resolveBenchmark } from "../runner/ground-truth.js";
import { sha256 } from "../util/hash.js";

/** What resolving needs from the session. */
export interface TaskResolverDeps {
  imageId: string;
  hashSeed: number;
  /** Recompute expected values even when cached on disk. */
  noCache: boolean;
  /** The groups the session's judge reports statuses for (the benchmark's). */
  groups: readonly string[];
  log: (line: string) => void;
  /** Opens a pool of reference containers with this memory cap (MiB). */
  openReferencePool: (memoryMb: number) => Promise<SandboxPool>;
}

/** Resolved specs the session keeps (by content); the oldest go first past this many. */
const KEPT = 10_000;

/** A function that resolves specs (see the module comment), in the order given. */
export function createTaskResolver(deps: TaskResolverDeps): (specs: readonly TaskSpec[]) => Promise<ResolvedTask[]> {
  const kept = new Map<string, Promise<ResolvedTask>>();
  const keep = (key: string, value: Promise<ResolvedTask>): void => {
    kept.set(key, value);
    // A failed resolution (the engine, an interrupt) is tried again by the next call.
    value.catch(() => kept.get(key) === value && kept.delete(key));
    if (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
  };
  return async (specs) => {
    const keys = specs.map((s) => sha256(JSON.stringify(s)));
    // This call's resolutions, held here: keeping more may drop them from `kept`.
    const mine = new Map<string, Promise<ResolvedTask>>();
    const fresh = new Map<string, TaskSpec>();
    specs.forEach((s, i) => {
      const key = keys[i] as string;
      const earlier = kept.get(key);
      if (earlier !== undefined) mine.set(key, earlier);
      else fresh.set(key, s);
    });
    if (fresh.size > 0) {
      const pool = sharedPool(deps.openReferencePool);
      const all = Promise.all(
        [...fresh].map(async ([key, spec]) => {
          const r = await resolveBenchmark(
            { name: `task ${spec.taskId}`, split: "-", dataSha256: { "task object": key }, groups: [...deps.groups], tasks: [spec] },
            { imageId: deps.imageId, hashSeed: deps.hashSeed, noCache: deps.noCache, log: deps.log, openPool: pool.open },
          );
          return { task: r.benchmark.tasks[0] as Task, failures: r.failures.map(({ taskId: _t, ...f }) => f) };
        }),
      ).finally(pool.close);
      [...fresh.keys()].forEach((key, k) => {
        const one = all.then((r) => r[k] as ResolvedTask);
        mine.set(key, one);
        keep(key, one);
      });
    }
    return Promise.all(keys.map((k) => mine.get(k) as Promise<ResolvedTask>));
  };
}

/** One pool for many resolutions: each resolution's close leaves it open; `close` closes it (if it was opened). */
function sharedPool(open: (memoryMb: number) => Promise<SandboxPool>): { open: (memoryMb: number) => Promise<SandboxPool>; close: () => Promise<void> } {
  let opened: Promise<SandboxPool> | undefined;
  return {
    async open(memoryMb) {
      const pool = await (opened ??= open(memoryMb));
      return { info: pool.info, run: (job) => pool.run(job), close: async () => {} };
    },
    async close() {
      if (opened !== undefined) await (await opened.catch(() => undefined))?.close();
    },
  };
}
