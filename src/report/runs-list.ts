import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import Table from "cli-table3";
import { InputError } from "../core/index.js";
import type { SampleVerdict } from "../core/index.js";
import { meanPassAtK } from "../metrics/pass-at-k.js";
import { formatPercent } from "./compare-markdown.js";
import { partialLabel, referenceFailureCount } from "./coverage.js";
import { readRunManifest, readRunSummary, readRunVerdicts } from "./run-dir.js";
import { perTaskCounts } from "../metrics/per-task-counts.js";

/**
 * `complete`: the manifest says complete and summary.json is there, covering every task.
 * `partial`: complete, but its figures cover fewer tasks than the benchmark has (`--missing
 * skip`, unscorable tasks, a generation that failed for some tasks).
 * `interrupted`: the manifest says running or interrupted; what was judged is kept and the run
 * can be resumed (a run still in progress in another process also shows here).
 * `corrupt`: a file is missing or unreadable.
 */
export type RunListStatus = "complete" | "partial" | "interrupted" | "corrupt";

/** What made the run: `verdict eval`, `tcg`, `run`/`table1`, `search` or `selfplay`. */
export type RunKind = "eval" | "tcg" | "run" | "search" | "selfplay";

/** One row of `verdict runs`; also its `--json` element. Fields a corrupt run lacks are null. */
export interface RunListEntry {
  kind: RunKind;
  run_id: string;
  dir: string;
  status: RunListStatus;
  benchmark: string | null;
  split: string | null;
  samples_source: string | null;
  created_at: string | null;
  /** From summary.json when complete; over the verdicts so far when interrupted. */
  pass_at_1: number | null;
  /** Tasks the figures cover, and (when the summary records it) the benchmark's task count. */
  tasks: number | null;
  tasks_total: number | null;
  samples: number | null;
  /** Tests the reference solution failed, and tasks left with no test (from summary.json; null when unknown). */
  reference_failures: number | null;
  tasks_unscorable: number | null;
  /** Why a corrupt run could not be read. */
  error?: string;
}

// A directory holding none of these is not a run (e.g. results/reference/).
const RUN_FILES = ["manifest.json", "summary.json", "verdicts.jsonl", "samples.jsonl"];
/** The record that names a run of another kind (its figures live in its own report). */
const OTHER_RECORDS: readonly [RunKind, string][] = [
  ["selfplay", "selfplay.json"],
  ["run", "run.json"],
];

/**
 * Lists the run directories directly under `resultsDir`, newest first (corrupt runs without a
 * readable date last). A missing `resultsDir` is an InputError unless `missingOk`.
 */
export async function listRuns(resultsDir: string, options: { missingOk?: boolean } = {}): Promise<RunListEntry[]> {
  let names: string[];
  try {
    const entries = await readdir(resultsDir, { withFileTypes: true });
    names = entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name);
  } catch (err) {
    const missing = typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
    if (missing && options.missingOk) return [];
    throw new InputError(missing ? "results directory does not exist" : `cannot list: ${String(err)}`, resultsDir);
  }
  const rows = await Promise.all(names.map((name) => describeRun(join(resultsDir, name), name)));
  return rows
    .filter((r): r is RunListEntry => r !== null)
    .sort((x, y) => {
      if (x.created_at !== y.created_at) {
        if (x.created_at === null) return 1;
        if (y.created_at === null) return -1;
        return x.created_at < y.created_at ? 1 : -1;
      }
      return x.run_id < y.run_id ? -1 : x.run_id > y.run_id ? 1 : 0;
    });
}

/** Renders the listing as a cli-table3 table. */
export function renderRunsTable(entries: readonly RunListEntry[]): string {
  const table = new Table({
    head: ["kind", "run", "benchmark", "split", "samples from", "created", "pass@1", "tasks", "samples", "ref. failures", "status"],
    style: { head: [], border: [] },
  });
  for (const e of entries) {
    table.push([
      e.kind,
      e.run_id,
      e.benchmark ?? "",
      e.split ?? "",
      e.samples_source ?? "",
      e.created_at ? e.created_at.slice(0, 16).replace("T", " ") : "",
      e.pass_at_1 === null ? "" : formatPercent(e.pass_at_1) + (e.status === "interrupted" ? " (so far)" : ""),
      e.tasks === null ? "" : e.tasks_total !== null && e.tasks_total !== e.tasks ? `${e.tasks} of ${e.tasks_total}` : String(e.tasks),
      e.samples === null ? "" : String(e.samples),
      referenceCell(e),
      statusCell(e),
    ]);
  }
  return `${table.toString()}\n`;
}

