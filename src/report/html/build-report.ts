import { InputError } from "../../core/index.js";
import { compareRuns } from "../compare.js";
import { readRunDir } from "../run-dir.js";
import { renderHtmlDocument } from "./render-html.js";
import { buildReportData } from "./report-data.js";
import type { ReportRunInput } from "./report-data.js";
import { readSampleRecords } from "./sample-records.js";
import { renderCompareSummary, renderRunSummary } from "./summary-html.js";
import { loadTaskInfo } from "./task-info.js";
import { readTcgSummary, renderTcgSection } from "./tcg-html.js";

/** Settings of an HTML report. */
export interface HtmlReportOptions {
  /** Benchmark data directory (`--data`), for test inputs and task descriptions. */
  dataDir?: string;
  /** Significance level of a comparison (default 0.05). */
  alpha?: number;
  /** Seed of a comparison's bootstrap and permutations (default 0). */
  seed?: number;
  /** Stamped in the footer; default now. */
  now?: Date;
}

/** A rendered report and what the reader should know about it. */
export interface HtmlReport {
  html: string;
  /** Things the report could not show, and why (also printed in the page). */
  notes: string[];
  tasks: number;
  samples: number;
}

/**
 * Builds the self-contained HTML report of one run directory, or of a comparison of two
 * (baseline first). Comparing runs of different benchmarks or splits is an InputError.
 */
export async function createHtmlReport(runDirs: readonly string[], options: HtmlReportOptions = {}): Promise<HtmlReport> {
  if (runDirs.length !== 1 && runDirs.length !== 2) throw new InputError(`a report takes one run or two, got ${runDirs.length}`);
  const runs = await Promise.all(runDirs.map((d) => readRunDir(d)));
  const [first, second] = runs;
  if (first === undefined) throw new InputError("no run given");
  // Compare first: it rejects runs that cannot be paired before any slow loading. A page shows
  // runs over different tasks side by side, on the tasks both cover, and its headline says so.
  const comparison = second ? compareRuns(first, second, { alpha: options.alpha ?? 0.05, seed: options.seed ?? 0, tasks: "intersection" }) : null;
  const info = await loadTaskInfo(first.manifest, options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  const notes: string[] = [];
  if (info.note) notes.push(info.note);
  const labels = second ? ["A", "B"] : [""];
  const inputs: ReportRunInput[] = [];
  for (const [i, run] of runs.entries()) {
    const records = await readSampleRecords(run, info.spec);
    const label = labels[i] ?? "";
    for (const note of records.notes) if (!notes.includes(note)) notes.push(second ? `${label}: ${note}` : note);
    if (run.partialLastLine) notes.push(`${label ? `${label}: ` : ""}the last line of verdicts.jsonl was cut off by a crash and is left out`);
    inputs.push({ run, samples: records.records, label });
  }
  const data = buildReportData(inputs, info.tasks);
  // A `verdict tcg` run adds its section: the grid alone would show only the reference on the generated tests.
  const tcg = second ? undefined : await readTcgSummary(first.dir);
  const summaryHtml =
    second && comparison ? renderCompareSummary(comparison, first, second, notes) : renderRunSummary(first, notes) + (tcg ? renderTcgSection(tcg, first.dir) : "");
  const m = first.manifest;
  const title = second ? `verdict: ${second.manifest.run_id} vs ${m.run_id} (${m.benchmark})` : `verdict: ${m.run_id} (${m.benchmark} / ${m.split})`;
  const html = renderHtmlDocument({ title, summaryHtml, data, generatedAt: options.now ?? new Date() });
  return { html, notes, tasks: data.taskIds.length, samples: runs.reduce((s, r) => s + r.verdicts.length, 0) };
}
