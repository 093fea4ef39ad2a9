import { DEFAULT_RESAMPLES, quantileSorted, type BootstrapInterval, type BootstrapOptions } from "./bootstrap.js";
import { createRng } from "./rng.js";

/**
 * ASPR (Average Sampling Pass Rate) of o1-Coder's Table 1: "the average success rate of
 * reaching the correct reasoning path on the last step". The paper gives no formula; these
 * are the readings the harness offers (REFERENCE.md), each named in every table that uses it.
 *
 * Sampling: P reasoning paths per task; from each path's prefix (every step but its final,
 * code step; for vanilla the prompt) M final steps. A path is correct when its own program
 * passes every test.
 *
 * - A (default): per task, the fraction of final steps sampled on correct paths that pass every
 *   test; averaged over the tasks that have a correct path.
 * - B: the same, but each final step scores the fraction of tests it passes.
 * - C and D read a search run's trees instead of sampled paths (computeSearchAspr below).
 */

/** The ASPR readings available now. */
export type AsprDefinition = "A" | "B";

/** One line per definition, for table footers. */
export const ASPR_DEFINITIONS: Record<AsprDefinition, string> = {
  A: "ASPR (A): over tasks with a correct path, the fraction of final steps sampled from correct paths' prefixes that pass all tests",
  B: "ASPR (B): over tasks with a correct path, the mean fraction of tests passed by final steps sampled from correct paths' prefixes",
};

/** How one final step sampled from a path's prefix did. */
export interface AsprFinal {
  /** Passed every test. */
  passed: boolean;
  /** Tests passed / tests, in [0, 1]. */
  passFraction: number;
}

/** One sampled reasoning path and the final steps sampled from its prefix. */
export interface AsprPath {
  /** The path's own program passed every test. */
  correct: boolean;
  finals: AsprFinal[];
}

/** Everything sampled for one task. */
export interface AsprTask {
  taskId: string;
  paths: AsprPath[];
}

/** One task's share of the figure. */
export interface AsprTaskValue {
  taskId: string;
  /** null: no correct path with a final step, so the task does not count. */
  value: number | null;
  correctPaths: number;
  /** Final steps on correct paths. */
  finals: number;
}

/** The figure with what it was computed from. */
export interface AsprResult {
  definition: AsprDefinition;
  /** Mean over counted tasks; null when no task counts. */
  value: number | null;
  perTask: AsprTaskValue[];
  tasks: number;
  /** Tasks with a correct path (and final steps on it). */
  tasksCounted: number;
  paths: number;
  correctPaths: number;
  /** Final steps sampled on correct paths, over all tasks. */
  finalsCounted: number;
}

/** One task's ASPR under a definition; null when it has no correct path with a final step. */
export function taskAspr(task: AsprTask, definition: AsprDefinition): AsprTaskValue {
  const correct = task.paths.filter((p) => p.correct);
  const finals = correct.flatMap((p) => p.finals);
  for (const f of finals) {
    if (!(f.passFraction >= 0 && f.passFraction <= 1)) throw new RangeError(`task ${task.taskId}: pass fraction ${f.passFraction} is outside [0, 1]`);
  }
  const score = (f: AsprFinal): number => (definition === "A" ? (f.passed ? 1 : 0) : f.passFraction);
  const value = finals.length === 0 ? null : finals.reduce((sum, f) => sum + score(f), 0) / finals.length;
  return { taskId: task.taskId, value, correctPaths: correct.length, finals: finals.length };
}

/** ASPR over tasks (see the definitions above). */
export function computeAspr(tasks: readonly AsprTask[], definition: AsprDefinition = "A"): AsprResult {
  const perTask = tasks.map((t) => taskAspr(t, definition));
  const counted = perTask.filter((t): t is AsprTaskValue & { value: number } => t.value !== null);
  return {
    definition,
    value: counted.length === 0 ? null : counted.reduce((sum, t) => sum + t.value, 0) / counted.length,
    perTask,
    tasks: tasks.length,
    tasksCounted: counted.length,
    paths: tasks.reduce((sum, t) => sum + t.paths.length, 0),
    correctPaths: perTask.reduce((sum, t) => sum + t.correctPaths, 0),
    finalsCounted: perTask.reduce((sum, t) => sum + t.finals, 0),
  };
}

/**
 * Percentile-bootstrap interval for the mean of the defined values, resampling every task
 * (defined or not) with replacement. Which tasks have a correct path is itself random, so a
 * resample may count more or fewer of them, as a rerun would; resamples that count none are
 * skipped. With `b`, the interval is for mean(b) − mean(a), a[i] and b[i] being the same task
 * (a paired resample), each mean over its own defined values.
 */
