import { InputError } from "../core/index.js";
import type { Outcome, SampleVerdict } from "../core/index.js";
import { bootstrapMeanCi, DEFAULT_RESAMPLES, pairedBootstrapCi } from "../metrics/bootstrap.js";
import { mcnemarExact } from "../metrics/mcnemar.js";
import { meanPassAtK } from "../metrics/pass-at-k.js";
import { isTimingBound } from "../metrics/timing-bound.js";
import { pairedPermutationTest } from "../metrics/permutation.js";
import { wilsonInterval } from "../metrics/wilson.js";
import type { CompareOptions, CompareResult, CompareSide, CompareTest, Flip } from "./compare-result.js";
import { collectWarnings } from "./compare-warnings.js";

export type { CompareOptions, CompareResult, CompareSide, CompareTest, Flip } from "./compare-result.js";
import { partialLabel, referenceFailureCount } from "./coverage.js";
import type { RunDir } from "./run-dir.js";


interface TaskPair {
  taskId: string;
  /** Matched verdicts, in sample order. */
  a: SampleVerdict[];
  b: SampleVerdict[];
}

/**
 * Compares run B against baseline A on the samples both runs judged, matched by
 * (task_id, sample_index). Throws InputError when the runs are of different benchmarks or
 * splits or share no sample; everything else that makes the comparison weaker is a warning.
 * Kept whole: one pass that matches the two runs sample by sample and fills every part of the result from the same matching.
 */
export function compareRuns(a: RunDir, b: RunDir, options: CompareOptions = {}): CompareResult {
  const alpha = options.alpha ?? 0.05;
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  checkSameBenchmark(a, b);

  const byTaskA = groupByTask(a.verdicts);
  const byTaskB = groupByTask(b.verdicts);
  const pairs: TaskPair[] = [];
  const tasksOnlyInA: string[] = [];
  const tasksOnlyInB: string[] = [];
  let samplesOnlyInA = 0;
  let samplesOnlyInB = 0;
  for (const [taskId, samplesA] of byTaskA) {
    const samplesB = byTaskB.get(taskId);
    if (!samplesB) {
      tasksOnlyInA.push(taskId);
      continue;
    }
    const pair: TaskPair = { taskId, a: [], b: [] };
    for (const [index, va] of samplesA) {
      const vb = samplesB.get(index);
      if (vb) {
        pair.a.push(va);
        pair.b.push(vb);
      } else samplesOnlyInA++;
    }
    for (const index of samplesB.keys()) if (!samplesA.has(index)) samplesOnlyInB++;
    if (pair.a.length > 0) pairs.push(pair);
    else {
      // Shared task id but no shared sample index: nothing to pair on.
      tasksOnlyInA.push(taskId);
      tasksOnlyInB.push(taskId);
    }
  }
  for (const taskId of byTaskB.keys()) if (!byTaskA.has(taskId)) tasksOnlyInB.push(taskId);
  const tasksPolicy = options.tasks ?? "same";
  if (tasksPolicy === "same" && tasksOnlyInA.length + tasksOnlyInB.length > 0) throw notSameTasks(a, b, tasksOnlyInA, tasksOnlyInB);
  if (pairs.length === 0) {
    throw new InputError(`runs ${a.manifest.run_id} and ${b.manifest.run_id} have no (task_id, sample_index) in common`);
  }
  pairs.sort((x, y) => compareTaskIds(x.taskId, y.taskId));
  tasksOnlyInA.sort(compareTaskIds);
  tasksOnlyInB.sort(compareTaskIds);
  for (const p of pairs) {
    p.a.sort((x, y) => x.sample_index - y.sample_index);
    p.b.sort((x, y) => x.sample_index - y.sample_index);
  }

  const perTaskCounts = pairs.map((p) => p.a.length);
  // reduce, not Math.min(...xs): spreading tens of thousands of tasks overflows the call stack.
  const minSamples = perTaskCounts.reduce((m, n) => Math.min(m, n), Infinity);
  const maxSamples = perTaskCounts.reduce((m, n) => Math.max(m, n), 0);
  const ks = [...new Set([1, ...a.manifest.k.filter((k) => b.manifest.k.includes(k))])]
    .filter((k) => k <= minSamples)
    .sort((x, y) => x - y);

  const countsA = pairs.map((p) => ({ n: p.a.length, c: p.a.filter(passed).length }));
  const countsB = pairs.map((p) => ({ n: p.b.length, c: p.b.filter(passed).length }));
  const rateA = countsA.map((t) => t.c / t.n);
  const rateB = countsB.map((t) => t.c / t.n);

  const sideA = describeSide(a, pairs, "a", countsA, ks, { seed, resamples });
  const sideB = describeSide(b, pairs, "b", countsB, ks, { seed, resamples });
  const differenceAtK: Record<string, number> = {};
  for (const k of ks) differenceAtK[k] = (sideB.pass_at_k[k] ?? 0) - (sideA.pass_at_k[k] ?? 0);
  const ci = pairedBootstrapCi(rateA, rateB, { seed, resamples });

  let test: CompareTest;
  if (maxSamples === 1) {
    let onlyA = 0;
    let onlyB = 0;
    for (let i = 0; i < pairs.length; i++) {
      const pa = (countsA[i]?.c ?? 0) > 0;
      const pb = (countsB[i]?.c ?? 0) > 0;
      if (pa && !pb) onlyA++;
      if (pb && !pa) onlyB++;
    }
    test = { name: "mcnemar_exact", b: onlyA, c: onlyB, p_value: mcnemarExact(onlyA, onlyB).pValue };
  } else {
    const perm = pairedPermutationTest(
      rateB.map((r, i) => r - (rateA[i] ?? 0)),
      { seed, resamples },
    );
    test = {
      name: "paired_permutation",
      method: perm.method,
      non_zero: perm.nonZero,
      permutations: perm.permutations,
      seed,
      p_value: perm.pValue,
    };
  }

  const delta = differenceAtK["1"] ?? 0;
  const significant = test.p_value < alpha;
  const flips = collectFlips(pairs);
  const result: CompareResult = {
    benchmark: a.manifest.benchmark,
    split: a.manifest.split,
    tasks_policy: tasksPolicy,
    coverage: comparedCoverage(pairs.length, sideA, sideB, new Set([...byTaskA.keys(), ...byTaskB.keys()]).size),
    a: sideA,
    b: sideB,
    matched: {
      tasks: pairs.length,
      samples: perTaskCounts.reduce((s, n) => s + n, 0),
      samples_per_task: { min: minSamples, max: maxSamples },
    },
    unmatched: {
      tasks_only_in_a: tasksOnlyInA,
      tasks_only_in_b: tasksOnlyInB,
      samples_only_in_a: samplesOnlyInA,
      samples_only_in_b: samplesOnlyInB,
    },
    k: ks,
    difference: {
      pass_at_k: differenceAtK,
      pass_at_1_ci: { low: ci.low, high: ci.high, confidence: ci.confidence, resamples: ci.resamples, seed: ci.seed },
    },
    test,
    alpha,
    worse: significant && delta < 0,
    better: significant && delta > 0,
    flips,
    warnings: [],
  };
  result.warnings = collectWarnings(a, b, result);
  return result;
}

