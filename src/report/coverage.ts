import type { RunSummary } from "../core/run.js";

/**
 * How much of its benchmark a run's figures cover, and which tests its reference failed, in the
 * words every rendering uses (terminal tables, `runs`, `compare`, the HTML report), so a
 * figure over a subset never appears without saying so.
 */

/** What these helpers read of a summary (old summaries lack the coverage fields: taken as complete). */
export type CoverageFields = Pick<RunSummary, "tasks" | "tasks_total" | "partial" | "missing_policy" | "tasks_missing" | "tasks_unscorable" | "reference_failures">;

/** "partial: 10 of 399 tasks" when the figures cover fewer tasks than the benchmark has; null when complete or unknown. */
export function partialLabel(s: CoverageFields | null | undefined): string | null {
  if (!s || s.tasks_total === undefined || !(s.partial ?? s.tasks < s.tasks_total)) return null;
  return `partial: ${s.tasks.toLocaleString("en")} of ${s.tasks_total.toLocaleString("en")} tasks`;
}

/** Why the figures cover what they do, one clause per cause ("389 tasks have no sample: left out"). */
export function coverageNotes(s: CoverageFields | null | undefined): string[] {
  if (!s) return [];
  const notes: string[] = [];
  const missing = s.tasks_missing ?? [];
  if (missing.length > 0) {
    const how = s.missing_policy === "fail" ? "each is scored as a failure (outcome missing)" : "left out of the figures";
    notes.push(`${missing.length} task(s) have no sample (${listed(missing)}): ${how}`);
  }
  const unscorable = s.tasks_unscorable ?? [];
  if (unscorable.length > 0) {
    notes.push(`${unscorable.length} task(s) have no test left, the reference solution having failed them all (${listed(unscorable)}): left out of the figures, never a pass`);
  }
  return notes;
}

/** Tests the reference failed, over every task. */
export function referenceFailureCount(s: CoverageFields | null | undefined): number {
  return Object.values(s?.reference_failures ?? {}).reduce((n, f) => n + f.length, 0);
}

/** "3 test(s) in 2 task(s), 1 task unscorable" or null when the reference passed everything (or it is unknown). */
export function referenceFailureLabel(s: CoverageFields | null | undefined): string | null {
  const tests = referenceFailureCount(s);
  const unscorable = s?.tasks_unscorable?.length ?? 0;
  if (tests === 0 && unscorable === 0) return null;
  const tasks = Object.keys(s?.reference_failures ?? {}).length;
  return `${tests} test(s) in ${tasks} task(s)${unscorable > 0 ? `, ${unscorable} task(s) unscorable` : ""}`;
}

/** One line per failed reference test: "Mbpp/255 plus/86: memory … (left out)". */
export function referenceFailureLines(s: CoverageFields | null | undefined, max = 10): string[] {
  const lines = Object.entries(s?.reference_failures ?? {}).flatMap(([task, failures]) =>
    failures.map((f) => `${task} ${f.test}: ${f.why} (${f.handling.replace("_", " ")})`),
  );
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more (summary.json lists them all)`] : lines;
}

function listed(ids: readonly string[]): string {
  return ids.length > 10 ? `${ids.slice(0, 10).join(", ")}, …` : ids.join(", ");
}
