import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Outcome, SampleVerdict } from "../core/index.js";
import { sha256 } from "../util/hash.js";
import { splitMismatch } from "./html/mismatch-detail.js";

/** What a per-sample report needs of a task: its description, how its tests read, and their groups. */
export interface PerSampleTask {
  text?: string;
  tests: readonly { id: string; display?: string; group?: string }[];
}

/**
 * How much a per-sample report tells its submitter (`--feedback`): `full`, every test with its
 * input, expected value and answer; `first-failure`, the counts, the outcome kinds and the
 * first failing base test's input only; `summary`, the counts and outcome kinds. Hidden tests
 * (MBPP+'s plus inputs, MBPP's challenge asserts) are named by neither of the last two, so a
 * submitter cannot fit them round after round.
 */
export const FEEDBACK_LEVELS = ["summary", "first-failure", "full"] as const;

/** A `--feedback` level. */
export type FeedbackLevel = (typeof FEEDBACK_LEVELS)[number];

/** Test groups shown to whoever writes the program (in the prompt): the rest are hidden tests. */
const BASE_GROUPS = new Set(["base", "test"]);

/** What every per-sample report starts with, whatever the feedback level. */
interface SampleReportHead {
  task_id: string;
  sample_index: number;
  status: Outcome;
  base_status?: Outcome;
  plus_status?: Outcome;
  /** One line for people: "passed all 5 tests", "failed 2 of 5 tests: wrong_answer on test/1, …". */
  summary: string;
  task?: string;
  tests_total: number;
  tests_passed: number;
  /** Why the program did not load (syntax error, exception at import, limit). */
  load_error?: string;
  /** Some pass rests on an assert that ran inside the untrusted process. */
  weak: boolean;
  /** sha256 of the program judged, so the submitter can tell which version this is about. */
  program_sha256: string;
}

/** A report that keeps the hidden tests hidden (`--feedback summary` or `first-failure`). */
export interface LimitedReport extends SampleReportHead {
  /** How many tests had each outcome (`not_run`: after a test that ended the process). */
  outcomes: Record<string, number>;
  /** `first-failure`: the first failing base test (its input and outcome), when a base test failed. */
  first_failure?: { id: string; display?: string; outcome: Outcome; detail?: string };
  feedback: Exclude<FeedbackLevel, "full">;
}

/** A test that passed, as told to the submitter. */
export interface PassedTest {
  id: string;
  display?: string;
}

/** A test that did not pass, and why. */
export interface FailedTest {
  id: string;
  display?: string;
  outcome: Outcome;
  /** The judge's explanation (exception, limit, or expected/actual). */
  detail?: string;
  /** For a wrong answer: the two sides, split out of the detail. */
  expected?: string;
  actual?: string;
}

/** One sample's report file: everything a submitter needs to see why it scored what it did. */
export interface PerSampleReport extends SampleReportHead {
  passed: PassedTest[];
  failed: FailedTest[];
}

/** One line of index.json: where each sample's report is. */
export interface PerSampleIndexEntry {
  task_id: string;
  sample_index: number;
  status: Outcome;
  file: string;
}

/** Characters kept of a test's display; MBPP+ inputs can be thousands of items long. */
const DISPLAY_CHARS = 300;
/** Files written at once. */
const WRITE_BATCH = 64;

/**
 * Writes one JSON file per sample into `dir` (created if missing), named
 * `<task id>-<sample index>.json` with characters other than letters, digits, `.`, `_`
 * and `-` replaced by `_`, plus `index.json` listing them all. Returns the index.
 * `tasksById` (by task id) adds the task description and each test's display.
 */
