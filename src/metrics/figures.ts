import type { SampleVerdict } from "../core/sample-verdict.js";
import { definedMeanCi, type AnyAsprDefinition, type AsprTask } from "./aspr.js";
import { bootstrapMeanCi } from "./bootstrap.js";
import { perTaskCounts } from "./per-task-counts.js";
import { wilsonInterval } from "./wilson.js";

/**
 * The figures of a `verdict run` (and Table 1): Pass@1 of a cell with its interval, ASPR's
 * inputs from a cell's samples, and the paired pseudocode − vanilla deltas.
 */

/** How Pass@1 intervals are computed: Wilson for one sample per task (auto), or bootstrap over tasks. */
export type CiMethod = "auto" | "wilson" | "bootstrap";

/** Bootstrap settings of every interval of a run. */
export interface BootstrapSettings {
  resamples: number;
  seed: number;
}

/** A 95% interval and how it was computed. */
export interface FigureCi {
  low: number;
  high: number;
  method: "wilson" | "bootstrap";
}

/** Pass@1 of one (model, style). */
export interface Pass1Figure {
  /** Mean over tasks of (passing samples / samples); null when no task has a sample. */
  value: number | null;
  ci: FigureCi | null;
  /** Tasks with at least one sample. */
  tasks: number;
  samples: number;
  passed: number;
}

/** ASPR of one (model, style). */
export interface AsprFigure {
  /** A or B: sampled paths; C or D: read from a search run's trees. */
  definition: AnyAsprDefinition;
  value: number | null;
  ci: FigureCi | null;
  /** Tasks whose paths and finals were all generated (a task whose generation failed is left out). */
  tasks: number;
  tasksCounted: number;
  paths: number;
  correctPaths: number;
  finalsCounted: number;
}

/** A paired difference (pseudocode − vanilla) with its interval. */
export interface DeltaFigure {
  value: number | null;
  ci: FigureCi | null;
}

/** Per task (benchmark order): samples and passes; null for a task without samples. */
export function pass1Rates(taskIds: readonly string[], verdicts: readonly SampleVerdict[]): ({ n: number; c: number } | null)[] {
  const byTask = perTaskCounts(verdicts);
  return taskIds.map((id) => byTask.get(id) ?? null);
}

/** Pass@1 (the unbiased estimate c/n per task, averaged) with its 95% interval. */
export function pass1Figure(rates: readonly ({ n: number; c: number } | null)[], method: CiMethod, bootstrap: BootstrapSettings): Pass1Figure {
  const present = rates.filter((r): r is { n: number; c: number } => r !== null);
  const samples = present.reduce((s, r) => s + r.n, 0);
  const passed = present.reduce((s, r) => s + r.c, 0);
  if (present.length === 0) return { value: null, ci: null, tasks: 0, samples: 0, passed: 0 };
  const value = present.reduce((s, r) => s + r.c / r.n, 0) / present.length;
  const single = present.every((r) => r.n === 1);
  let ci: FigureCi | null;
  if (method === "wilson" || (method === "auto" && single)) {
    // One sample per task: each task is one Bernoulli trial, the case Wilson is made for.
    const w = wilsonInterval(passed, present.length);
    ci = { low: w.low, high: w.high, method: "wilson" };
  } else {
    ci = ciOf(bootstrapMeanCi(present.map((r) => r.c / r.n), bootstrap));
  }
  return { value, ci, tasks: present.length, samples, passed };
}

/**
 * ASPR inputs per task from a cell's verdicts: which paths passed, how their finals did.
 * `generated(taskId, index)` says whether a sample slot was generated (a slot lost to a
 * generation error was never sampled: neither correct nor incorrect). A task in `unfinished`
 * (its generation failed) gets no paths: it counts for nothing. Slots: path p is sample p;
 * final m of path p is sample paths + p·finals + m.
 */
export function asprInputs(
  taskIds: readonly string[],
  paths: number,
  finals: number,
  generated: (taskId: string, sampleIndex: number) => boolean,
  verdicts: readonly SampleVerdict[],
  unfinished: ReadonlySet<string> = new Set(),
): AsprTask[] {
  const byTask = new Map<string, Map<number, SampleVerdict>>();
  for (const v of verdicts) {
    const own = byTask.get(v.task_id) ?? new Map<number, SampleVerdict>();
    own.set(v.sample_index, v);
    byTask.set(v.task_id, own);
  }
  return taskIds.map((taskId) => {
    const out: AsprTask = { taskId, paths: [] };
    if (unfinished.has(taskId)) return out;
    const own = byTask.get(taskId);
    const judged = (index: number): SampleVerdict | undefined => (generated(taskId, index) ? own?.get(index) : undefined);
    for (let p = 0; p < paths; p++) {
      const path = judged(p);
      if (!path) continue;
      const finalsOut = [];
      for (let m = 0; m < finals; m++) {
        const v = judged(paths + p * finals + m);
        if (!v) continue;
        const passedTests = v.tests.filter((t) => t.outcome === "pass").length;
        finalsOut.push({ passed: v.status === "pass", passFraction: v.tests.length === 0 ? (v.status === "pass" ? 1 : 0) : passedTests / v.tests.length });
      }
      out.paths.push({ correct: path.status === "pass", finals: finalsOut });
    }
    return out;
  });
}

/** Pseudocode minus vanilla over tasks where both are defined, with a paired bootstrap interval. */
export function deltaOf(vanilla: readonly (number | null)[], pseudocode: readonly (number | null)[], bootstrap: BootstrapSettings): DeltaFigure {
  const ci = definedMeanCi(vanilla, pseudocode, bootstrap);
  return Number.isNaN(ci.estimate) ? { value: null, ci: null } : { value: ci.estimate, ci: ciOf(ci) };
}

/** A bootstrap interval as a figure's, or null when it is undefined (no task to average). */
export function ciOf(ci: { estimate: number; low: number; high: number }): FigureCi | null {
  if (Number.isNaN(ci.estimate) || Number.isNaN(ci.low) || Number.isNaN(ci.high)) return null;
  return { low: ci.low, high: ci.high, method: "bootstrap" };
}
