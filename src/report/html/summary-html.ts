import type { Outcome, RunSummary, SampleVerdict } from "../../core/index.js";
import { bootstrapMeanCi } from "../../metrics/bootstrap.js";
import { summarize } from "../../metrics/summary.js";
import { wilsonInterval } from "../../metrics/wilson.js";
import type { CompareResult, Flip } from "../compare.js";
import { coverageRows, formatPercent, formatPoints, headline, pText } from "../compare-markdown.js";
import { coverageNotes, partialLabel, referenceFailureLabel, referenceFailureLines } from "../coverage.js";
import type { RunDir } from "../run-dir.js";
import { cacheLine, timingBoundLine } from "../summary-table.js";
import { escapeHtml } from "./escape-html.js";
import { renderOutcomeChart } from "./outcome-chart.js";
import { OUTCOME_STYLE } from "./outcome-style.js";
import { perTaskCounts } from "../../metrics/per-task-counts.js";

/** Flip rows listed per direction in the page; the grid's flip filter shows them all. */
const FLIP_ROWS = 200;

/** The top of a single run's report: what was run, pass@k with its interval, the outcome chart, notes. */
export function renderRunSummary(run: RunDir, notes: readonly string[]): string {
  const m = run.manifest;
  // From the verdicts, not summary.json: the numbers must agree with the grid below them.
  const summary = summaryOf(run);
  const cards: string[] = [];
  const ci = passAt1Interval(run.verdicts);
  for (const [k, value] of Object.entries(summary.pass_at_k).sort(([a], [b]) => Number(a) - Number(b))) {
    const sub = k === "1" && ci ? `95% CI ${formatPercent(ci.low)} – ${formatPercent(ci.high)} (${ci.method})` : "";
    cards.push(card(`pass@${k}`, formatPercent(value), sub, k === "1" ? "pass-at-1" : ""));
  }
  for (const [k, value] of Object.entries(summary.base_pass_at_k ?? {})) cards.push(card(`base pass@${k}`, formatPercent(value), "base tests only"));
  // Coverage and reference failures are the run's own record (summary.json); the grid cannot show tasks it never judged.
  const partial = partialLabel(run.summary);
  const total = run.summary?.tasks_total;
  const tasksValue = partial && total !== undefined ? `${summary.tasks.toLocaleString("en")} of ${total.toLocaleString("en")}` : summary.tasks.toLocaleString("en");
  cards.push(card("tasks", tasksValue, partial ? "partial: figures cover these tasks only" : "", "tasks-total"));
  cards.push(card("samples", summary.samples.toLocaleString("en"), "", "samples-total"));
  if (summary.weak_passes) cards.push(card("weak passes", summary.weak_passes.toLocaleString("en"), "assert ran in the untrusted process"));
  // A reused verdict (a timeout included) is not a measurement of this run: the page says how many.
  const fromCache = summary.cached?.verdicts ?? 0;
  if (fromCache > 0) cards.push(card("from cache", `${fromCache.toLocaleString("en")} of ${summary.samples.toLocaleString("en")}`, "verdicts reused from the verdict cache", "from-cache"));
  const failed = referenceFailureLabel(run.summary);
  if (failed) cards.push(card("reference failures", failed, "tests the reference solution itself failed", "reference-failures"));
  const meta = [
    `run <code>${escapeHtml(m.run_id)}</code>`,
    `samples from <code>${escapeHtml(m.samples_source)}</code>`,
    `created ${escapeHtml(m.created_at.slice(0, 16).replace("T", " "))}`,
    `status <b>${escapeHtml(m.status)}</b>`,
    `isolation ${escapeHtml(m.sandbox.isolation)}`,
    `image <code>${escapeHtml(m.sandbox.image)}</code>`,
  ];
  const banner = partial ? `<p class="headline worse" id="partial">${escapeHtml(`${partial}: every figure on this page covers only these tasks`)}</p>` : "";
  const cache = cacheLine({ samples: summary.samples, cached: { verdicts: fromCache, ...(run.summary?.cached?.expected_values !== undefined ? { expected_values: run.summary.cached.expected_values } : {}) } });
  const timing = timingBoundLine(summary);
  const coverage = [
    ...coverageNotes(run.summary),
    ...referenceFailureLines(run.summary).map((l) => `reference failure: ${l}`),
    ...(timing ? [timing] : []),
    ...(fromCache > 0 && cache ? [cache] : []),
  ];
  return (
    `<header class="top"><h1>${escapeHtml(m.benchmark)} / ${escapeHtml(m.split)}</h1><p class="meta">${meta.join(" · ")}</p></header>` +
    banner +
    `<section class="summary"><div class="cards">${cards.join("")}</div>` +
    `<div class="chart-box">${renderOutcomeChart([{ label: "samples", counts: countOutcomes(run.verdicts) }])}</div></section>` +
    renderNotes([...coverage, ...notes])
  );
}

