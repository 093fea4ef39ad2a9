import Table from "cli-table3";
import type { RunSummary } from "../core/run.js";

/** The human summary `verdict eval` prints: pass@k (and base pass@k) and the outcome breakdown. */
export function renderSummaryTable(s: RunSummary, runDir: string): string {
  const head = new Table({ head: ["benchmark", "split", "tasks", "samples", "seconds"] });
  head.push([s.benchmark, s.split, String(s.tasks), String(s.samples), s.seconds.toFixed(1)]);
  const ks = Object.keys(s.pass_at_k);
  const scores = new Table({ head: ["metric", ...ks.map((k) => `pass@${k}`)] });
  scores.push([s.base_pass_at_k ? "base + plus" : "pass", ...ks.map((k) => pct(s.pass_at_k[k]))]);
  if (s.base_pass_at_k) {
    const base = s.base_pass_at_k;
    scores.push(["base only", ...ks.map((k) => pct(base[k]))]);
  }
  const outcomes = new Table({ head: ["outcome", "samples"] });
  for (const [k, v] of Object.entries(s.outcomes)) outcomes.push([k, String(v)]);
  const weak = s.weak_passes ? `\n${s.weak_passes} pass(es) rest on an assert run inside the untrusted process (weaker).` : "";
  return `${head.toString()}\n${scores.toString()}\n${outcomes.toString()}${weak}\nresults: ${runDir}\n`;
}

function pct(x: number | undefined): string {
  return x === undefined ? "-" : `${(x * 100).toFixed(2)}%`;
}
