import Table from "cli-table3";
import { TIMING_MARGIN } from "../metrics/timing-bound.js";
import { tableStyle } from "./table-style.js";
import { renderEngineTable } from "./engine-table.js";
import type { RunSummary } from "../core/run.js";
import { coverageNotes, partialLabel, referenceFailureLabel, referenceFailureLines } from "./coverage.js";

/**
 * The human summary `verdict eval` prints: pass@k (and base pass@k) and the outcome breakdown.
 * Figures over a subset of the benchmark say so above the tables, and reference failures are listed.
 */
export function renderSummaryTable(s: RunSummary, runDir: string): string {
  const partial = partialLabel(s);
  const tasks = s.tasks_total !== undefined && s.tasks_total !== s.tasks ? `${s.tasks} of ${s.tasks_total}` : String(s.tasks);
  const head = new Table({ head: ["benchmark", "split", "tasks", "samples", "seconds"], style: tableStyle() });
  head.push([s.benchmark, s.split, tasks, String(s.samples), s.seconds.toFixed(1)]);
  const ks = Object.keys(s.pass_at_k);
  const scores = new Table({ head: ["metric", ...ks.map((k) => `pass@${k}`)], style: tableStyle() });
  const suffix = partial ? ` (${partial})` : "";
  scores.push([(s.base_pass_at_k ? "base + plus" : "pass") + suffix, ...ks.map((k) => pct(s.pass_at_k[k]))]);
  if (s.base_pass_at_k) {
    const base = s.base_pass_at_k;
    scores.push([`base only${suffix}`, ...ks.map((k) => pct(base[k]))]);
  }
  const outcomes = new Table({ head: ["outcome", "samples"], style: tableStyle() });
  for (const [k, v] of Object.entries(s.outcomes)) outcomes.push([k, String(v)]);
  const lines: string[] = [];
  if (partial) lines.push(`${partial.replace(/^partial/, "PARTIAL")}: the figures below cover only these tasks.`);
  for (const note of coverageNotes(s)) lines.push(`${note}.`);
  lines.push(head.toString(), scores.toString(), outcomes.toString());
  if (s.engines !== undefined && s.engines.length > 0) lines.push(renderEngineTable(s.engines));
  if (s.weak_passes) lines.push(`${s.weak_passes} pass(es) rest on an assert run inside the untrusted process (weaker).`);
  const fromCache = cacheLine(s);
  if (fromCache) lines.push(fromCache);
  const timing = timingBoundLine(s);
  if (timing) lines.push(timing);
  const failures = referenceFailureLabel(s);
  if (failures) {
    lines.push(`reference failures: ${failures}`);
    for (const line of referenceFailureLines(s)) lines.push(`  ${line}`);
  }
  lines.push(`results: ${runDir}`);
  return `${lines.join("\n")}\n`;
}

/**
 * "181 of 399 verdicts from cache (…)": a reused verdict (a timeout included) is not a fresh
 * measurement, and says so; null when the summary predates the count.
 */
export function cacheLine(s: Pick<RunSummary, "cached" | "samples">): string | null {
  if (s.cached === undefined) return null;
  const expected = s.cached.expected_values === true ? "; expected values and reference timings from cache" : "";
  const how = s.cached.verdicts > 0 ? " (the verdict cache: --no-verdict-cache judges every sample afresh)" : "";
  return `${s.cached.verdicts} of ${s.samples} verdicts from cache${how}${expected}.`;
}

/** "UNSTABLE: 1 task(s) timing-bound …" when some sample finished a test within 25% of its time limit; null otherwise. */
export function timingBoundLine(s: Pick<RunSummary, "timing_bound">): string | null {
  const tasks = s.timing_bound ?? [];
  if (tasks.length === 0) return null;
  const shown = tasks.length > 10 ? `${tasks.slice(0, 10).join(", ")}, …` : tasks.join(", ");
  return `UNSTABLE: ${tasks.length} task(s) are timing-bound (a sample finished a test within ${TIMING_MARGIN * 100}% of its time limit): ${shown}; their verdicts may flip between runs.`;
}

function pct(x: number | undefined): string {
  return x === undefined ? "-" : `${(x * 100).toFixed(2)}%`;
}
