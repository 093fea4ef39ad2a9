import { InputError } from "../core/errors.js";
import type { Outcome } from "../core/outcome.js";
import type { MissingPolicy, ReferenceFailure, RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { meanPassAtK } from "./pass-at-k.js";
import { timingBoundTasks } from "./timing-bound.js";

/** What summarize needs: the run's identity, its verdicts and the k to report. */
export interface SummaryInput {
  benchmark: string;
  split: string;
  verdicts: readonly SampleVerdict[];
  ks: readonly number[];
  /** The benchmark's test groups; with "plus", base-only pass@k is reported too. */
  groups: readonly string[];
  seconds: number;
  /**
   * The benchmark's task ids (its split): the tasks a complete run covers. A task here with no
   * verdict is missing; given, the summary says how many of them the figures cover. Unset: the
   * tasks of the verdicts are taken to be all there is (a run read back without its benchmark).
   */
  taskIds?: readonly string[];
  /** How tasks without a sample were treated (recorded as is). */
  missingPolicy?: MissingPolicy;
  /** Tasks with no test left: never scored, never in the figures. */
  unscorable?: readonly string[];
  /** Tests the reference failed, per task. */
  referenceFailures?: Readonly<Record<string, readonly ReferenceFailure[]>>;
  /** Whether the expected values came from their cache (recorded as is). */
  expectedValuesCached?: boolean;
}

interface TaskCounts {
  n: number;
  /** Samples whose status is pass (every test, so base and plus alike). */
  c: number;
  /** Samples whose base tests pass. */
  cBase: number;
  /** Every verdict of the task is `missing`: no sample, a failure for every k. */
  missing: boolean;
}

function passAtKs(counts: readonly { n: number; c: number }[], ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ks) out[String(k)] = meanPassAtK(counts, k);
  return out;
}

/**
 * summary.json for a set of verdicts: pass@k for each requested k, outcome counts by sample
 * status, weak passes, how much of the benchmark the figures cover, what came from the caches
 * and which tasks are timing-bound. pass@k needs k samples
 * of every task, so a k above some task's sample count is an InputError, never a column left
 * out; a task scored `missing` has no sample and fails at every k. A (task, sample) judged
 * twice is an error, never counted twice.
 */
export function summarize(input: SummaryInput): RunSummary {
  const byTask = new Map<string, TaskCounts>();
  const seen = new Set<string>();
  const outcomes: Partial<Record<Outcome, number>> = {};
  let weakPasses = 0;
  let cachedVerdicts = 0;
  for (const v of input.verdicts) {
    if (v.cached) cachedVerdicts++;
    const key = JSON.stringify([v.task_id, v.sample_index]);
    if (seen.has(key)) throw new InputError(`task ${v.task_id} sample ${v.sample_index} has two verdicts`);
    seen.add(key);
    let t = byTask.get(v.task_id);
    if (t === undefined) byTask.set(v.task_id, (t = { n: 0, c: 0, cBase: 0, missing: true }));
    t.n++;
    if (v.status !== "missing") t.missing = false;
    if (v.status === "pass") t.c++;
    if ((v.base_status ?? v.status) === "pass") t.cBase++;
    outcomes[v.status] = (outcomes[v.status] ?? 0) + 1;
    if (v.status === "pass" && v.weak) weakPasses++;
  }
  const ks = [...new Set(input.ks)].sort((a, b) => a - b);
  for (const k of ks) if (!Number.isInteger(k) || k < 1) throw new InputError(`pass@${k}: k must be a positive integer`);
  assertKsFit(
    [...byTask].filter(([, t]) => !t.missing).map(([id, t]) => [id, t.n]),
    ks,
  );
  // A missing task has no sample: pass@k is 0 whatever k, which n = k, c = 0 gives.
  const kMax = ks.at(-1) ?? 1;
  const counts = [...byTask.values()].map((t) => (t.missing ? { n: kMax, c: 0, cBase: 0 } : t));
  const coverage = describeCoverage(input, byTask);
  const summary: RunSummary = {
    benchmark: input.benchmark,
    split: input.split,
    tasks: byTask.size,
    samples: seen.size,
    pass_at_k: counts.length > 0 ? passAtKs(counts, ks) : {},
    outcomes,
    weak_passes: weakPasses,
    seconds: input.seconds,
    ...coverage,
    cached: { verdicts: cachedVerdicts, ...(input.expectedValuesCached !== undefined ? { expected_values: input.expectedValuesCached } : {}) },
    timing_bound: timingBoundTasks(input.verdicts),
  };
  if (input.groups.includes("plus") && counts.length > 0) {
    summary.base_pass_at_k = passAtKs(
      counts.map((t) => ({ n: t.n, c: t.cBase })),
      ks,
    );
  }
  return summary;
}

/**
 * Throws an InputError when a requested k is above the sample count of a task (given as
 * [task id, samples]): pass@k is undefined there, and leaving the column out would hide it.
 */
export function assertKsFit(samplesPerTask: Iterable<readonly [string, number]>, ks: readonly number[]): void {
  const kMax = Math.max(0, ...ks);
  let short = 0;
  let fewest: readonly [string, number] | undefined;
  for (const entry of samplesPerTask) {
    if (entry[1] >= kMax) continue;
    short++;
    if (fewest === undefined || entry[1] < fewest[1]) fewest = entry;
  }
  if (fewest === undefined) return;
  throw new InputError(
    `pass@${kMax} needs at least ${kMax} samples of every task, but ${short} task(s) have fewer (task ${fewest[0]} has ${fewest[1]}); ask for a smaller k or give more samples`,
  );
}

/** The summary's coverage fields: how many of the benchmark's tasks the figures cover, and why not all. */
function describeCoverage(input: SummaryInput, byTask: ReadonlyMap<string, TaskCounts>): Partial<RunSummary> {
  const unscorable = new Set(input.unscorable ?? []);
  const taskIds = input.taskIds ?? [...byTask.keys(), ...unscorable];
  const known = new Set(taskIds);
  for (const id of byTask.keys()) if (!known.has(id)) throw new InputError(`a verdict is for task ${id}, which is not a task of ${input.benchmark}`);
  const missing = taskIds.filter((id) => !unscorable.has(id) && (byTask.get(id)?.missing ?? true));
  const failures = Object.fromEntries(Object.entries(input.referenceFailures ?? {}).map(([id, f]) => [id, [...f]]));
  return {
    tasks_total: taskIds.length,
    partial: byTask.size < taskIds.length,
    ...(input.missingPolicy !== undefined ? { missing_policy: input.missingPolicy } : {}),
    tasks_missing: missing,
    tasks_unscorable: taskIds.filter((id) => unscorable.has(id)),
    reference_failures: failures,
  };
}
