import Table from "cli-table3";
import type { CompareResult, Flip } from "./compare.js";

/*
 * The two human renderings of a comparison share their rows: a terminal one (cli-table3) for
 * `verdict compare`, and a markdown one written for a pull-request comment.
 */

const MINUS = "\u2212";
/** Flip rows shown per direction; the JSON output always has them all. */
const TEXT_FLIP_ROWS = 50;
const MARKDOWN_FLIP_ROWS = 200;
/** Characters of a failure detail shown in a table cell. */
const DETAIL_CHARS = 80;

/** Renders a comparison as markdown ready to post as a pull-request comment. */
export function renderCompareMarkdown(r: CompareResult): string {
  const out: string[] = [];
  out.push(`### verdict compare: ${escapeMd(r.benchmark)} / ${escapeMd(r.split)}`, "");
  out.push(`**${escapeMd(headline(r))}**`, "");
  out.push(markdownTable(["", "A (baseline)", "B (candidate)", "B − A (points)"], headlineRows(r, (s) => `\`${s}\``)), "");
  out.push(`${escapeMd(capitalise(describeTest(r)))}. ${escapeMd(describeCi(r))}.`, "");
  for (const [title, flips, failing] of flipSections(r)) {
    out.push(`#### ${title}`, "");
    if (flips.length === 0) {
      out.push("None.", "");
      continue;
    }
    const shown = flips.slice(0, MARKDOWN_FLIP_ROWS);
    let table = markdownTable(flipHead(r, failing), flipRows(r, shown));
    if (shown.length < flips.length) table += `\n\n${moreFlips(flips.length - shown.length)}`;
    // Long lists fold away so the verdict stays at the top of the PR conversation.
    if (flips.length > 10) out.push("<details><summary>show all</summary>", "", table, "", "</details>", "");
    else out.push(table, "");
  }
  const kinds = describeKinds(r);
  if (kinds) out.push(`Flip kinds: ${escapeMd(kinds)}.`, "");
  if (r.warnings.length > 0) {
    out.push("#### Warnings", "");
    for (const w of r.warnings) out.push(`- ${escapeMd(w)}`);
    out.push("");
  }
  return out.join("\n");
}

/** Renders a comparison for the terminal: the headline table, the test, the flips tables, warnings. */
export function renderCompareText(r: CompareResult): string {
  const out: string[] = [];
  out.push(`${r.benchmark} / ${r.split}: ${headline(r)}`);
  const head = newTable(["", "A (baseline)", "B (candidate)", "B − A (points)"]);
  head.push(...headlineRows(r, (s) => s));
  out.push(head.toString());
  out.push(`${capitalise(describeTest(r))}.`, `${describeCi(r)}.`);
  for (const [title, flips, failing] of flipSections(r)) {
    out.push("", flips.length === 0 ? `${title}: none` : `${title}:`);
    if (flips.length === 0) continue;
    const shown = flips.slice(0, TEXT_FLIP_ROWS);
    const table = newTable(flipHead(r, failing), true);
    table.push(...flipRows(r, shown));
    out.push(table.toString());
    if (shown.length < flips.length) out.push(moreFlips(flips.length - shown.length));
  }
  const kinds = describeKinds(r);
  if (kinds) out.push(`Flip kinds: ${kinds}`);
  if (r.warnings.length > 0) {
    out.push("", "Warnings:");
    for (const w of r.warnings) out.push(`  - ${w}`);
  }
  return `${out.join("\n")}\n`;
}

/** The one-line conclusion: significantly worse, significantly better, or no significant difference (and over how much). */
export function headline(r: CompareResult): string {
  const d = r.difference.pass_at_k["1"] ?? 0;
  const evidence = `pass@1 ${formatPoints(d)} points, ${pText(r.test.p_value)} (α = ${r.alpha})`;
  const over = r.coverage ? ` (${r.coverage})` : "";
  if (r.worse) return `B is significantly worse than A${over}: ${evidence}`;
  if (r.better) return `B is significantly better than A${over}: ${evidence}`;
  return `No significant difference${over}: ${evidence}`;
}

/** A run's own coverage for the "tasks" row: "399", or "10 of 399 (partial)". */
function tasksCell(side: CompareResult["a"]): string {
  if (side.tasks_benchmark === null || side.tasks_benchmark === side.tasks_total) return String(side.tasks_total);
  return `${side.tasks_total} of ${side.tasks_benchmark}${side.partial ? " (partial)" : ""}`;
}

/** "3 tests (1 task unscorable)", "none", or "?" for a run whose summary does not say. */
function referenceCell(side: CompareResult["a"]): string {
  if (side.reference_failures === null) return "?";
  if (side.reference_failures === 0 && !side.tasks_unscorable) return "none";
  return `${side.reference_failures} test(s)${side.tasks_unscorable ? ` (${side.tasks_unscorable} task(s) unscorable)` : ""}`;
}

/** Rows every rendering of a comparison shows about what each run covers. */
export function coverageRows(r: CompareResult): string[][] {
  const rows = [["tasks", tasksCell(r.a), tasksCell(r.b), r.coverage ?? ""]];
  if ((r.a.reference_failures ?? 0) + (r.b.reference_failures ?? 0) + (r.a.tasks_unscorable ?? 0) + (r.b.tasks_unscorable ?? 0) > 0) {
    rows.push(["reference failures", referenceCell(r.a), referenceCell(r.b), ""]);
  }
  return rows;
}

