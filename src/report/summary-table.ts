import Table from "cli-table3";
import type { RunSummary } from "../core/run.js";
import { coverageNotes, partialLabel, referenceFailureLabel, referenceFailureLines } from "./coverage.js";

/**
 * The human summary `verdict eval` prints: pass@k (and base pass@k) and the outcome breakdown.
 * Figures over a subset of the benchmark say so above the tables, and reference failures are listed.
 */
export function renderSummaryTable(s: RunSummary, runDir: string): string {
  const partial = partialLabel(s);
  const tasks = s.tasks_total !== undefined && s.tasks_total !== s.tasks ? `${s.tasks} of ${s.tasks_total}` : String(s.tasks);
  const head = new Table({ head: ["benchmark", "split", "tasks", "samples", "seconds"] });
  head.push([s.benchmark, s.split, tasks, String(s.samples), s.seconds.toFixed(1)]);
  const ks = Object.keys(s.pass_at_k);
  const scores = new Table({ head: ["metric", ...ks.map((k) => `pass@${k}`)] });
  const suffix = partial ? ` (${partial})` : "";
  scores.push([(s.base_pass_at_k ? "base + plus" : "pass") + suffix, ...ks.map((k) => pct(s.pass_at_k[k]))]);
  if (s.base_pass_at_k) {
    const base = s.base_pass_at_k;
    scores.push([`base only${suffix}`, ...ks.map((k) => pct(base[k]))]);
  }
  const outcomes = new Table({ head: ["outcome", "samples"] });
  for (const [k, v] of Object.entries(s.outcomes)) outcomes.push([k, String(v)]);
  const lines: string[] = [];
  if (partial) lines.push(`${partial.replace(/^partial/, "PARTIAL")}: the figures below cover only these tasks.`);
  for (const note of coverageNotes(s)) lines.push(`${note}.`);
  lines.push(head.toString(), scores.toString(), outcomes.toString());
  if (s.weak_passes) lines.push(`${s.weak_passes} pass(es) rest on an assert run inside the untrusted process (weaker).`);
  const failures = referenceFailureLabel(s);
  if (failures) {
    lines.push(`reference failures: ${failures}`);
    for (const line of referenceFailureLines(s)) lines.push(`  ${line}`);
  }
  lines.push(`results: ${runDir}`);
  return `${lines.join("\n")}\n`;
}

function pct(x: number | undefined): string {
  return x === undefined ? "-" : `${(x * 100).toFixed(2)}%`;
}
