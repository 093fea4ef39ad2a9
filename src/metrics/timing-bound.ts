import type { SampleVerdict } from "../core/sample-verdict.js";

/**
 * Timing-bound samples: a test that finished within this share of its time limit (25%) ran
 * close enough to it that, on a busier machine, the same program may time out; its verdict can
 * flip between runs. The summary lists such tasks, and `compare` lists flips on them apart.
 */
export const TIMING_MARGIN = 0.25;

/** Whether a sample finished some test (not a timeout) within TIMING_MARGIN of that test's limit. */
export function isTimingBound(v: Pick<SampleVerdict, "tests">): boolean {
  return v.tests.some((t) => t.outcome !== "timeout" && t.limit_s !== undefined && t.seconds !== undefined && t.seconds >= (1 - TIMING_MARGIN) * t.limit_s);
}

/** The tasks, in first-seen order, of which some sample is timing-bound. */
export function timingBoundTasks(verdicts: Iterable<Pick<SampleVerdict, "task_id" | "tests">>): string[] {
  const tasks = new Set<string>();
  for (const v of verdicts) if (isTimingBound(v)) tasks.add(v.task_id);
  return [...tasks];
}
