import { InputError } from "../core/errors.js";
import type { Outcome } from "../core/outcome.js";
import type { RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/verdict.js";
import { meanPassAtK } from "./pass-at-k.js";

/** What summarize needs: the run's identity, its verdicts and the k to report. */
export interface SummaryInput {
  benchmark: string;
  split: string;
  verdicts: readonly SampleVerdict[];
  ks: readonly number[];
  /** The benchmark's test groups; with "plus", base-only pass@k is reported too. */
  groups: readonly string[];
  seconds: number;
}

interface TaskCounts {
  n: number;
  /** Samples whose status is pass (every test, so base and plus alike). */
  c: number;
  /** Samples whose base tests pass. */
  cBase: number;
}

function passAtKs(counts: readonly { n: number; c: number }[], ks: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ks) out[String(k)] = meanPassAtK(counts, k);
  return out;
}

/**
 * summary.json for a set of verdicts: pass@k for each requested k up to the smallest number
 * of samples any task has (pass@k needs k samples of every task), outcome counts by sample
 * status, and weak passes. A (task, sample) judged twice is an error, never counted twice.
 */
export function summarize(input: SummaryInput): RunSummary {
  const byTask = new Map<string, TaskCounts>();
  const seen = new Set<string>();
  const outcomes: Partial<Record<Outcome, number>> = {};
  let weakPasses = 0;
  for (const v of input.verdicts) {
    const key = JSON.stringify([v.task_id, v.sample_index]);
    if (seen.has(key)) throw new InputError(`task ${v.task_id} sample ${v.sample_index} has two verdicts`);
    seen.add(key);
    let t = byTask.get(v.task_id);
    if (t === undefined) byTask.set(v.task_id, (t = { n: 0, c: 0, cBase: 0 }));
    t.n++;
    if (v.status === "pass") t.c++;
    if ((v.base_status ?? v.status) === "pass") t.cBase++;
    outcomes[v.status] = (outcomes[v.status] ?? 0) + 1;
    if (v.status === "pass" && v.weak) weakPasses++;
  }
  const counts = [...byTask.values()];
  const minN = counts.length > 0 ? Math.min(...counts.map((t) => t.n)) : 0;
  const ks = [...new Set(input.ks)].filter((k) => Number.isInteger(k) && k >= 1 && k <= minN).sort((a, b) => a - b);
  const summary: RunSummary = {
    benchmark: input.benchmark,
    split: input.split,
    tasks: byTask.size,
    samples: seen.size,
    pass_at_k: passAtKs(counts, ks),
    outcomes,
    weak_passes: weakPasses,
    seconds: input.seconds,
  };
  if (input.groups.includes("plus")) {
    summary.base_pass_at_k = passAtKs(
      counts.map((t) => ({ n: t.n, c: t.cBase })),
      ks,
    );
  }
  return summary;
}