/** The top of a comparison report: the verdict, pass@k of both with intervals, the test, the flips, warnings. */
export function renderCompareSummary(r: CompareResult, a: RunDir, b: RunDir, notes: readonly string[]): string {
  const tone = r.worse ? "worse" : r.better ? "better" : "same";
  const rows: string[][] = [
    ["run", `<code>${escapeHtml(r.a.run_id)}</code>`, `<code>${escapeHtml(r.b.run_id)}</code>`, ""],
    ["samples from", `<code>${escapeHtml(r.a.samples_source)}</code>`, `<code>${escapeHtml(r.b.samples_source)}</code>`, ""],
    ["compared", `${r.matched.samples.toLocaleString("en")} of ${r.a.samples_total.toLocaleString("en")}`, `${r.matched.samples.toLocaleString("en")} of ${r.b.samples_total.toLocaleString("en")}`, `${r.matched.tasks} tasks`],
    ...coverageRows(r).map((row) => row.map(escapeHtml)),
  ];
  for (const k of r.k) {
    const key = String(k);
    const pa = r.a.pass_at_k[key] ?? Number.NaN;
    const pb = r.b.pass_at_k[key] ?? Number.NaN;
    const d = r.difference.pass_at_k[key] ?? Number.NaN;
    if (k === 1) {
      const ci = r.difference.pass_at_1_ci;
      rows.push([
        "pass@1",
        `${formatPercent(pa)} <span class="muted">[${formatPercent(r.a.pass_at_1_ci.low)}, ${formatPercent(r.a.pass_at_1_ci.high)}]</span>`,
        `${formatPercent(pb)} <span class="muted">[${formatPercent(r.b.pass_at_1_ci.low)}, ${formatPercent(r.b.pass_at_1_ci.high)}]</span>`,
        `${formatPoints(d)} points <span class="muted">[${formatPoints(ci.low)}, ${formatPoints(ci.high)}]</span>`,
      ]);
    } else rows.push([`pass@${k}`, formatPercent(pa), formatPercent(pb), `${formatPoints(d)} points`]);
  }
  rows.push([
    "flips",
    `<span class="flip-down">${r.flips.regressions.length} pass → fail</span>`,
    `<span class="flip-up">${r.flips.improvements.length} fail → pass</span>`,
    "",
  ]);
  const table =
    `<table class="compare"><thead><tr><th></th><th>A (baseline)</th><th>B (candidate)</th><th>B − A</th></tr></thead><tbody>` +
    rows.map((cells) => `<tr><th>${cells[0]}</th>${cells.slice(1).map((c) => `<td>${c}</td>`).join("")}</tr>`).join("") +
    `</tbody></table>`;
  const kinds = Object.entries(r.flips.kinds)
    .sort(([ka, na], [kb, nb]) => nb - na || (ka < kb ? -1 : 1))
    .map(([kind, n]) => `${escapeHtml(kind)} ×${n}`)
    .join(", ");
  const chart = renderOutcomeChart([
    { label: "A (baseline)", counts: r.a.outcomes },
    { label: "B (candidate)", counts: r.b.outcomes },
  ]);
  return (
    `<header class="top"><h1>${escapeHtml(r.benchmark)} / ${escapeHtml(r.split)}: A vs B</h1>` +
    `<p class="meta">A <code>${escapeHtml(a.dir)}</code> · B <code>${escapeHtml(b.dir)}</code></p></header>` +
    `<p class="headline ${tone}" id="headline">${escapeHtml(headline(r))}</p>` +
    `<section class="summary"><div>${table}<p class="muted small">${escapeHtml(describeTest(r))}. ${escapeHtml(describeCi(r))}.</p></div>` +
    `<div class="chart-box"><p class="muted small">Outcomes of the matched samples</p>${chart}</div></section>` +
    flipsSection(`Regressions: passed in A, failed in B`, r.flips.regressions, "down") +
    flipsSection(`Improvements: failed in A, passed in B`, r.flips.improvements, "up") +
    (r.flips.timing_bound.length > 0 ? flipsSection(`Flips on timing-bound tasks: a sample ran within 25% of a time limit, so a busier machine alone may flip it`, r.flips.timing_bound, "down") : "") +
    (kinds ? `<p class="small">Flip kinds: ${kinds}</p>` : "") +
    renderNotes([...r.warnings, ...notes])
  );
}

