import Table from "cli-table3";
import { ALL_ASPR_DEFINITIONS, type AnyAsprDefinition } from "../metrics/aspr.js";
import { cacheLine } from "./summary-table.js";

/**
 * The o1-Coder paper's Table 1 (pseudocode-based generation on MBPP): for each model, Vanilla,
 * Pseudocode and their difference, for Pass@1 and ASPR, our figures beside the paper's. Every
 * rendering names the ASPR definition and the sampling (P, M, temperature) it used.
 */

/** A figure with its 95% interval (fractions 0-1). */
export interface Table1Figure {
  value: number | null;
  ci: { low: number; high: number; method: string } | null;
}

/** One style's figures for one model; `tasks` is each figure's real denominator when known. */
export interface Table1Style {
  pass1: Table1Figure & { tasks?: number };
  aspr: Table1Figure & { tasksCounted: number; tasks?: number };
}

/** A cell (model, style, purpose) whose generation failed for these tasks after retries. */
export interface Table1Incomplete {
  model: string;
  style: string;
  purpose: "pass1" | "aspr";
  tasks: string[];
}

/** The paper's figures for one model, in percent as printed. */
export interface PaperFigures {
  vanilla: { pass1: number; aspr: number };
  pseudocode: { pass1: number; aspr: number };
}

/** What the table is made from (a run's results). */
export interface Table1Input {
  runDir: string;
  benchmark: { name: string; split: string; tasks: number };
  settings: {
    pass1: { temperature: number; top_p: number; n: number };
    /** C and D come from the trees of `search_run` (pseudocode only); A and B from sampled paths. */
    aspr: { definition: AnyAsprDefinition; search_run?: string; paths: number; finals: number; temperature: number; top_p: number; top_k?: number; repetition_penalty?: number };
    ci: { resamples: number };
  };
  models: {
    name: string;
    styles: Partial<Record<"vanilla" | "pseudocode", Table1Style>>;
    delta: { pass1: Table1Figure; aspr: Table1Figure } | null;
    paper: PaperFigures | null;
  }[];
  /** Cells whose generation failed for some tasks: the table is printed as INCOMPLETE. */
  incomplete?: Table1Incomplete[];
  /** Verdicts of every cell and how many came from the verdict cache (absent in runs made before). */
  judging?: { verdicts: number; cached: number };
}

/** A figure in table.json: the value and its interval as [low, high]. */
export interface Table1JsonFigure {
  value: number | null;
  ci: [number, number] | null;
}

/** One style's figures in table.json: `pass1_tasks` and `aspr_tasks_sampled` are the tasks each figure covers, when known. */
export interface Table1JsonStyle {
  pass1: number | null;
  aspr: number | null;
  pass1_ci: [number, number] | null;
  aspr_ci: [number, number] | null;
  /** Tasks with a correct path (ASPR's own denominator). */
  aspr_tasks: number;
  pass1_tasks?: number;
  aspr_tasks_sampled?: number;
}

/** One model's row of table.json (and of `verdict table1 --json`). */
export interface Table1JsonRow {
  model: string;
  vanilla: Table1JsonStyle | null;
  pseudocode: Table1JsonStyle | null;
  delta: { pass1: number | null; aspr: number | null; pass1_ci: [number, number] | null; aspr_ci: [number, number] | null } | null;
  /** The paper's figures as fractions, or null for a model the paper does not report. */
  paper: { vanilla: { pass1: number; aspr: number }; pseudocode: { pass1: number; aspr: number }; delta: { pass1: number; aspr: number } } | null;
}

/** table.json: rows plus everything needed to read them. */
export interface Table1Json {
  benchmark: string;
  split: string;
  tasks: number;
  run_dir: string;
  /** False when some generation failed: the figures then cover fewer tasks (see incomplete and the rows' task counts). */
  complete: boolean;
  incomplete: Table1Incomplete[];
  pass1: { temperature: number; top_p: number; n: number; ci: string };
  aspr: { definition: AnyAsprDefinition; description: string; search_run?: string; paths: number; finals: number; temperature: number; top_p: number; top_k?: number; repetition_penalty?: number; ci: string };
  rows: Table1JsonRow[];
}

const ciPair = (f: Table1Figure | undefined): [number, number] | null => (f?.ci ? [f.ci.low, f.ci.high] : null);

/** The intervals' method as a phrase, from the first figure that has one. */
function ciMethod(input: Table1Input, metric: "pass1" | "aspr"): string {
  for (const m of input.models) {
    for (const s of Object.values(m.styles)) {
      const method = s[metric].ci?.method;
      if (method === "wilson") return "95% Wilson score interval";
      if (method === "bootstrap") return `95% percentile bootstrap over tasks (${input.settings.ci.resamples} resamples)`;
    }
  }
  return "none";
}