/** The error for runs over different tasks: how many only one run has, and what to do. */
function notSameTasks(a: RunDir, b: RunDir, onlyA: string[], onlyB: string[]): InputError {
  const side = (ids: string[], label: string) => {
    const sorted = [...ids].sort(compareTaskIds);
    return `${ids.length} task(s) only in ${label} (${sorted.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""})`;
  };
  const parts = [onlyA.length > 0 ? side(onlyA, "A") : "", onlyB.length > 0 ? side(onlyB, "B") : ""].filter(Boolean);
  return new InputError(
    `${a.manifest.run_id} and ${b.manifest.run_id} cannot be compared: ${parts.join(", ")}; ` +
      "their figures are over different tasks. Compare the tasks both cover with --tasks intersection",
  );
}

/** "partial: compared on N of M tasks" when the matched tasks are fewer than the benchmark's (or than the runs have together). */
function comparedCoverage(matched: number, a: CompareSide, b: CompareSide, union: number): string | null {
  const total = Math.max(a.tasks_benchmark ?? 0, b.tasks_benchmark ?? 0, union);
  return matched < total ? `partial: compared on ${matched.toLocaleString("en")} of ${total.toLocaleString("en")} tasks` : null;
}

/** Different benchmarks or splits cannot be paired; say exactly which differs. */
function checkSameBenchmark(a: RunDir, b: RunDir): void {
  const diffs: string[] = [];
  if (a.manifest.benchmark !== b.manifest.benchmark) {
    diffs.push(`benchmark (A: ${a.manifest.benchmark}, B: ${b.manifest.benchmark})`);
  }
  if (a.manifest.split !== b.manifest.split) diffs.push(`split (A: ${a.manifest.split}, B: ${b.manifest.split})`);
  if (diffs.length > 0) {
    throw new InputError(`cannot compare ${a.manifest.run_id} with ${b.manifest.run_id}: different ${diffs.join(" and ")}`);
  }
}