export function definedMeanCi(
  a: readonly (number | null)[],
  b?: readonly (number | null)[],
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  if (b !== undefined && b.length !== a.length) throw new RangeError(`paired values need equal lengths, got ${a.length} and ${b.length}`);
  const stat = (pick: (i: number) => number, n: number): number => {
    let sa = 0;
    let na = 0;
    let sb = 0;
    let nb = 0;
    for (let j = 0; j < n; j++) {
      const i = pick(j);
      const va = a[i];
      if (va !== null && va !== undefined) {
        sa += va;
        na++;
      }
      const vb = b?.[i];
      if (vb !== null && vb !== undefined) {
        sb += vb;
        nb++;
      }
    }
    if (na === 0 || (b !== undefined && nb === 0)) return Number.NaN;
    return b === undefined ? sa / na : sb / nb - sa / na;
  };
  const n = a.length;
  const estimate = n === 0 ? Number.NaN : stat((j) => j, n);
  if (Number.isNaN(estimate)) return { estimate, low: Number.NaN, high: Number.NaN, resamples, confidence, seed };
  const rng = createRng(seed);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    // stat calls pick once per position, so each call is one draw with replacement.
    const s = stat(() => rng.int(n), n);
    if (!Number.isNaN(s)) stats.push(s);
  }
  const sorted = Float64Array.from(stats).sort();
  const tail = (1 - confidence) / 2;
  return { estimate, low: quantile(sorted, tail), high: quantile(sorted, 1 - tail), resamples, confidence, seed };
}

/** Linear-interpolation quantile (R's type 7) of an ascending array; NaN when empty. */
function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : quantileSorted(sorted, q);
}

/**
 * The readings of a search run (MCTS over pseudocode steps). A correct path is a root-to-leaf
 * path whose code step passed every test.
 *
 * - C: per task, the mean over correct paths of Q/N of the path's last step before its code
 *   step (the root, when the code came first): the search's own estimate of how often a code
 *   step written from that prefix passes, i.e. definition A with the tree's values in place of
 *   sampled finals. (Q/N of the code step itself is its reward, 1 on every correct path.)
 *   Averaged over the tasks that have a correct path.
 * - D: the fraction of tasks whose search reached a correct terminal; every task counts.
 */
export type SearchAsprDefinition = "C" | "D";

/** One line per search definition, for table footers. */
export const SEARCH_ASPR_DEFINITIONS: Record<SearchAsprDefinition, string> = {
  C: "ASPR (C): over tasks whose search reached a correct terminal, the mean value Q/N of the last step before the code step on correct paths",
  D: "ASPR (D): the fraction of tasks whose search reached a correct terminal",
};

/** Every ASPR reading: A and B from sampled paths, C and D from a search run's trees. */
export type AnyAsprDefinition = AsprDefinition | SearchAsprDefinition;

/** One line per definition, A to D, for tables that may name any of them. */
export const ALL_ASPR_DEFINITIONS: Record<AnyAsprDefinition, string> = { ...ASPR_DEFINITIONS, ...SEARCH_ASPR_DEFINITIONS };

/** One task's search, as C and D read it. */
export interface AsprSearchTask {
  taskId: string;
  /** Per correct path: Q/N of its last step before the code step, in [0, 1]. */
  lastStepValues: number[];
}

/** One task's share of a search figure. */
export interface AsprSearchTaskValue {
  taskId: string;
  /** null: C for a task without a correct path (it does not count). */
  value: number | null;
  correctPaths: number;
}

/** A search figure with what it was computed from. */
export interface AsprSearchResult {
  definition: SearchAsprDefinition;
  /** Mean over counted tasks; null when no task counts. */
  value: number | null;
  perTask: AsprSearchTaskValue[];
  tasks: number;
  tasksCounted: number;
  correctPaths: number;
}

/** ASPR C or D over a search run's tasks. */
export function computeSearchAspr(tasks: readonly AsprSearchTask[], definition: SearchAsprDefinition): AsprSearchResult {
  const perTask = tasks.map((t): AsprSearchTaskValue => {
    for (const v of t.lastStepValues) {
      if (!(v >= 0 && v <= 1)) throw new RangeError(`task ${t.taskId}: step value ${v} is outside [0, 1]`);
    }
    const n = t.lastStepValues.length;
    const value = definition === "D" ? (n > 0 ? 1 : 0) : n === 0 ? null : t.lastStepValues.reduce((s, v) => s + v, 0) / n;
    return { taskId: t.taskId, value, correctPaths: n };
  });
  const counted = perTask.filter((t): t is AsprSearchTaskValue & { value: number } => t.value !== null);
  return {
    definition,
    value: counted.length === 0 ? null : counted.reduce((s, t) => s + t.value, 0) / counted.length,
    perTask,
    tasks: tasks.length,
    tasksCounted: counted.length,
    correctPaths: perTask.reduce((s, t) => s + t.correctPaths, 0),
  };
}