export async function writePerSampleReports(
  dir: string,
  verdicts: readonly SampleVerdict[],
  tasksById?: ReadonlyMap<string, PerSampleTask>,
  feedback: FeedbackLevel = "full",
): Promise<PerSampleIndexEntry[]> {
  await mkdir(dir, { recursive: true });
  const names = fileStems(verdicts.map((v) => v.task_id));
  const index: PerSampleIndexEntry[] = verdicts.map((v) => ({
    task_id: v.task_id,
    sample_index: v.sample_index,
    status: v.status,
    file: `${names.get(v.task_id) as string}-${v.sample_index}.json`,
  }));
  for (let i = 0; i < verdicts.length; i += WRITE_BATCH) {
    await Promise.all(
      verdicts.slice(i, i + WRITE_BATCH).map((v, j) => {
        const task = tasksById?.get(v.task_id);
        const report = feedback === "full" ? perSampleReport(v, task) : limitedReport(v, task, feedback);
        return writeFile(join(dir, (index[i + j] as PerSampleIndexEntry).file), `${JSON.stringify(report, null, 2)}\n`);
      }),
    );
  }
  await writeFile(join(dir, "index.json"), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}

/** The report of one sample (what writePerSampleReports writes for it). */
export function perSampleReport(v: SampleVerdict, task?: PerSampleTask): PerSampleReport {
  const displays = new Map((task?.tests ?? []).map((t) => [t.id, t.display]));
  const display = (id: string): { display?: string } => {
    const d = displays.get(id);
    return d === undefined ? {} : { display: d.length > DISPLAY_CHARS ? `${d.slice(0, DISPLAY_CHARS - 1)}…` : d };
  };
  const passed: PassedTest[] = [];
  const failed: FailedTest[] = [];
  for (const t of v.tests) {
    if (t.outcome === "pass") {
      passed.push({ id: t.id, ...display(t.id) });
      continue;
    }
    const f: FailedTest = { id: t.id, ...display(t.id), outcome: t.outcome };
    if (t.detail !== undefined) {
      f.detail = t.detail;
      const sides = t.outcome === "wrong_answer" ? splitMismatch(t.detail) : null;
      if (sides) {
        f.expected = sides.expected;
        f.actual = sides.actual;
      }
    }
    failed.push(f);
  }
  // Built in reading order: what it is, how it went, then the evidence.
  return {
    task_id: v.task_id,
    sample_index: v.sample_index,
    status: v.status,
    ...(v.base_status ? { base_status: v.base_status } : {}),
    ...(v.plus_status ? { plus_status: v.plus_status } : {}),
    summary: summaryLine(v, passed.length, failed),
    ...(task?.text ? { task: task.text } : {}),
    tests_total: v.tests.length,
    tests_passed: passed.length,
    ...(v.load_detail ? { load_error: v.load_detail } : {}),
    passed,
    failed,
    weak: v.weak,
    program_sha256: v.program_sha256,
  };
}

/**
 * The report of one sample at a level that keeps hidden tests hidden: counts and outcome kinds,
 * and for `first-failure` the first failing base test's input (an error's text too, never the
 * expected value of a wrong answer).
 */
export function limitedReport(v: SampleVerdict, task: PerSampleTask | undefined, feedback: Exclude<FeedbackLevel, "full">): LimitedReport {
  const groups = new Map((task?.tests ?? []).map((t) => [t.id, t.group]));
  // Without the task, a test's group is its id's prefix ("base/0", "plus/3", "test/1").
  const groupOf = (id: string): string => groups.get(id) ?? id.split("/")[0] ?? "";
  const outcomes: Record<string, number> = {};
  for (const t of v.tests) {
    const kind = t.outcome !== "pass" && t.detail?.startsWith("not run:") === true ? "not_run" : t.outcome;
    outcomes[kind] = (outcomes[kind] ?? 0) + 1;
  }
  const passed = outcomes.pass ?? 0;
  const first = feedback === "first-failure" && !v.load_detail ? v.tests.find((t) => t.outcome !== "pass" && BASE_GROUPS.has(groupOf(t.id))) : undefined;
  const display = first ? task?.tests.find((t) => t.id === first.id)?.display : undefined;
  const firstFailure = first && {
    id: first.id,
    ...(display !== undefined ? { display: display.length > DISPLAY_CHARS ? `${display.slice(0, DISPLAY_CHARS - 1)}…` : display } : {}),
    outcome: first.outcome,
    ...(first.detail !== undefined && first.outcome !== "wrong_answer" ? { detail: first.detail } : {}),
  };
  const failedKinds = Object.entries(outcomes).filter(([k]) => k !== "pass").map(([k, n]) => `${k} ×${n}`);
  const summary =
    v.status === "sandbox_error" || v.status === "missing" || v.load_detail || failedKinds.length === 0
      ? summaryLine(v, passed, [])
      : `passed ${passed} of ${v.tests.length} tests; ${failedKinds.join(", ")}${firstFailure ? `; first failing base test: ${firstFailure.id}` : ""}`;
  return {
    task_id: v.task_id,
    sample_index: v.sample_index,
    status: v.status,
    ...(v.base_status ? { base_status: v.base_status } : {}),
    ...(v.plus_status ? { plus_status: v.plus_status } : {}),
    summary,
    ...(task?.text ? { task: task.text } : {}),
    tests_total: v.tests.length,
    tests_passed: passed,
    outcomes,
    ...(v.load_detail ? { load_error: v.load_detail } : {}),
    ...(firstFailure ? { first_failure: firstFailure } : {}),
    weak: v.weak,
    program_sha256: v.program_sha256,
    feedback,
  };
}

function summaryLine(v: SampleVerdict, passedCount: number, failed: readonly FailedTest[]): string {
  const total = v.tests.length;
  if (v.status === "sandbox_error") return "not judged: the sandbox failed (an infrastructure fault, not the program's); it should be scored again";
  if (v.status === "missing") return "no sample was submitted for this task: scored as a failure";
  if (v.load_detail) return `failed to load (${v.status}): ${v.load_detail}`;
  if (failed.length === 0) return `passed all ${total} test${total === 1 ? "" : "s"}`;
  const first = failed
    .slice(0, 3)
    .map((f) => `${f.outcome} on ${f.id}`)
    .join(", ");
  return `passed ${passedCount} of ${total} tests; ${first}${failed.length > 3 ? `, and ${failed.length - 3} more` : ""}`;
}

/** A file-name stem per task id; ids that would clash once cleaned get a short hash of the id. */
function fileStems(taskIds: readonly string[]): Map<string, string> {
  const clean = (id: string) => id.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_") || "_";
  const byStem = new Map<string, Set<string>>();
  for (const id of new Set(taskIds)) {
    const stem = clean(id);
    const ids = byStem.get(stem) ?? new Set<string>();
    ids.add(id);
    byStem.set(stem, ids);
  }
  const stems = new Map<string, string>();
  for (const [stem, ids] of byStem) {
    for (const id of ids) stems.set(id, ids.size > 1 && stem !== id ? `${stem}-${sha256(id).slice(0, 8)}` : stem);
  }
  return stems;
}
