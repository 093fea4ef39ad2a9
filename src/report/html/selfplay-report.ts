import type { RoundsReport } from "../../selfplay/round-report.js";
import { escapeHtml } from "./escape-html.js";
import { pageHead } from "./page-head.js";
import { REPORT_CSS } from "./styles.js";

/**
 * The HTML round report of a self-play run (`<run>/rounds.html`, `verdict selfplay report RUN
 * --html`): line plots across rounds drawn as inline SVG — Pass@1 and ASPR per style with their
 * 95% intervals as bands, the search's solve rate and the TCG's validity, the training data
 * exported, the model calls — and the rounds table. No script at all: the Content-Security-
 * Policy allows inline styles only, so the page works offline and runs nothing.
 */

/** One line of a plot: a value per round (null where the round has none), optionally with its interval. */
export interface PlotSeries {
  name: string;
  values: (number | null)[];
  band?: ([number, number] | null)[];
}

const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df"];
const W = 520;
const H = 240;
const PAD = { left: 52, right: 16, top: 14, bottom: 34 };

/** A line plot of values across rounds; `percent` draws 0–100 % on the y axis, else 0 to the largest value. */
export function linePlot(id: string, title: string, rounds: number[], series: PlotSeries[], percent: boolean): string {
  const all = series.flatMap((s) => [...s.values, ...(s.band ?? []).flatMap((b) => b ?? [])]).filter((v): v is number => v !== null);
  const yMax = percent ? 1 : Math.max(1, ...all);
  const xOf = (i: number): number => PAD.left + (rounds.length <= 1 ? 0 : (i * (W - PAD.left - PAD.right)) / (rounds.length - 1));
  const yOf = (v: number): number => PAD.top + (1 - v / yMax) * (H - PAD.top - PAD.bottom);
  const fmt = (v: number): string => (percent ? `${(v * 100).toFixed(1)}%` : String(Math.round(v * 100) / 100));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * yMax);
  const grid = ticks
    .map((t) => `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${yOf(t)}" y2="${yOf(t)}"/><text class="tick" x="${PAD.left - 6}" y="${yOf(t) + 4}" text-anchor="end">${escapeHtml(fmt(t))}</text>`)
    .join("");
  const xTicks = rounds.map((r, i) => `<text class="tick" x="${xOf(i)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${r}</text>`).join("");
  const lines = series
    .map((s, k) => {
      const color = COLORS[k % COLORS.length] ?? "#000";
      const pts = s.values.map((v, i) => (v === null ? null : ([xOf(i), yOf(v), v, rounds[i] ?? i] as const))).filter((p) => p !== null);
      const bandPts = (s.band ?? []).map((b, i) => (b === null ? null : ([xOf(i), yOf(b[0]), yOf(b[1])] as const))).filter((p) => p !== null);
      const band = bandPts.length > 1 ? `<polygon class="band" fill="${color}" points="${[...bandPts.map((p) => `${p[0]},${p[2]}`), ...bandPts.reverse().map((p) => `${p[0]},${p[1]}`)].join(" ")}"/>` : "";
      const path = pts.length > 1 ? `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${p[0]},${p[1]}`).join(" ")}"/>` : "";
      const dots = pts
        .map((p) => `<circle cx="${p[0]}" cy="${p[1]}" r="4" fill="${color}" data-series="${escapeHtml(s.name)}" data-round="${p[3]}" data-value="${p[2]}"><title>${escapeHtml(`${s.name}, round ${p[3]}: ${fmt(p[2])}`)}</title></circle>`)
        .join("");
      return `<g class="series">${band}${path}${dots}</g>`;
    })
    .join("");
  const legend = series.map((s, k) => `<span class="key"><i style="background:${COLORS[k % COLORS.length] ?? "#000"}"></i>${escapeHtml(s.name)}</span>`).join(" ");
  return `<figure class="plot-card"><figcaption>${escapeHtml(title)}</figcaption>
<svg class="plot" id="${escapeHtml(id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(title)} by round">${grid}${xTicks}<text class="tick" x="${(W + PAD.left) / 2}" y="${H - 4}" text-anchor="middle">round</text>${lines}</svg>
<div class="legend">${legend}</div></figure>`;
}

