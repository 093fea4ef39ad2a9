import Table from "cli-table3";
import type { TcgModelSummary, TcgSummary } from "../pipelines/tcg-summary.js";
import { formatPercent } from "./compare-markdown.js";

/**
 * What `verdict tcg` prints: per model, validity (the paper's TCG quality) with its Wilson
 * interval, the per-task all-valid rate, TPR and kill rate, then where every case went, the
 * mutants, and the files written.
 */

type Rate = TcgModelSummary["quality"]["validity"];
type ProgramRate = TcgModelSummary["quality"]["killRate"]["all"];

/** `66.7% [41.7%, 84.8%] (8/12)`; `n/a (0/0)` with nothing to count. */
export function formatRate(r: Rate): string {
  if (r.n === 0) return "n/a (0/0)";
  return `${formatPercent(r.estimate)} [${formatPercent(r.low)}, ${formatPercent(r.high)}] (${r.successes}/${r.n})`;
}

/** A program rate, with what it leaves out. */
function formatProgramRate(p: ProgramRate): string {
  const left = [p.untested > 0 ? `${p.untested} untested` : "", p.undetermined > 0 ? `${p.undetermined} undetermined` : ""].filter(Boolean).join(", ");
  return `${formatRate(p.rate)}${left ? `; ${left}` : ""}`;
}

const plain = { head: [] as string[], border: [] as string[] };

/** A row of a TCG table: its label, then one cell per model. */
export type TcgRow = [label: string, ...cells: string[]];

/** The figures of every model, one row per measure (the terminal table and the HTML report's). */
export function tcgFigureRows(models: readonly TcgModelSummary[]): TcgRow[] {
  const row = (label: string, cell: (m: TcgModelSummary) => string): TcgRow => [label, ...models.map(cell)];
  return [
    row("validity: valid / cases", (m) => formatRate(m.quality.validity)),
    row("validity of cases run on the reference", (m) => formatRate(m.quality.validityOfExecuted)),
    row("tasks whose every case is valid", (m) => formatRate(m.quality.tasks.allValid)),
    row("TPR: correct programs accepted by every valid test", (m) => formatProgramRate(m.quality.tpr.all)),
    row("  the reference", (m) => formatProgramRate(m.quality.tpr.reference)),
    row("  known-correct samples (--correct)", (m) => formatProgramRate(m.quality.tpr.correct)),
    row("kill rate: wrong programs failing a valid test", (m) => formatProgramRate(m.quality.killRate.all)),
    row("  wrong samples (--wrong)", (m) => formatProgramRate(m.quality.killRate.samples)),
    row("  mutants (equivalent ones left out)", (m) => formatProgramRate(m.quality.killRate.mutants)),
  ];
}

/** Where every case went, per model (the terminal table and the HTML report's). */
export function tcgCaseRows(models: readonly TcgModelSummary[]): TcgRow[] {
  const validities = Object.keys(models[0]?.quality.cases.byValidity ?? {});
  return [
    ["asked (requests × K)", ...models.map((m) => String(m.cases.asked))],
    ["in the answers beyond K (left out)", ...models.map((m) => String(m.cases.extra))],
    ["missing from the answers", ...models.map((m) => String(m.cases.missing))],
    ...validities.map((v): TcgRow => [v, ...models.map((m) => String(m.quality.cases.byValidity[v as keyof typeof m.quality.cases.byValidity] ?? 0))]),
    ["requests answered (from the cache)", ...models.map((m) => `${m.requests.answered} of ${m.requests.asked} (${m.requests.cached})`)],
  ];
}

/** What the run's mutants were, in one line; null without mutants. */
export function tcgMutantsLine(s: TcgSummary): string | null {
  const m = s.mutants;
  if (m === null) return null;
  return `mutants: ${m.made} made (at most ${m.max} per reference, seed ${m.seed}); ${m.kept} kept, ${m.equivalent} equivalent (pass every benchmark test), ${m.stillborn} do not load, ${m.undetermined} undetermined`;
}

/** Where the known-correct and wrong samples came from, one line per run directory. */
export function tcgRunLines(s: TcgSummary): string[] {
  return s.runs.map((r) => `${r.role === "correct" ? "correct" : "wrong"} samples from ${r.dir}: ${r.used} used (${r.other_status} of another status, ${r.other_tasks} of other tasks, ${r.without_program} without their program)`);
}

/** A plain terminal table of rows under a head. */
function table(head: string, models: readonly TcgModelSummary[], rows: readonly TcgRow[]): string {
  const t = new Table({ head: [head, ...models.map((m) => m.name)], style: plain });
  for (const r of rows) t.push([...r]);
  return t.toString();
}

/** The whole terminal report of a TCG run. */
export function renderTcgResult(s: TcgSummary, runDir: string): string {
  const lines: string[] = [];
  lines.push(`TCG run ${runDir}: ${s.tasks} tasks, ${s.settings.requests} request(s) × ${s.settings.cases} cases per task and model`);
  if (!s.complete) lines.push(`INCOMPLETE: ${s.incomplete.length} (model, task) unit(s) have a request that failed; the figures cover the others; resume the run to ask again`);
  lines.push(table("measure", s.models, tcgFigureRows(s.models)), table("cases", s.models, tcgCaseRows(s.models)));
  const mutants = tcgMutantsLine(s);
  if (mutants !== null) lines.push(mutants);
  lines.push(...tcgRunLines(s));
  lines.push(`units: ${s.units.validated_now} validated now, ${s.units.from_disk} found on disk, of ${s.units.total}`);
  lines.push(`files: ${runDir}/tests.jsonl (eval --tests tcg:${runDir}), programs.jsonl, mutants.jsonl, summary.json`);
  if (s.exports !== null) lines.push(`exports: ${runDir}/exports/${s.exports.sft.file} (${s.exports.sft.rows} TRL SFT rows), ${s.exports.dpo.file} (${s.exports.dpo.rows} TRL DPO rows), with manifests`);
  return `${lines.join("\n")}\n`;
}
