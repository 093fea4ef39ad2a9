import { pairedBootstrapCi } from "../metrics/bootstrap.js";
import { pairedPermutationTest } from "../metrics/permutation.js";
import type { PhaseName, PhaseRecord } from "./phases.js";

/**
 * rounds.json: one row per round, read from the phases' records — the checkpoint and served
 * model, the data counts and hashes of the exports, the validity of the TCG tests the round
 * searched on, the search's solve
 * rate, Pass@1 and ASPR with their intervals per style, and the change since round 0 as a
 * paired difference over the evaluation tasks (bootstrap interval and a sign-flip permutation
 * test); plus each phase's budget (wall seconds, model calls, tokens, sandbox CPU seconds) and the trainer's
 * command line and exit code. Wall times live under `budgets` only, so two runs of the same
 * loop differ there and nowhere else.
 */

/** An estimate with its 95% interval. */
export interface Interval95 {
  value: number | null;
  low: number | null;
  high: number | null;
}

/** Round r − round 0 on the same tasks. */
export interface RoundDelta extends Interval95 {
  tasks: number;
  /** Two-sided p of the paired sign-flip permutation test. */
  p_value: number | null;
}

/** One style's evaluation of a round. */
export interface RoundEvaluation {
  pass1: Interval95 & { tasks: number; samples: number };
  aspr: Interval95 & { definition: string };
  delta_vs_round0: RoundDelta | null;
}

/** One row of rounds.json. */
export interface RoundRow {
  round: number;
  complete: boolean;
  checkpoint: string | null;
  served_model: string | null;
  data: Record<string, { rows: number; sha256: string; file: string }>;
  tcg_validity: Interval95 | null;
  search: { tasks: number; solved: number; solve_rate: number | null } | null;
  evaluation: Record<string, RoundEvaluation>;
  trainer: { command: string; exit_code: number | null } | null;
  budgets: { phases: Partial<Record<PhaseName, PhaseBudget>>; model_calls: number; tokens: number; sandbox_cpu_seconds: number };
}

/** What one phase spent. */
export interface PhaseBudget {
  seconds: number;
  attempts: number;
  model_calls?: number;
  tokens?: number;
  /** CPU seconds the phase's programs used in the sandbox, by the containers' CPU counters (cached verdicts cost none; a phase resumed after a stop counts from its last start). */
  sandbox_cpu_seconds?: number;
}

/** rounds.json. */
export interface RoundsReport {
  rounds: RoundRow[];
}

type Details = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const obj = (v: unknown): Details | undefined => (v !== null && typeof v === "object" ? (v as Details) : undefined);

/** A figure with a `{value, ci: {low, high}}` shape (the run pipeline's) as an Interval95. */
function figure(v: unknown): Interval95 {
  const f = obj(v);
  const ci = obj(f?.ci);
  return { value: num(f?.value) ?? null, low: num(ci?.low) ?? null, high: num(ci?.high) ?? null };
}

/** Per-task pass rates of a style's evaluation: task id → c/n. */
function taskRates(evaluation: Details | undefined, style: string): Map<string, number> {
  const perTask = obj(obj(obj(evaluation?.styles)?.[style])?.per_task) ?? {};
  const out = new Map<string, number>();
  for (const [id, r] of Object.entries(perTask)) {
    const rate = obj(r);
    const n = num(rate?.n);
    const c = num(rate?.c);
    if (n !== undefined && c !== undefined && n > 0) out.set(id, c / n);
  }
  return out;
}

/** Round minus baseline on the tasks both evaluated. */
export function roundDelta(baseline: ReadonlyMap<string, number>, round: ReadonlyMap<string, number>, seed = 0): RoundDelta | null {
  const ids = [...baseline.keys()].filter((id) => round.has(id));
  if (ids.length === 0) return null;
  const a = ids.map((id) => baseline.get(id) ?? 0);
  const b = ids.map((id) => round.get(id) ?? 0);
  const ci = pairedBootstrapCi(a, b, { seed });
  const test = pairedPermutationTest(b.map((v, i) => v - (a[i] ?? 0)), { seed });
  return { value: ci.estimate, low: ci.low, high: ci.high, tasks: ids.length, p_value: test.pValue };
}