function flipsSection(title: string, flips: readonly Flip[], direction: "down" | "up"): string {
  const head = `<summary><b class="flip-${direction}">${escapeHtml(title)} (${flips.length})</b></summary>`;
  if (flips.length === 0) return `<details class="flips">${head}<p class="muted">None.</p></details>`;
  const shown = flips.slice(0, FLIP_ROWS);
  const body = shown
    .map(
      (f) =>
        `<tr class="flip-row" tabindex="0" data-task="${escapeHtml(f.task_id)}" data-sample="${f.sample_index}">` +
        `<td>${escapeHtml(f.task_id)}</td><td class="num">${f.sample_index}</td><td>${badge(f.a)}</td><td>${badge(f.b)}</td>` +
        `<td class="why">${escapeHtml(f.detail ?? "")}</td></tr>`,
    )
    .join("");
  const more = flips.length > shown.length ? `<p class="muted small">… and ${flips.length - shown.length} more: use the flips filter above the grid.</p>` : "";
  return (
    `<details class="flips" ${flips.length <= 20 ? "open" : ""}>${head}` +
    `<table class="flip-table"><thead><tr><th>task</th><th>sample</th><th>A</th><th>B</th><th>why it failed</th></tr></thead><tbody>${body}</tbody></table>${more}</details>`
  );
}

/** An outcome as a coloured label. */
export function badge(outcome: Outcome): string {
  const style = OUTCOME_STYLE[outcome];
  return `<span class="badge" style="background:${style.color}">${escapeHtml(style.label)}</span>`;
}

function renderNotes(notes: readonly string[]): string {
  if (notes.length === 0) return "";
  return `<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`;
}

function card(title: string, value: string, sub: string, id = ""): string {
  return (
    `<div class="card"${id ? ` id="${id}"` : ""}><div class="card-title">${escapeHtml(title)}</div>` +
    `<div class="card-value">${escapeHtml(value)}</div>${sub ? `<div class="muted small">${escapeHtml(sub)}</div>` : ""}</div>`
  );
}

/** summary.json's numbers, computed over the verdicts the page shows (also for a run still in progress). */
function summaryOf(run: RunDir): RunSummary {
  if (run.verdicts.length === 0) {
    return { benchmark: run.manifest.benchmark, split: run.manifest.split, tasks: 0, samples: 0, pass_at_k: {}, outcomes: {}, seconds: 0 };
  }
  // A run still in progress may not have k samples of every task yet: show the k it has.
  const fewest = [...perTaskCounts(run.verdicts.filter((v) => v.status !== "missing")).values()].reduce((m, t) => Math.min(m, t.n), Infinity);
  return summarize({
    benchmark: run.manifest.benchmark,
    split: run.manifest.split,
    verdicts: run.verdicts,
    ks: [1, ...run.manifest.k.filter((k) => k <= fewest)],
    groups: run.verdicts.some((v) => v.plus_status !== undefined) ? ["base", "plus"] : [],
    seconds: 0,
  });
}

/** Wilson with one sample per task; else a bootstrap over tasks (samples of a task are not independent). */
function passAt1Interval(verdicts: readonly SampleVerdict[]): { low: number; high: number; method: string } | null {
  const byTask = perTaskCounts(verdicts);
  const counts = [...byTask.values()];
  if (counts.length === 0) return null;
  if (counts.every((t) => t.n === 1)) {
    const w = wilsonInterval(
      counts.reduce((s, t) => s + t.c, 0),
      counts.length,
    );
    return { low: w.low, high: w.high, method: "Wilson" };
  }
  const b = bootstrapMeanCi(counts.map((t) => t.c / t.n));
  return { low: b.low, high: b.high, method: "bootstrap over tasks" };
}

function countOutcomes(verdicts: readonly SampleVerdict[]): Partial<Record<Outcome, number>> {
  const counts: Partial<Record<Outcome, number>> = {};
  for (const v of verdicts) counts[v.status] = (counts[v.status] ?? 0) + 1;
  return counts;
}

function describeTest(r: CompareResult): string {
  const t = r.test;
  if (t.name === "mcnemar_exact") {
    return `Exact McNemar test on ${t.b + t.c} discordant samples (${t.b} pass only in A, ${t.c} only in B): ${pText(t.p_value)}, α = ${r.alpha}`;
  }
  const how = t.method === "exact" ? `exact, all ${t.permutations.toLocaleString("en")} sign flips` : `Monte Carlo, ${t.permutations.toLocaleString("en")} sign flips, seed ${t.seed}`;
  return `Paired permutation test on per-task pass rates (${t.non_zero} tasks differ; ${how}): ${pText(t.p_value)}, α = ${r.alpha}`;
}

function describeCi(r: CompareResult): string {
  const ci = r.difference.pass_at_1_ci;
  const side = r.a.pass_at_1_ci.method === "wilson" ? "Wilson" : "bootstrap over tasks";
  return `Intervals are ${Math.round(ci.confidence * 100)}%: B − A by paired bootstrap over tasks (${ci.resamples.toLocaleString("en")} resamples, seed ${ci.seed}); each run's pass@1 by ${side}`;
}
