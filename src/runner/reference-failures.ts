/**
 * Tests a benchmark's reference solution failed, in words: the warning a run prints and its
 * manifest keeps, the grouping summary.json records, and why a task with no test left cannot
 * be scored. ground-truth.ts finds them; runs, the session and the TCG report them.
 */
import type { ReferenceFailure } from "../core/run.js";

/** A test the reference failed, with its task. */
export interface TaskReferenceFailure extends ReferenceFailure {
  taskId: string;
}

/** What each handling means for the test, in the words the warning uses. */
const HANDLING_TEXT: Record<ReferenceFailure["handling"], string> = {
  left_out: "the test is left out (it has no expected value)",
  unverified: "the assert runs whole inside the job, unverified (a pass on it is weak)",
  uncalibrated: "the test is kept, judged against its expected value with the run's own time limit",
  alternative_dropped: "the test is kept, without the alternative answer that oracle would give",
};

/** One reference failure as the warning line a run prints (and its manifest keeps). */
export function describeReferenceFailure(f: TaskReferenceFailure): string {
  const what = f.handling === "alternative_dropped" ? "an alternative oracle of the reference failed on" : "the reference solution failed";
  return `${f.taskId}: ${what} test ${f.test} (${f.why}): ${HANDLING_TEXT[f.handling]}`;
}

/** Reference failures grouped by task, for summary.json. */
export function failuresByTask(failures: readonly TaskReferenceFailure[]): Record<string, ReferenceFailure[]> {
  const out: Record<string, ReferenceFailure[]> = {};
  for (const { taskId, ...f } of failures) (out[taskId] ??= []).push(f);
  return out;
}

/**
 * Why tasks cannot be scored, with the usual cause when it is one: a reference that ran out of
 * memory (Mbpp/255's needs more than 4 GiB on plus input #86) on a machine or Docker VM with too little.
 */
export function explainUnscorable(unscorable: readonly string[], failures: readonly TaskReferenceFailure[]): string {
  const shown = unscorable.slice(0, 10).map((id) => {
    const own = failures.filter((f) => f.taskId === id && f.handling === "left_out");
    if (own.length === 0) return `${id} (it has no tests)`;
    const first = own[0] as TaskReferenceFailure;
    return `${id} (the reference solution failed all ${own.length} of its tests; ${first.test}: ${first.why})`;
  });
  const more = unscorable.length > 10 ? `, and ${unscorable.length - 10} more` : "";
  const memory = failures.some((f) => unscorable.includes(f.taskId) && /^(memory|killed by signal 9|raised MemoryError)/.test(f.why));
  const cause = memory
    ? " The usual cause is too little memory for the reference solution (Mbpp/255's needs more than 4 GiB on plus input #86): give the Docker engine, or the VM it runs in, more memory."
    : " The benchmark's data or its reference solutions are at fault.";
  return `${unscorable.length} task(s) have no test left and cannot be scored: ${shown.join(", ")}${more}. A task with no test is never counted as a pass.${cause}`;
}
