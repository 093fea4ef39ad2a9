import type { SampleVerdict } from "../core/sample-verdict.js";

/** Per task: how many samples (n) and how many passed (c), the input of pass@k. */
export function perTaskCounts(verdicts: readonly SampleVerdict[]): Map<string, { n: number; c: number }> {
  const byTask = new Map<string, { n: number; c: number }>();
  for (const v of verdicts) {
    const t = byTask.get(v.task_id) ?? { n: 0, c: 0 };
    t.n++;
    if (v.status === "pass") t.c++;
    byTask.set(v.task_id, t);
  }
  return byTask;
}
