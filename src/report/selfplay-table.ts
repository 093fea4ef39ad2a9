import Table from "cli-table3";
import type { Interval95, RoundsReport } from "../selfplay/round-report.js";
import { pct, signedPct } from "./table1.js";

/**
 * What `verdict selfplay` prints: one row per round (checkpoint, data counts, TCG validity,
 * search solve rate, Pass@1 and ASPR with intervals and the change since round 0 with its
 * paired test, per evaluated style), then the budgets per round and phase.
 */

const withCi = (f: Interval95 | null): string => (f === null || f.value === null ? "-" : `${pct(f.value)}${f.low !== null && f.high !== null ? ` [${pct(f.low)}, ${pct(f.high)}]` : ""}`);

/** The last two path segments: enough to tell checkpoints apart in a table. */
const shortPath = (p: string | null): string => (p === null ? "-" : p.split("/").slice(-3).join("/"));

/** The rounds table and the budgets table. */
export function renderRounds(report: RoundsReport): string {
  const styles = [...new Set(report.rounds.flatMap((r) => Object.keys(r.evaluation)))];
  const t = new Table({
    head: ["round", "checkpoint (served as)", "data (dpo / prm / sft rows)", "TCG validity %", "search solved", ...styles.flatMap((s) => [`${s} Pass@1 %`, `${s} ASPR %`, `${s} Δ Pass@1 vs round 0 (p)`])],
    style: { head: [], border: [] },
  });
  for (const r of report.rounds) {
    const rows = (f: string): string => (r.data[f] !== undefined ? String(r.data[f].rows) : "-");
    t.push([
      `${r.round}${r.complete ? "" : " (unfinished)"}`,
      `${shortPath(r.checkpoint)}${r.served_model !== null ? ` (${r.served_model})` : ""}`,
      r.round === 0 ? "-" : `${rows("dpo")} / ${rows("prm")} / ${rows("sft")}`,
      withCi(r.tcg_validity),
      r.search === null ? "-" : `${r.search.solved}/${r.search.tasks} (${pct(r.search.solve_rate)})`,
      ...styles.flatMap((s) => {
        const e = r.evaluation[s];
        const d = e?.delta_vs_round0 ?? null;
        const delta = d === null || d.value === null ? "-" : `${signedPct(d.value)}${d.low !== null && d.high !== null ? ` [${signedPct(d.low)}, ${signedPct(d.high)}]` : ""}${d.p_value !== null ? ` (p ${d.p_value.toFixed(3)})` : ""}`;
        return [withCi(e?.pass1 ?? null), withCi(e?.aspr ?? null), delta];
      }),
    ]);
  }
  const b = new Table({ head: ["round", "phase", "wall s", "attempts", "model calls", "tokens", "sandbox CPU s", "trainer"], style: { head: [], border: [] } });
  for (const r of report.rounds) {
    for (const [phase, budget] of Object.entries(r.budgets.phases)) {
      const trainer = phase === "train" && r.trainer !== null ? `exit ${r.trainer.exit_code ?? "-"}` : "";
      b.push([String(r.round), phase, budget.seconds.toFixed(1), String(budget.attempts), budget.model_calls !== undefined ? String(budget.model_calls) : "-", budget.tokens !== undefined ? String(budget.tokens) : "-", budget.sandbox_cpu_seconds !== undefined ? budget.sandbox_cpu_seconds.toFixed(1) : "-", trainer]);
    }
  }
  return `${t.toString()}\n\nBudgets by phase:\n${b.toString()}\n`;
}