async function describeRun(dir: string, name: string): Promise<RunListEntry | null> {
  for (const [kind, file] of OTHER_RECORDS) {
    if (await isFile(join(dir, file))) return describeOther(dir, name, kind, file);
  }
  const present = await Promise.all(RUN_FILES.map((f) => stat(join(dir, f)).then(() => true, () => false)));
  if (!present.some(Boolean)) return null;
  const entry = blankEntry("eval", name, dir);
  try {
    const manifest = await readRunManifest(dir);
    // A TCG run keeps an eval run's files, its manifest says which.
    if ((manifest as { kind?: unknown }).kind === "tcg") entry.kind = "tcg";
    Object.assign(entry, {
      run_id: manifest.run_id,
      benchmark: manifest.benchmark,
      split: manifest.split,
      samples_source: manifest.samples_source,
      created_at: manifest.created_at,
    });
    if (manifest.status === "complete") {
      // A complete run is described by its summary; reading every verdict would make listing slow.
      const summary = await readRunSummary(dir, manifest, true);
      if (!(await stat(join(dir, "verdicts.jsonl")).then((s) => s.isFile(), () => false))) {
        throw new InputError("missing", join(dir, "verdicts.jsonl"));
      }
      entry.status = partialLabel(summary) ? "partial" : "complete";
      entry.pass_at_1 = summary?.pass_at_k["1"] ?? null;
      entry.tasks = summary?.tasks ?? null;
      entry.tasks_total = summary?.tasks_total ?? null;
      entry.samples = summary?.samples ?? null;
      if (summary?.reference_failures !== undefined) entry.reference_failures = referenceFailureCount(summary);
      if (summary?.tasks_unscorable !== undefined) entry.tasks_unscorable = summary.tasks_unscorable.length;
    } else {
      const { verdicts } = await readRunVerdicts(dir, false);
      entry.status = "interrupted";
      entry.samples = verdicts.length;
      const counts = taskCounts(verdicts);
      entry.tasks = counts.length;
      entry.pass_at_1 = counts.length > 0 ? meanPassAtK(counts, 1) : null;
    }
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // A search run's manifest is not an eval run's: it is listed from its own fields.
    if (await namesKind(join(dir, "manifest.json"), "search")) return describeOther(dir, name, "search", "manifest.json");
    entry.status = "corrupt";
    entry.error = err.message;
  }
  return entry;
}

/** Whether `path` is a file. */
function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** Whether the JSON record at `path` says it is of this kind. */
async function namesKind(path: string, kind: RunKind): Promise<boolean> {
  try {
    return (JSON.parse(await readFile(path, "utf8")) as { kind?: unknown }).kind === kind;
  } catch {
    return false;
  }
}

/** A row that knows nothing yet but the run's kind, name and directory (a corrupt run stays so). */
function blankEntry(kind: RunKind, name: string, dir: string): RunListEntry {
  return { kind, run_id: name, dir, status: "corrupt", benchmark: null, split: null, samples_source: null, created_at: null, pass_at_1: null, tasks: null, tasks_total: null, samples: null, reference_failures: null, tasks_unscorable: null };
}

/**
 * A run of another kind, from the record that names it (`file`): its status, benchmark, split and
 * date; its figures are in its own report (`verdict report DIR`, rounds.json, summary.json).
 */
async function describeOther(dir: string, name: string, kind: RunKind, file: string): Promise<RunListEntry> {
  const entry = blankEntry(kind, name, dir);
  const path = join(dir, file);
  let record: { run_id?: unknown; status?: unknown; benchmark?: unknown; split?: unknown; created_at?: unknown; tasks?: unknown; config?: { benchmark?: unknown } };
  try {
    record = JSON.parse(await readFile(path, "utf8")) as typeof record;
    if (typeof record !== "object" || record === null) throw new Error("not a JSON object");
  } catch (err) {
    entry.error = new InputError(`unreadable: ${(err as Error).message}`, path).message;
    return entry;
  }
  const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
  entry.run_id = text(record.run_id) ?? name;
  entry.benchmark = text(record.benchmark) ?? text(record.config?.benchmark);
  entry.split = text(record.split);
  entry.created_at = text(record.created_at);
  entry.tasks = Array.isArray(record.tasks) ? record.tasks.length : typeof record.tasks === "number" ? record.tasks : null;
  const status = text(record.status);
  if (status === "complete" || status === "partial") entry.status = status;
  else if (status === "running" || status === "interrupted" || status === "incomplete") entry.status = "interrupted";
  else entry.error = new InputError(`no status a run can have (${JSON.stringify(record.status)})`, path).message;
  return entry;
}

/** "partial: 10 of 399 tasks" for a partial run, the error of a corrupt one, else the status. */
function statusCell(e: RunListEntry): string {
  if (e.status === "corrupt" && e.error) return `corrupt: ${e.error}`;
  if (e.status === "partial" && e.tasks !== null && e.tasks_total !== null) return `partial: ${e.tasks} of ${e.tasks_total} tasks`;
  return e.status;
}

/** "2 (1 task unscorable)"; empty when none or unknown. */
function referenceCell(e: RunListEntry): string {
  const tests = e.reference_failures ?? 0;
  const unscorable = e.tasks_unscorable ?? 0;
  if (tests === 0 && unscorable === 0) return "";
  return unscorable > 0 ? `${tests} (${unscorable} task(s) unscorable)` : String(tests);
}

function taskCounts(verdicts: readonly SampleVerdict[]): { n: number; c: number }[] {
  return [...perTaskCounts(verdicts).values()];
}