/** The table as data (fractions 0-1): what `--json` prints and table.json holds. */
export function buildTable1Json(input: Table1Input): Table1Json {
  const { aspr, pass1 } = input.settings;
  const style = (s: Table1Style | undefined): Table1JsonRow["vanilla"] =>
    s
      ? {
          pass1: s.pass1.value,
          aspr: s.aspr.value,
          pass1_ci: ciPair(s.pass1),
          aspr_ci: ciPair(s.aspr),
          aspr_tasks: s.aspr.tasksCounted,
          ...(s.pass1.tasks !== undefined ? { pass1_tasks: s.pass1.tasks } : {}),
          ...(s.aspr.tasks !== undefined ? { aspr_tasks_sampled: s.aspr.tasks } : {}),
        }
      : null;
  const incomplete = input.incomplete ?? [];
  return {
    benchmark: input.benchmark.name,
    split: input.benchmark.split,
    tasks: input.benchmark.tasks,
    run_dir: input.runDir,
    complete: incomplete.length === 0,
    incomplete,
    pass1: { temperature: pass1.temperature, top_p: pass1.top_p, n: pass1.n, ci: ciMethod(input, "pass1") },
    aspr: {
      definition: aspr.definition,
      description: ALL_ASPR_DEFINITIONS[aspr.definition],
      ...(aspr.search_run !== undefined ? { search_run: aspr.search_run } : {}),
      paths: aspr.paths,
      finals: aspr.finals,
      temperature: aspr.temperature,
      top_p: aspr.top_p,
      ...(aspr.top_k !== undefined ? { top_k: aspr.top_k } : {}),
      ...(aspr.repetition_penalty !== undefined ? { repetition_penalty: aspr.repetition_penalty } : {}),
      ci: ciMethod(input, "aspr"),
    },
    rows: input.models.map((m) => ({
      model: m.name,
      vanilla: style(m.styles.vanilla),
      pseudocode: style(m.styles.pseudocode),
      delta: m.delta ? { pass1: m.delta.pass1.value, aspr: m.delta.aspr.value, pass1_ci: ciPair(m.delta.pass1), aspr_ci: ciPair(m.delta.aspr) } : null,
      paper: m.paper
        ? {
            vanilla: { pass1: m.paper.vanilla.pass1 / 100, aspr: m.paper.vanilla.aspr / 100 },
            pseudocode: { pass1: m.paper.pseudocode.pass1 / 100, aspr: m.paper.pseudocode.aspr / 100 },
            delta: { pass1: round1(m.paper.pseudocode.pass1 - m.paper.vanilla.pass1) / 100, aspr: round1(m.paper.pseudocode.aspr - m.paper.vanilla.aspr) / 100 },
          }
        : null,
    })),
  };
}

/** A fraction as a percentage with one decimal, as the paper prints; "-" when absent. */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? "-" : (x * 100).toFixed(1);
}

/** A difference in percentage points with its sign. */
export function signedPct(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  const text = (x * 100).toFixed(1);
  return x > 0 || (x === 0 && !text.startsWith("-")) ? `+${text}` : text;
}

function ciText(ci: [number, number] | null, signed = false): string {
  if (!ci) return "-";
  const f = signed ? signedPct : pct;
  return `[${f(ci[0])}, ${f(ci[1])}]`;
}

/** The rows of the table: per metric, our figures, their intervals, the paper's. */
function bodyRows(t: Table1Json): { metric: string; source: string; cells: string[] }[] {
  const rows: { metric: string; source: string; cells: string[] }[] = [];
  for (const metric of ["pass1", "aspr"] as const) {
    const name = metric === "pass1" ? "Pass@1 (%)" : `ASPR-${t.aspr.definition} (%)`;
    const ours: string[] = [];
    const ci: string[] = [];
    const paper: string[] = [];
    for (const r of t.rows) {
      ours.push(pct(r.vanilla?.[metric]), pct(r.pseudocode?.[metric]), signedPct(r.delta?.[metric]));
      ci.push(
        ciText(r.vanilla?.[`${metric}_ci`] ?? null),
        ciText(r.pseudocode?.[`${metric}_ci`] ?? null),
        ciText(r.delta?.[`${metric}_ci`] ?? null, true),
      );
      paper.push(pct(r.paper?.vanilla[metric]), pct(r.paper?.pseudocode[metric]), signedPct(r.paper?.delta[metric]));
    }
    rows.push({ metric: name, source: "ours", cells: ours }, { metric: "", source: "95% CI", cells: ci });
    // The real denominators, whenever a figure covers fewer tasks than the benchmark has.
    const covered = (s: Table1JsonStyle | null): number | undefined => (metric === "pass1" ? s?.pass1_tasks : s?.aspr_tasks_sampled);
    const short = t.rows.some((r) => [r.vanilla, r.pseudocode].some((s) => s !== null && (covered(s) ?? t.tasks) < t.tasks));
    if (short) {
      const cell = (s: Table1JsonStyle | null): string => (s === null ? "-" : `${covered(s) ?? t.tasks}/${t.tasks}`);
      rows.push({ metric: "", source: "tasks", cells: t.rows.flatMap((r) => [cell(r.vanilla), cell(r.pseudocode), ""]) });
    }
    if (t.rows.some((r) => r.paper !== null)) rows.push({ metric: "", source: "paper", cells: paper });
  }
  return rows;
}

