import { OUTCOMES } from "../../core/index.js";
import type { Outcome, SampleVerdict } from "../../core/index.js";
import { compareTaskIds } from "../compare.js";
import type { RunDir } from "../run-dir.js";
import { sampleKey } from "../../runner/run-format.js";
import { splitMismatch } from "./mismatch-detail.js";
import { OUTCOME_STYLE } from "./outcome-style.js";
import type { SampleRecord } from "./sample-records.js";
import type { TaskInfo } from "./task-info.js";

/*
 * The data a report page embeds. It is shaped for 500 tasks × 200 samples and more: the grid is
 * one character per (task, sample) per run, and everything a details view needs is one JSON
 * string per task that the page parses only when someone opens a sample of that task.
 */

/** One outcome as the page shows it; its position in ReportData.outcomes is its code. */
export interface ReportOutcome {
  name: Outcome;
  label: string;
  color: string;
}

/** One run's grid and details. */
export interface ReportRunData {
  runId: string;
  /** "A" (baseline) and "B" (candidate) in a comparison, "" for a single run. */
  label: string;
  /** Per (task, column), row-major: the sample's status code as "a" + code, "." when absent. */
  cells: string;
  /** Per task: a RunTaskDetail as JSON, "" when the run has no sample of the task. */
  details: string[];
}

/** Everything the page's script reads. */
export interface ReportData {
  format: 1;
  outcomes: ReportOutcome[];
  /** Grid rows, in reading order ("Mbpp/2" before "Mbpp/10"). */
  taskIds: string[];
  /** Grid columns: the highest sample index in any run, plus one. Column = sample index. */
  width: number;
  /** Per task: lower-case text the free-text filter searches (id, description, failure details). */
  search: string[];
  /** Per task: a TaskDetail as JSON, "" when the benchmark was not available. */
  taskDetails: string[];
  runs: ReportRunData[];
}

/** What a task contributes to a details view (from the benchmark, not the run). */
export interface TaskDetail {
  text: string;
  /** Test id → how the test reads (the assert, or the call with its inputs). */
  tests: Record<string, string>;
}

/**
 * One run's samples of one task. Short keys because a large run has a hundred thousand of
 * these: `t` test ids (shared by the samples), `p` distinct programs, `s` samples.
 */
export interface RunTaskDetail {
  t: string[];
  p: string[];
  s: SampleRow[];
}

/** One sample of a RunTaskDetail. */
export interface SampleRow {
  /** sample_index. */
  i: number;
  /** Status code. */
  st: number;
  /** base_status / plus_status codes, for benchmarks with those groups. */
  bs?: number;
  ps?: number;
  /** Per-test outcome codes as letters, run-length coded: "a12ca3" = 12 × code 0, code 2, 3 × code 0. */
  o: string;
  /** Positions in `t` of this sample's tests, when they are not exactly `t`. */
  x?: number[];
  /** Seconds per test: every test's for small test lists, else only the tests that did not pass (by position). */
  ts?: number[] | Record<number, number>;
  /** Per failing test (by position): the detail, or [expected, actual] for a wrong answer. */
  d?: Record<number, string | [string, string]>;
  /** Positions of tests whose assert ran inside the untrusted process. */
  w?: number[];
  /** load_detail. */
  ld?: string;
  sec: number;
  /** 1 when the verdict came from the verdict cache. */
  c?: 1;
  /** 1 when a pass rests on a weak (in-process) assert. */
  wk?: 1;
  /** The first 12 hex digits of program_sha256. */
  h: string;
  /** Index into `p`: the program, when the run kept it. */
  p?: number;
  out?: string;
  err?: string;
}

/** One run and what was found beside its verdicts. */
export interface ReportRunInput {
  run: RunDir;
  /** Programs and captured output, by sampleKey(). */
  samples: ReadonlyMap<string, SampleRecord>;
  label: string;
}

/** Characters of stdout or stderr kept per sample. */
export const STREAM_CHARS = 2000;
/** Test lists up to this length keep every test's time; longer ones keep only failing tests' times. */
const ALL_TIMES_UP_TO = 16;
/** Characters of failure details per task the text filter searches. */
const SEARCH_CHARS = 4000;

const CODE: ReadonlyMap<Outcome, number> = new Map(OUTCOMES.map((o, i) => [o, i]));
const LETTER_A = 97;

/** Builds the embedded data for one run, or for a comparison of two (A first). */
export function buildReportData(runs: readonly ReportRunInput[], tasks: ReadonlyMap<string, TaskInfo> | null): ReportData {
  const taskIds = [...new Set(runs.flatMap((r) => r.run.verdicts.map((v) => v.task_id)))].sort(compareTaskIds);
  const row = new Map(taskIds.map((id, i) => [id, i]));
  const width = runs.reduce((w, r) => r.run.verdicts.reduce((m, v) => Math.max(m, v.sample_index + 1), w), 0);
  const searchParts: string[][] = taskIds.map((id) => {
    const text = tasks?.get(id)?.text;
    return text ? [id, text] : [id];
  });

  const runData = runs.map((input): ReportRunData => {
    const cells = new Uint8Array(taskIds.length * width).fill(".".charCodeAt(0));
    const byTask: SampleVerdict[][] = taskIds.map(() => []);
    for (const v of input.run.verdicts) {
      const t = row.get(v.task_id) as number;
      cells[t * width + v.sample_index] = LETTER_A + code(v.status);
      byTask[t]?.push(v);
    }
    const details = byTask.map((verdicts, t) => {
      if (verdicts.length === 0) return "";
      verdicts.sort((x, y) => x.sample_index - y.sample_index);
      const parts = searchParts[t] as string[];
      for (const v of verdicts) {
        if (v.load_detail && !parts.includes(v.load_detail)) parts.push(v.load_detail);
        for (const test of v.tests) if (test.detail && !parts.includes(test.detail)) parts.push(test.detail);
      }
      return JSON.stringify(taskDetail(verdicts, input.samples));
    });
    return { runId: input.run.manifest.run_id, label: input.label, cells: Buffer.from(cells).toString("latin1"), details };
  });

  return {
    format: 1,
    outcomes: OUTCOMES.map((name) => ({ name, label: OUTCOME_STYLE[name].label, color: OUTCOME_STYLE[name].color })),
    taskIds,
    width,
    search: searchParts.map((parts) => parts.join("\n").slice(0, SEARCH_CHARS).toLowerCase()),
    taskDetails: taskIds.map((id) => {
      const info = tasks?.get(id);
      return info ? JSON.stringify({ text: info.text, tests: Object.fromEntries(info.displays) } satisfies TaskDetail) : "";
    }),
    runs: runData,
  };
}