function passed(v: SampleVerdict): boolean {
  return v.status === "pass";
}

function groupByTask(verdicts: readonly SampleVerdict[]): Map<string, Map<number, SampleVerdict>> {
  const byTask = new Map<string, Map<number, SampleVerdict>>();
  for (const v of verdicts) {
    let samples = byTask.get(v.task_id);
    if (!samples) byTask.set(v.task_id, (samples = new Map()));
    samples.set(v.sample_index, v);
  }
  return byTask;
}

/** Orders task ids as people read them: "Mbpp/2" before "Mbpp/10", "11" before "101". */
export function compareTaskIds(x: string, y: string): number {
  return x.localeCompare(y, "en", { numeric: true });
}

function describeSide(
  run: RunDir,
  pairs: readonly TaskPair[],
  side: "a" | "b",
  counts: readonly { n: number; c: number }[],
  ks: readonly number[],
  bootstrap: { seed: number; resamples: number },
): CompareSide {
  const passAtK: Record<string, number> = {};
  for (const k of ks) passAtK[k] = meanPassAtK(counts, k);
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const p of pairs) for (const v of p[side]) outcomes[v.status] = (outcomes[v.status] ?? 0) + 1;
  const n = counts.reduce((s, t) => s + t.n, 0);
  const c = counts.reduce((s, t) => s + t.c, 0);
  let ci: CompareSide["pass_at_1_ci"];
  if (counts.every((t) => t.n === 1)) {
    const w = wilsonInterval(c, n);
    ci = { low: w.low, high: w.high, method: "wilson" };
  } else {
    // Samples of one task are not independent trials, so Wilson over samples would be too narrow.
    const bs = bootstrapMeanCi(
      counts.map((t) => t.c / t.n),
      bootstrap,
    );
    ci = { low: bs.low, high: bs.high, method: "bootstrap" };
  }
  return {
    run_id: run.manifest.run_id,
    dir: run.dir,
    samples_source: run.manifest.samples_source,
    status: run.manifest.status,
    created_at: run.manifest.created_at,
    tasks_total: new Set(run.verdicts.map((v) => v.task_id)).size,
    samples_total: run.verdicts.length,
    tasks_benchmark: run.summary?.tasks_total ?? null,
    partial: partialLabel(run.summary),
    reference_failures: run.summary?.reference_failures !== undefined ? referenceFailureCount(run.summary) : null,
    tasks_unscorable: run.summary?.tasks_unscorable?.length ?? null,
    pass_at_k: passAtK,
    pass_at_1_ci: ci,
    outcomes,
  };
}

/**
 * The flips, in three lists: regressions and improvements, and apart from them the flips on
 * timing-bound tasks (a sample of the task finished a test within 25% of its limit in either
 * run), which a busier machine alone can cause.
 */
function collectFlips(pairs: readonly TaskPair[]): CompareResult["flips"] {
  const regressions: Flip[] = [];
  const improvements: Flip[] = [];
  const timingBound: Flip[] = [];
  const kinds: Record<string, number> = {};
  for (const p of pairs) {
    const timing = p.a.some(isTimingBound) || p.b.some(isTimingBound);
    p.a.forEach((va, i) => {
      const vb = p.b[i];
      if (!vb || passed(va) === passed(vb)) return;
      const flip: Flip = { task_id: p.taskId, sample_index: va.sample_index, a: va.status, b: vb.status, kind: `${va.status} → ${vb.status}` };
      const detail = failureDetail(passed(va) ? vb : va);
      if (detail) flip.detail = detail;
      if (timing) timingBound.push(flip);
      else (passed(va) ? regressions : improvements).push(flip);
      kinds[flip.kind] = (kinds[flip.kind] ?? 0) + 1;
    });
  }
  return { regressions, improvements, timing_bound: timingBound, kinds };
}

function failureDetail(v: SampleVerdict): string | undefined {
  if (v.load_detail) return v.load_detail;
  const test = v.tests.find((t) => t.outcome !== "pass");
  if (!test) return undefined;
  return test.detail ? `${test.id}: ${test.detail}` : test.id;
}