/** The banner an incomplete table is printed under: which generations failed, and how to complete them. */
export function incompleteBanner(t: Table1Json): string | null {
  if (t.complete) return null;
  const cells = t.incomplete.map((c) => `${c.model}/${c.style}/${c.purpose}: ${c.tasks.length > 5 ? `${c.tasks.slice(0, 5).join(", ")}, … (${c.tasks.length})` : c.tasks.join(", ")}`);
  return (
    `INCOMPLETE: generation failed after retries for some tasks (${cells.join("; ")}). ` +
    `Each figure covers only the tasks that have samples (the "tasks" rows); rerun with --resume ${t.run_dir} to complete it.`
  );
}

/** What every rendering states under the table: data, sampling, the ASPR definition, the intervals. */
export function table1Notes(t: Table1Json): string[] {
  const a = t.aspr;
  const extras = [a.top_k !== undefined ? `top_k ${a.top_k}` : "", a.repetition_penalty !== undefined ? `repetition_penalty ${a.repetition_penalty}` : ""].filter(Boolean);
  return [
    `${t.benchmark} ${t.split} split, ${t.tasks} tasks. Δ = Pseudocode − Vanilla, in points.`,
    `Pass@1: ${t.pass1.n} sample(s) per task at temperature ${t.pass1.temperature}, top_p ${t.pass1.top_p}; interval: ${t.pass1.ci}.`,
    `${a.description}.`,
    a.search_run !== undefined
      ? `ASPR-${a.definition} is read from the finished MCTS trees of the search run ${a.search_run} (pseudocode; vanilla has no search tree: -); interval: ${a.ci}.`
      : `ASPR sampling: P = ${a.paths} paths per task, M = ${a.finals} final steps per path, temperature ${a.temperature}, top_p ${a.top_p}${extras.length > 0 ? `, ${extras.join(", ")}` : ""}; interval: ${a.ci}.`,
    `Paper: o1-Coder (arXiv 2412.00154), Table 1; it states neither its ASPR formula nor its sampling settings.`,
  ];
}

/** The table for a terminal (cli-table3): one Vanilla / Pseudocode / Δ column group per model. */
export function renderTable1(input: Table1Input): string {
  const t = buildTable1Json(input);
  const table = new Table({ style: { head: [], border: [] } });
  table.push([{ content: "", colSpan: 2 }, ...t.rows.map((r) => ({ content: r.model, colSpan: 3, hAlign: "center" as const }))]);
  table.push(["metric", "", ...t.rows.flatMap(() => ["Vanilla", "Pseudocode", "Δ"])]);
  for (const row of bodyRows(t)) table.push([row.metric, row.source, ...row.cells]);
  const banner = incompleteBanner(t);
  return `${banner ? `${banner}\n` : ""}${table.toString()}\n${[...table1Notes(t), ...judgingLines(input)].join("\n")}\nresults: ${t.run_dir}\n`;
}

/** "judging: 181 of 399 verdicts from cache (…)." under a run's table: a reused verdict is not a measurement of this run. */
export function judgingLines(input: Pick<Table1Input, "judging">): string[] {
  if (input.judging === undefined) return [];
  const line = cacheLine({ samples: input.judging.verdicts, cached: { verdicts: input.judging.cached } });
  return line === null ? [] : [`judging: ${line}`];
}

/** The table as markdown (table.md). */
export function renderTable1Markdown(input: Table1Input): string {
  const t = buildTable1Json(input);
  const esc = (s: string): string => s.replace(/\|/g, "\\|");
  const head = ["metric", "", ...t.rows.flatMap((r) => [`${esc(r.model)} Vanilla`, `${esc(r.model)} Pseudocode`, `${esc(r.model)} Δ`])];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`];
  for (const row of bodyRows(t)) lines.push(`| ${[row.metric, row.source, ...row.cells].map(esc).join(" | ")} |`);
  const banner = incompleteBanner(t);
  return `# Table 1: pseudocode vs vanilla on ${t.benchmark}\n\n${banner ? `**${esc(banner)}**\n\n` : ""}${lines.join("\n")}\n\n${table1Notes(t)
    .map((n) => `- ${n}`)
    .join("\n")}\n`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
