import type { TestLimitsDigest } from "../core/run.js";
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
  // The reference's timings are an input of the per-test limits, not a limit: the limits themselves are compared.
  const { reference_seconds: _ra, test_limits: la, ...limitsA } = ma.limits;
  const { reference_seconds: _rb, test_limits: lb, ...limitsB } = mb.limits;
  const limitDiffs = diffRecords(limitsA, limitsB);
  if (limitDiffs.length > 0) warnings.push(`different limits: ${limitDiffs.join("; ")}`);
  const perTest = testLimitWarning(a, b, la, lb);
  if (perTest) warnings.push(perTest);
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

/**
 * The runs derived different per-test time limits (from different reference timings): how
 * many, and the tests both ran under different limits, with their limits ("Mbpp/599 plus/3: A
 * 4.0 s, B 5.2 s"). Null when the digests agree or a run predates them.
 */
function testLimitWarning(a: RunDir, b: RunDir, la: TestLimitsDigest | undefined, lb: TestLimitsDigest | undefined): string | null {
  if (la === undefined || lb === undefined || la.sha256 === lb.sha256) return null;
  const limitsOf = (run: RunDir): Map<string, number> => {
    const m = new Map<string, number>();
    for (const v of run.verdicts) for (const t of v.tests) if (t.limit_s !== undefined) m.set(`${v.task_id} ${t.id}`, t.limit_s);
    return m;
  };
  const inB = limitsOf(b);
  const differ = [...limitsOf(a)].filter(([k, l]) => inB.has(k) && inB.get(k) !== l).map(([k, l]) => `${k}: A ${l.toFixed(1)} s, B ${(inB.get(k) ?? 0).toFixed(1)} s`);
  const total = (d: TestLimitsDigest): string => `${d.tests.toLocaleString("en")} tests, ${d.total_s.toFixed(1)} s in all`;
  const shown = differ.length > 0 ? `; on the tests both ran, ${differ.length} differ (${differ.slice(0, 5).join("; ")}${differ.length > 5 ? "; …" : ""})` : "";
  return `different per-test time limits: A ${total(la)}, B ${total(lb)}; the reference timings they derive from differ (a run with --no-cache on a busier machine, or another expected-value cache)${shown}`;
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
