import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { RUN_FILES } from "../../runner/run-format.js";
import { tcgSummaryOf, type TcgSummary } from "../../pipelines/tcg-summary.js";
import { tcgCaseRows, tcgFigureRows, tcgMutantsLine, tcgRunLines, type TcgRow } from "../tcg-table.js";
import { escapeHtml } from "./escape-html.js";

/**
 * The TCG section of `verdict report` on a `verdict tcg` run: the same figures as the
 * terminal table (src/report/tcg-table.ts builds the rows for both), read from summary.json's
 * `tcg` section, so the page and the terminal cannot disagree. The grid below it shows the
 * reference judged on the generated tests (the run's verdicts.jsonl).
 */

/** The `tcg` section of a run directory's summary.json; undefined for any other run, or one not finished. */
export async function readTcgSummary(dir: string): Promise<TcgSummary | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, RUN_FILES.summary), "utf8");
  } catch {
    return undefined;
  }
  try {
    return tcgSummaryOf(JSON.parse(text));
  } catch {
    // A malformed summary.json is reported by the run reader; this section is simply left out.
    return undefined;
  }
}

/** One table of the section. */
function rowsTable(head: string, models: readonly string[], rows: readonly TcgRow[]): string {
  const headRow = `<tr><th>${escapeHtml(head)}</th>${models.map((m) => `<th>${escapeHtml(m)}</th>`).join("")}</tr>`;
  const body = rows
    .map(([label, ...cells]) => {
      const sub = label.startsWith("  ");
      return `<tr${sub ? ' class="sub"' : ""}><th>${sub ? "&nbsp;&nbsp;" : ""}${escapeHtml(label.trim())}</th>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
    })
    .join("");
  return `<table class="compare tcg-table"><thead>${headRow}</thead><tbody>${body}</tbody></table>`;
}

/** The section: figures per model, where every case went, mutants, sample runs, exports. */
export function renderTcgSection(s: TcgSummary, runDir: string): string {
  const models = s.models.map((m) => m.name);
  const lines = [
    `${s.tasks} tasks, ${s.settings.requests} request(s) × ${s.settings.cases} cases per task and model, cases of at most ${s.settings.max_case_chars} characters`,
    ...(s.complete ? [] : [`INCOMPLETE: ${s.incomplete.length} (model, task) unit(s) have a request that failed; the figures cover the others`]),
    ...[tcgMutantsLine(s)].filter((l): l is string => l !== null),
    ...tcgRunLines(s),
    `generated tests: ${join(runDir, "tests.jsonl")} (verdict eval --tests tcg:${runDir})`,
    ...(s.exports === null ? [] : [`exports: ${s.exports.sft.file} (${s.exports.sft.rows} TRL SFT rows), ${s.exports.dpo.file} (${s.exports.dpo.rows} TRL DPO rows)`]),
  ];
  return (
    `<section class="tcg" id="tcg"><h2>Test case generation (TCG)</h2>` +
    `<p class="muted small">Validity is the paper's TCG quality: the share of generated cases the reference solution passes, with a 95% Wilson interval. ` +
    `TPR: correct programs that pass every valid test. Kill rate: wrong programs that fail at least one valid test. The grid below shows the reference on the generated tests.</p>` +
    rowsTable("measure", models, tcgFigureRows(s.models)) +
    rowsTable("cases", models, tcgCaseRows(s.models)) +
    `<ul class="small">${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul></section>`
  );
}
