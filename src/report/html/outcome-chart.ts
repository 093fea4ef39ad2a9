import { OUTCOMES } from "../../core/index.js";
import type { Outcome } from "../../core/index.js";
import { escapeHtml } from "./escape-html.js";
import { OUTCOME_STYLE } from "./outcome-style.js";

/** One bar of the chart: a run's samples by outcome. */
export interface ChartBar {
  label: string;
  counts: Partial<Record<Outcome, number>>;
}

const LABEL_W = 120;
const BAR_W = 520;
const BAR_H = 24;
const GAP = 10;
/** Segments narrower than this get no percentage written on them. */
const TEXT_MIN_W = 34;

/**
 * The outcome breakdown as inline SVG (one stacked bar per run, every segment with a tooltip)
 * followed by a legend table with the counts, so the numbers are readable without hovering.
 */
export function renderOutcomeChart(bars: readonly ChartBar[]): string {
  const height = bars.length * (BAR_H + GAP) - GAP;
  const width = LABEL_W + BAR_W;
  const parts: string[] = [];
  bars.forEach((bar, row) => {
    const y = row * (BAR_H + GAP);
    const total = OUTCOMES.reduce((s, o) => s + (bar.counts[o] ?? 0), 0);
    parts.push(`<text x="0" y="${y + BAR_H / 2}" dominant-baseline="middle" class="chart-label">${escapeHtml(bar.label)}</text>`);
    if (total === 0) {
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${BAR_W}" height="${BAR_H}" fill="#eee"><title>no samples</title></rect>`);
      return;
    }
    let x = LABEL_W;
    for (const outcome of OUTCOMES) {
      const n = bar.counts[outcome] ?? 0;
      if (n === 0) continue;
      const w = (n / total) * BAR_W;
      const style = OUTCOME_STYLE[outcome];
      const tip = `${bar.label}: ${style.label} ${n.toLocaleString("en")} of ${total.toLocaleString("en")} (${percent(n / total)})`;
      parts.push(
        `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${BAR_H}" fill="${style.color}" data-outcome="${outcome}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      if (w >= TEXT_MIN_W) {
        parts.push(
          `<text x="${(x + w / 2).toFixed(2)}" y="${y + BAR_H / 2}" dominant-baseline="middle" text-anchor="middle" class="chart-pct">${percent(n / total)}</text>`,
        );
      }
      x += w;
    }
  });
  const summary = bars
    .map((b) => `${b.label}: ${OUTCOMES.filter((o) => (b.counts[o] ?? 0) > 0).map((o) => `${b.counts[o]} ${OUTCOME_STYLE[o].label}`).join(", ")}`)
    .join("; ");
  const svg =
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(`outcomes: ${summary}`)}">` +
    parts.join("") +
    `</svg>`;
  return svg + legend(bars);
}

function legend(bars: readonly ChartBar[]): string {
  const present = OUTCOMES.filter((o) => bars.some((b) => (b.counts[o] ?? 0) > 0));
  const totals = bars.map((b) => OUTCOMES.reduce((s, o) => s + (b.counts[o] ?? 0), 0));
  const head = bars.length > 1 ? `<tr><th></th>${bars.map((b) => `<th>${escapeHtml(b.label)}</th>`).join("")}</tr>` : "";
  const rows = present.map((o) => {
    const cells = bars.map((b, i) => {
      const n = b.counts[o] ?? 0;
      const total = totals[i] ?? 0;
      return `<td class="num">${n.toLocaleString("en")} <span class="muted">(${total > 0 ? percent(n / total) : "–"})</span></td>`;
    });
    return `<tr><td><span class="swatch" style="background:${OUTCOME_STYLE[o].color}"></span>${escapeHtml(OUTCOME_STYLE[o].label)}</td>${cells.join("")}</tr>`;
  });
  return `<table class="legend">${head}${rows.join("")}</table>`;
}

function percent(x: number): string {
  const p = x * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}
