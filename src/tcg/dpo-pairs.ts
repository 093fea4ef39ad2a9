/**
 * DPO pairs for the TCG model, built as the paper builds them: the chosen completion is K
 * valid cases of a task; the rejected one is
 *
 * - `shuffled`: the same inputs with the outputs moved across the cases so that no input keeps
 *   an output that would still pass (each case gets another case's output, whose value differs
 *   from its own under the task's comparison, and whose text differs too); chunks of fewer than
 *   two valid cases, or whose outputs cannot be moved that way, give no such pair;
 * - `own_invalid`: the model's own invalid cases from one request (wrong outputs, inputs the
 *   reference fails on or cannot finish, unreadable or over-long cases; not duplicates), first
 *   K of them, paired with the task's valid chunks in turn.
 * The moves are drawn from a seeded generator per (seed, task, chunk), so the same rows and
 * seed give the same pairs. A rejected completion never equals its chosen one.
 */
import type { PyValue } from "../core/py-value.js";
import { compareValues } from "../judge/comparators.js";
import { decodeValue } from "../judge/codec.js";
import { createRng, type Rng } from "../metrics/rng.js";
import { sha256 } from "../util/hash.js";
import { chunks, completionOf, type DpoRow, rowsByTask, type TrainingSource } from "./training-data.js";
import type { TestsRow } from "./tests-file.js";
import type { CaseValidity } from "./validation.js";

/** Validities whose cases are the model's own mistakes. */
const OWN_INVALID = new Set<CaseValidity>(["wrong_output", "reference_error", "timeout", "unparsable", "too_long"]);

/** Search steps allowed when moving outputs (K is small; this only bounds a pathological K). */
const MAX_STEPS = 100_000;

/** What buildDpoPairs made. */
export interface DpoPairs {
  pairs: (DpoRow & { kind: "shuffled" | "own_invalid"; task_id: string })[];
  counts: Record<string, number>;
}

function seededRng(seed: number, taskId: string, chunk: number): Rng {
  return createRng(parseInt(sha256(`${seed}\0${taskId}\0${chunk}`).slice(0, 12), 16));
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * A permutation p with allowed(i, p[i]) for every i, found by a backtracking search whose
 * choices are tried in a seeded random order; undefined when none exists (or the search is
 * too long).
 */
export function constrainedPermutation(n: number, allowed: (i: number, j: number) => boolean, rng: Rng): number[] | undefined {
  const perm = new Array<number>(n).fill(-1);
  const used = new Array<boolean>(n).fill(false);
  let steps = 0;
  const place = (i: number): boolean => {
    if (i === n) return true;
    for (const j of shuffled([...Array(n).keys()], rng)) {
      if (++steps > MAX_STEPS) return false;
      if (used[j] || !allowed(i, j)) continue;
      used[j] = true;
      perm[i] = j;
      if (place(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  return n > 0 && place(0) ? perm : undefined;
}

interface ValidCase {
  row: TestsRow;
  expected: PyValue;
}

/** A valid row with its decoded output; tests.jsonl readers have already checked it decodes. */
function validCase(row: TestsRow): ValidCase {
  const decoded = row.expect === null ? undefined : decodeValue(row.expect.expected);
  if (decoded === undefined || !decoded.ok) throw new Error(`valid case ${row.id} of task ${row.task_id} has no readable output`);
  return { row, expected: decoded.value };
}

/** Whether case i given case j's output would be judged wrong, and reads differently. */
function mismatches(a: ValidCase, b: ValidCase): boolean {
  const comparator = a.row.expect?.comparator ?? { kind: "eq" };
  return a.row.output_text.trim() !== b.row.output_text.trim() && !compareValues(comparator, a.expected, b.expected);
}

/** The shuffled negative of one chunk of valid cases, or undefined when its outputs cannot be moved. */
function shuffledCompletion(group: readonly ValidCase[], rng: Rng): string | undefined {
  if (group.length < 2) return undefined;
  const perm = constrainedPermutation(group.length, (i, j) => i !== j && mismatches(group[i] as ValidCase, group[j] as ValidCase), rng);
  if (perm === undefined) return undefined;
  return completionOf(group.map((c, i) => ({ input_text: c.row.input_text, output_text: (group[perm[i] as number] as ValidCase).row.output_text })));
}

/** DPO pairs from a TCG run's rows (see the module comment). */
export function buildDpoPairs(source: TrainingSource, seed: number): DpoPairs {
  const { tasks, withoutPrompt } = rowsByTask(source);
  const pairs: DpoPairs["pairs"] = [];
  const counts = { shuffled: 0, own_invalid: 0, chunks_not_shuffled: 0, tasks_without_valid: 0, tasks_without_prompt: withoutPrompt };
  for (const task of tasks) {
    const groups = chunks(task.rows.filter((r) => r.validity === "valid").map(validCase), source.casesPerCompletion);
    if (groups.length === 0) {
      counts.tasks_without_valid++;
      continue;
    }
    const chosen = groups.map((g) => completionOf(g.map((c) => c.row)));
    groups.forEach((group, g) => {
      const rejected = shuffledCompletion(group, seededRng(seed, task.taskId, g));
      if (rejected === undefined || rejected === chosen[g]) {
        counts.chunks_not_shuffled++;
        return;
      }
      pairs.push({ kind: "shuffled", task_id: task.taskId, prompt: task.prompt, chosen: chosen[g] as string, rejected });
      counts.shuffled++;
    });
    const requests = [...new Set(task.rows.map((r) => r.origin.request))].sort((a, b) => a - b);
    requests.forEach((request, r) => {
      const invalid = task.rows.filter((row) => row.origin.request === request && OWN_INVALID.has(row.validity));
      if (invalid.length === 0) return;
      const rejected = completionOf(invalid.slice(0, source.casesPerCompletion));
      const pick = chosen[r % chosen.length] as string;
      if (rejected === pick) return;
      pairs.push({ kind: "own_invalid", task_id: task.taskId, prompt: task.prompt, chosen: pick, rejected });
      counts.own_invalid++;
    });
  }
  return { pairs, counts: { rows: pairs.length, ...counts } };
}