const PLOT_CSS = `
.plots { display: flex; flex-wrap: wrap; gap: 16px; }
.plot-card { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.plot-card figcaption { font-weight: 600; margin-bottom: 4px; }
svg.plot .grid { stroke: #e3e6ea; }
svg.plot .tick { font-size: 11px; fill: #57606a; }
svg.plot .band { opacity: 0.15; }
.legend .key { margin-right: 12px; font-size: 13px; }
.legend .key i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
table.rounds { border-collapse: collapse; font-size: 13px; margin-top: 12px; }
table.rounds th, table.rounds td { border: 1px solid var(--line); padding: 3px 8px; text-align: right; }
table.rounds th:nth-child(-n+2), table.rounds td:nth-child(-n+2) { text-align: left; }
`;

/** The whole page. */
export function renderRoundsHtml(report: RoundsReport, title: string): string {
  const rows = report.rounds;
  const rounds = rows.map((r) => r.round);
  const styles = [...new Set(rows.flatMap((r) => Object.keys(r.evaluation)))];
  const band = (f: { low: number | null; high: number | null } | undefined): [number, number] | null => (f && f.low !== null && f.high !== null ? [f.low, f.high] : null);
  const formats = [...new Set(rows.flatMap((r) => Object.keys(r.data)))];
  const plots = [
    linePlot("plot-pass1", "Pass@1 (95% interval)", rounds, styles.map((s) => ({ name: s, values: rows.map((r) => r.evaluation[s]?.pass1.value ?? null), band: rows.map((r) => band(r.evaluation[s]?.pass1)) })), true),
    linePlot("plot-aspr", "ASPR (95% interval)", rounds, styles.map((s) => ({ name: s, values: rows.map((r) => r.evaluation[s]?.aspr.value ?? null), band: rows.map((r) => band(r.evaluation[s]?.aspr)) })), true),
    linePlot(
      "plot-search",
      "Search solve rate and TCG validity",
      rounds,
      [
        { name: "search solved", values: rows.map((r) => r.search?.solve_rate ?? null) },
        { name: "TCG validity", values: rows.map((r) => r.tcg_validity?.value ?? null), band: rows.map((r) => band(r.tcg_validity ?? undefined)) },
      ],
      true,
    ),
    linePlot("plot-data", "Training rows exported", rounds, formats.map((f) => ({ name: f, values: rows.map((r) => r.data[f]?.rows ?? null) })), false),
    linePlot("plot-calls", "Model calls", rounds, [{ name: "model calls", values: rows.map((r) => r.budgets.model_calls) }], false),
  ];
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
  const head = `<tr><th>round</th><th>checkpoint (served as)</th>${formats.map((f) => `<th>${escapeHtml(f)} rows</th>`).join("")}<th>TCG validity</th><th>search solved</th>${styles.map((s) => `<th>${escapeHtml(s)} Pass@1</th><th>${escapeHtml(s)} ASPR</th><th>${escapeHtml(s)} Δ vs round 0 (p)</th>`).join("")}<th>trainer exit</th><th>wall s</th></tr>`;
  const body = rows
    .map((r) => {
      const cells = styles.flatMap((s) => {
        const e = r.evaluation[s];
        const d = e?.delta_vs_round0;
        return [pct(e?.pass1.value), pct(e?.aspr.value), d && d.value !== null ? `${d.value >= 0 ? "+" : ""}${(d.value * 100).toFixed(1)} pts${d.p_value !== null ? ` (p ${d.p_value.toFixed(3)})` : ""}` : "–"];
      });
      const seconds = Object.values(r.budgets.phases).reduce((sum, b) => sum + (b?.seconds ?? 0), 0);
      return `<tr data-round="${r.round}"><td>${r.round}${r.complete ? "" : " (unfinished)"}</td><td>${escapeHtml(r.checkpoint ?? "–")}${r.served_model !== null ? ` (${escapeHtml(r.served_model)})` : ""}</td>${formats.map((f) => `<td>${r.data[f]?.rows ?? "–"}</td>`).join("")}<td>${pct(r.tcg_validity?.value)}</td><td>${r.search ? `${r.search.solved}/${r.search.tasks}` : "–"}</td>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}<td>${r.trainer?.exit_code ?? "–"}</td><td>${seconds.toFixed(1)}</td></tr>`;
    })
    .join("\n");
  return `${pageHead(title, null, `${REPORT_CSS}${PLOT_CSS}`)}
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Round 0 evaluates the starting checkpoint; each later round searched with the previous round's policy, trained on the export and evaluated the new checkpoint. Δ is the paired difference over the evaluation tasks with a sign-flip permutation test.</p>
<section class="plots">
${plots.join("\n")}
</section>
<table class="rounds"><thead>${head}</thead><tbody>
${body}
</tbody></table>
</main>
</body>
</html>
`;
}