/** The budget of one phase from its record. */
function budgetOf(r: PhaseRecord): PhaseBudget {
  const d = r.details;
  const calls = num(d.model_calls);
  const tokens = (num(d.prompt_tokens) ?? 0) + (num(d.completion_tokens) ?? 0);
  const sandbox = num(d.sandbox_cpu_seconds);
  return { seconds: r.seconds, attempts: r.attempts, ...(calls !== undefined ? { model_calls: calls } : {}), ...(tokens > 0 ? { tokens } : {}), ...(sandbox !== undefined ? { sandbox_cpu_seconds: sandbox } : {}) };
}

/** Builds rounds.json from every phase record of the run, by round (records of unfinished phases count as far as they got). */
export function buildRoundsReport(records: readonly PhaseRecord[], rounds: number, planned: (round: number) => readonly PhaseName[]): RoundsReport {
  const of = (round: number, phase: PhaseName): PhaseRecord | undefined => records.find((r) => r.round === round && r.phase === phase);
  const done = (round: number, phase: PhaseName): Details | undefined => {
    const r = of(round, phase);
    return r?.status === "complete" ? r.details : undefined;
  };
  const baseline = done(0, "evaluate");
  const rows: RoundRow[] = [];
  for (let round = 0; round <= rounds; round++) {
    const phases = planned(round);
    const serve = done(round, "serve");
    const evaluation = done(round, "evaluate");
    const search = done(round, "search");
    // The TCG run whose tests this round searched on: its own, else the latest before it (the paper's fixed TCG).
    const tcg = [...Array(round + 1).keys()].reverse().map((r) => done(r, "tcg")).find((d) => d !== undefined);
    const exported = obj(done(round, "export")?.formats) ?? {};
    const train = of(round, "train");
    const styles = Object.keys(obj(evaluation?.styles) ?? {});
    const budgets: RoundRow["budgets"] = { phases: {}, model_calls: 0, tokens: 0, sandbox_cpu_seconds: 0 };
    for (const p of phases) {
      const r = of(round, p);
      if (r === undefined) continue;
      const b = budgetOf(r);
      budgets.phases[p] = b;
      budgets.model_calls += b.model_calls ?? 0;
      budgets.tokens += b.tokens ?? 0;
      budgets.sandbox_cpu_seconds += b.sandbox_cpu_seconds ?? 0;
    }
    rows.push({
      round,
      complete: phases.every((p) => of(round, p)?.status === "complete"),
      checkpoint: typeof serve?.checkpoint === "string" ? serve.checkpoint : null,
      served_model: typeof serve?.model === "string" ? serve.model : null,
      data: Object.fromEntries(
        Object.entries(exported).map(([format, v]) => {
          const e = obj(v);
          return [format, { rows: num(e?.rows) ?? 0, sha256: String(e?.sha256 ?? ""), file: String(e?.file ?? "") }];
        }),
      ),
      tcg_validity: tcg !== undefined ? { value: num(obj(tcg.validity)?.estimate) ?? null, low: num(obj(tcg.validity)?.low) ?? null, high: num(obj(tcg.validity)?.high) ?? null } : null,
      search: search !== undefined ? { tasks: num(search.tasks) ?? 0, solved: num(search.solved) ?? 0, solve_rate: num(search.solve_rate) ?? null } : null,
      evaluation: Object.fromEntries(
        styles.map((style) => {
          const s = obj(obj(evaluation?.styles)?.[style]);
          const pass1 = obj(s?.pass1);
          const aspr = obj(s?.aspr);
          const delta = round > 0 && baseline !== undefined ? roundDelta(taskRates(baseline, style), taskRates(evaluation, style)) : null;
          return [style, { pass1: { ...figure(pass1), tasks: num(pass1?.tasks) ?? 0, samples: num(pass1?.samples) ?? 0 }, aspr: { ...figure(aspr), definition: String(aspr?.definition ?? "") }, delta_vs_round0: delta }];
        }),
      ),
      trainer: train !== undefined ? { command: String(train.details.command ?? ""), exit_code: num(train.details.exit_code) ?? null } : null,
      budgets,
    });
  }
  return { rounds: rows };
}