function code(outcome: Outcome): number {
  // Verdicts are validated on reading, so an unknown outcome cannot occur; sandbox_error is last.
  return CODE.get(outcome) ?? OUTCOMES.length - 1;
}

/** A run's verdicts of one task (sorted by sample index) as a RunTaskDetail. */
function taskDetail(verdicts: readonly SampleVerdict[], samples: ReadonlyMap<string, SampleRecord>): RunTaskDetail {
  const ids: string[] = [];
  const position = new Map<string, number>();
  for (const v of verdicts) {
    for (const test of v.tests) {
      if (!position.has(test.id)) {
        position.set(test.id, ids.length);
        ids.push(test.id);
      }
    }
  }
  const programs: string[] = [];
  const programIndex = new Map<string, number>();
  const rows = verdicts.map((v): SampleRow => {
    const r: SampleRow = { i: v.sample_index, st: code(v.status), o: runLength(v.tests.map((t) => code(t.outcome))), sec: round(v.seconds), h: v.program_sha256.slice(0, 12) };
    if (v.base_status) r.bs = code(v.base_status);
    if (v.plus_status) r.ps = code(v.plus_status);
    const at = v.tests.map((t) => position.get(t.id) as number);
    if (at.length !== ids.length || at.some((p, i) => p !== i)) r.x = at;
    const allTimes = v.tests.length <= ALL_TIMES_UP_TO;
    const times: Record<number, number> = {};
    const details: Record<number, string | [string, string]> = {};
    const weak: number[] = [];
    v.tests.forEach((t, i) => {
      if (t.seconds !== undefined && (allTimes || t.outcome !== "pass")) times[i] = round(t.seconds);
      if (t.detail) details[i] = asDetail(t.detail, t);
      else if (t.outcome !== "pass") {
        // A newer judge may record the two sides itself; use them when present.
        const sides = explicitSides(t);
        if (sides) details[i] = sides;
      }
      if (t.weak) weak.push(i);
    });
    if (allTimes && Object.keys(times).length === v.tests.length) r.ts = v.tests.map((_, i) => times[i] as number);
    else if (Object.keys(times).length > 0) r.ts = times;
    if (Object.keys(details).length > 0) r.d = details;
    if (weak.length > 0) r.w = weak;
    if (v.load_detail) r.ld = v.load_detail;
    if (v.cached) r.c = 1;
    if (v.weak) r.wk = 1;
    const record = samples.get(sampleKey(v.task_id, v.sample_index));
    const extra = v as unknown as Record<string, unknown>;
    if (record?.program !== undefined) {
      let p = programIndex.get(record.program);
      if (p === undefined) {
        p = programs.length;
        programs.push(record.program);
        programIndex.set(record.program, p);
      }
      r.p = p;
    }
    const stdout = record?.stdout ?? (typeof extra.stdout === "string" ? extra.stdout : undefined);
    const stderr = record?.stderr ?? (typeof extra.stderr === "string" ? extra.stderr : undefined);
    if (stdout) r.out = capStream(stdout);
    if (stderr) r.err = capStream(stderr);
    return r;
  });
  return { t: ids, p: programs, s: rows };
}

/** A test's detail, split into [expected, actual] when it is a wrong answer that says both. */
function asDetail(detail: string, test: object): string | [string, string] {
  const explicit = explicitSides(test);
  if (explicit) return explicit;
  const m = splitMismatch(detail);
  return m ? [m.expected, m.actual] : detail;
}

function explicitSides(test: object): [string, string] | null {
  const t = test as Record<string, unknown>;
  return typeof t.expected === "string" && typeof t.actual === "string" ? [t.expected, t.actual] : null;
}

/** Letters for codes, each followed by its repeat count when above one. */
export function runLength(codes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < codes.length; ) {
    let j = i + 1;
    while (j < codes.length && codes[j] === codes[i]) j++;
    out += String.fromCharCode(LETTER_A + (codes[i] as number)) + (j - i > 1 ? String(j - i) : "");
    i = j;
  }
  return out;
}

/** The start of a captured stream, saying how much was left out. */
export function capStream(text: string): string {
  if (text.length <= STREAM_CHARS) return text;
  return `${text.slice(0, STREAM_CHARS)}\n… [${(text.length - STREAM_CHARS).toLocaleString("en")} more characters not shown]`;
}

/** Two significant digits: enough to read a time, and short in JSON. */
function round(seconds: number): number {
  return seconds === 0 || !Number.isFinite(seconds) ? 0 : Number(seconds.toPrecision(2));
}
