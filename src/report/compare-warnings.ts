import type { CompareResult } from "./compare-result.js";
import { coverageNotes, referenceFailureLabel } from "./coverage.js";
import type { RunDir } from "./run-dir.js";

/** Everything that weakens the comparison without making it meaningless. */
export function collectWarnings(a: RunDir, b: RunDir, r: CompareResult): string[] {
  const warnings: string[] = [];
  const ma = a.manifest;
  const mb = b.manifest;
  if (ma.sandbox.imageId !== mb.sandbox.imageId) {
    warnings.push(`different sandbox images: A ${ma.sandbox.imageId || ma.sandbox.image}, B ${mb.sandbox.imageId || mb.sandbox.image}`);
  }
  const limitDiffs = diffRecords(ma.limits, mb.limits);
  if (limitDiffs.length > 0) warnings.push(`different limits: ${limitDiffs.join("; ")}`);
  if (ma.sandbox.hashSeed !== mb.sandbox.hashSeed) {
    warnings.push(`different PYTHONHASHSEED: A ${ma.sandbox.hashSeed}, B ${mb.sandbox.hashSeed} (set iteration order can flip verdicts)`);
  }
  const dataDiffs = diffRecords(ma.data_sha256, mb.data_sha256);
  if (dataDiffs.length > 0) warnings.push(`different benchmark data (sha256): ${dataDiffs.join("; ")}`);
  const only = (ids: string[], side: string) =>
    `${ids.length} task(s) only in ${side} (${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""})`;
  const unmatchedTasks: string[] = [];
  if (r.unmatched.tasks_only_in_a.length > 0) unmatchedTasks.push(only(r.unmatched.tasks_only_in_a, "A"));
  if (r.unmatched.tasks_only_in_b.length > 0) unmatchedTasks.push(only(r.unmatched.tasks_only_in_b, "B"));
  if (unmatchedTasks.length > 0) warnings.push(`unmatched tasks, left out: ${unmatchedTasks.join(", ")}`);
  if (r.unmatched.samples_only_in_a + r.unmatched.samples_only_in_b > 0) {
    warnings.push(
      `unmatched samples of shared tasks, left out: ${r.unmatched.samples_only_in_a} only in A, ${r.unmatched.samples_only_in_b} only in B`,
    );
  }
  for (const [label, run, side] of [
    ["A", a, r.a],
    ["B", b, r.b],
  ] as const) {
    if (run.manifest.status !== "complete") {
      warnings.push(`run ${label} is ${run.manifest.status}: compared on the ${run.verdicts.length} verdicts written so far`);
    }
    const faults = side.outcomes.sandbox_error ?? 0;
    if (faults > 0) warnings.push(`run ${label} has ${faults} sandbox_error verdict(s), counted as failures`);
    if (side.partial) warnings.push(`run ${label} is ${side.partial}: ${coverageNotes(run.summary).join("; ")}`);
    const missing = side.outcomes.missing ?? 0;
    if (missing > 0 && !side.partial) warnings.push(`run ${label} has ${missing} task(s) with no sample, each counted as a failure (outcome missing)`);
    const failed = referenceFailureLabel(run.summary);
    if (failed) warnings.push(`run ${label}: the reference solution failed ${failed}; see its summary.json (reference_failures)`);
  }
  return warnings;
}

/** "key A x, B y" for every key whose JSON value differs between two records. */
function diffRecords(x: object, y: object): string[] {
  const at = (o: object, k: string): unknown => (o as Record<string, unknown>)[k];
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const show = (v: unknown) => (v === undefined ? "unset" : canonical(v));
  return keys.filter((k) => canonical(at(x, k)) !== canonical(at(y, k))).map((k) => `${k} A ${show(at(x, k))}, B ${show(at(y, k))}`);
}

/** JSON with object keys sorted, so key order written by different versions does not count as a difference. */
function canonical(v: unknown): string {
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
    return `{${entries.map(([k, val]) => `${JSON.stringify(k)}:${canonical(val)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}