function headlineRows(r: CompareResult, code: (s: string) => string): string[][] {
  const rows: string[][] = [
    ["run", code(r.a.run_id), code(r.b.run_id), ""],
    ["samples from", r.a.samples_source, r.b.samples_source, ""],
    [
      "compared",
      `${r.matched.samples} of ${r.a.samples_total} samples`,
      `${r.matched.samples} of ${r.b.samples_total} samples`,
      `${r.matched.tasks} tasks`,
    ],
    ...coverageRows(r),
  ];
  for (const k of r.k) {
    const key = String(k);
    const a = r.a.pass_at_k[key] ?? Number.NaN;
    const b = r.b.pass_at_k[key] ?? Number.NaN;
    const d = r.difference.pass_at_k[key] ?? Number.NaN;
    if (k === 1) {
      const ci = r.difference.pass_at_1_ci;
      rows.push([
        "pass@1",
        `${formatPercent(a)} [${formatPercent(r.a.pass_at_1_ci.low)}, ${formatPercent(r.a.pass_at_1_ci.high)}]`,
        `${formatPercent(b)} [${formatPercent(r.b.pass_at_1_ci.low)}, ${formatPercent(r.b.pass_at_1_ci.high)}]`,
        `${formatPoints(d)} [${formatPoints(ci.low)}, ${formatPoints(ci.high)}]`,
      ]);
    } else rows.push([`pass@${k}`, formatPercent(a), formatPercent(b), formatPoints(d)]);
  }
  const timing = r.flips.timing_bound.length;
  rows.push(["flips", `${r.flips.regressions.length} pass → fail`, `${r.flips.improvements.length} fail → pass`, timing > 0 ? `${timing} on timing-bound tasks` : ""]);
  return rows;
}

function describeTest(r: CompareResult): string {
  const t = r.test;
  if (t.name === "mcnemar_exact") {
    return `exact McNemar test on ${t.b + t.c} discordant samples (${t.b} pass only in A, ${t.c} only in B): ${pText(t.p_value)}`;
  }
  const how = t.method === "exact" ? `exact, all ${t.permutations.toLocaleString("en")} sign flips` : `Monte Carlo, ${t.permutations.toLocaleString("en")} sign flips, seed ${t.seed}`;
  return `paired permutation test on per-task pass rates (${t.non_zero} tasks differ; ${how}): ${pText(t.p_value)}`;
}

function describeCi(r: CompareResult): string {
  const ci = r.difference.pass_at_1_ci;
  const ciA = r.a.pass_at_1_ci.method === "wilson" ? "Wilson" : "bootstrap over tasks";
  return (
    `Intervals are ${Math.round(ci.confidence * 100)}%: B − A by paired bootstrap over ${r.matched.tasks} tasks ` +
    `(${ci.resamples.toLocaleString("en")} resamples, seed ${ci.seed}); each run's pass@1 by ${ciA}`
  );
}

/** Who failed, for a flips table's last column: a run, or either (flips both ways). */
type FailingSide = "A" | "B" | "the failing run";

function flipSections(r: CompareResult): [string, Flip[], FailingSide][] {
  return [
    [`Regressions (${r.flips.regressions.length}): passed in A, failed in B`, r.flips.regressions, "B"],
    [`Improvements (${r.flips.improvements.length}): failed in A, passed in B`, r.flips.improvements, "A"],
    ...(r.flips.timing_bound.length > 0
      ? [[`Flips on timing-bound tasks (${r.flips.timing_bound.length}): a sample ran within 25% of a time limit, so a busier machine alone may flip it`, r.flips.timing_bound, "the failing run"] as [string, Flip[], FailingSide]]
      : []),
  ];
}

function flipHead(r: CompareResult, failing: FailingSide): string[] {
  const why = `why ${failing} failed`;
  return r.matched.samples_per_task.max > 1 ? ["task", "sample", "A", "B", why] : ["task", "A", "B", why];
}

function flipRows(r: CompareResult, flips: readonly Flip[]): string[][] {
  const withSample = r.matched.samples_per_task.max > 1;
  return flips.map((f) => {
    const detail = shorten(f.detail ?? "");
    return withSample ? [f.task_id, String(f.sample_index), f.a, f.b, detail] : [f.task_id, f.a, f.b, detail];
  });
}

function moreFlips(n: number): string {
  return `… and ${n} more (verdict compare --json lists them all)`;
}

function shorten(s: string): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length <= DETAIL_CHARS ? line : `${line.slice(0, DETAIL_CHARS - 1)}…`;
}

function describeKinds(r: CompareResult): string {
  return Object.entries(r.flips.kinds)
    .sort(([ka, na], [kb, nb]) => nb - na || (ka < kb ? -1 : 1))
    .map(([kind, n]) => `${kind} ×${n}`)
    .join(", ");
}

function newTable(head: string[], compact = false): Table.Table {
  // No colours: output is often piped into CI logs.
  return new Table({ head, style: { head: [], border: [], compact } });
}

function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => escapeCell(c)).join(" | ")} |`;
  return [line(head), `|${head.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

function escapeCell(s: string): string {
  // Code spans keep their content; pipes must still be escaped inside a table.
  return (s.startsWith("`") ? s : escapeMd(s)).replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function escapeMd(s: string): string {
  return s.replace(/([\\`*_<>[\]])/g, "\\$1");
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** 0.558 → "55.8%". */
export function formatPercent(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "n/a";
}

/** A difference of fractions in percentage points, signed: −0.046 → "−4.6". */
export function formatPoints(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const v = (x * 100).toFixed(1);
  if (v === "0.0" || v === "-0.0") return "0.0";
  return x < 0 ? `${MINUS}${v.slice(1)}` : `+${v}`;
}

/** "p = 0.0031" with two significant digits; tiny values as "p < 0.0001". */
export function pText(p: number): string {
  if (p < 1e-4) return "p < 0.0001";
  return `p = ${Number(p.toPrecision(2))}`;
}
