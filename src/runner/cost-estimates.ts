import type { Sample } from "../core/sample.js";
import type { Task } from "../core/task.js";

/**
 * The order samples are judged in: the one with the most estimated work first, so that no long
 * sample starts last and leaves the other workers idle at the end of a run. A sample's estimate
 * is what the earlier samples of its task took in this session, when one ran (a candidate may
 * take far longer than the reference: MBPP+'s Mbpp/123 candidates loop for seconds where the
 * reference takes 1.4 s), else the reference's time scaled by how the samples judged so far
 * compared with their references. The order is drawn as the samples are taken, so what the
 * first samples show reorders the rest.
 */
export interface CostEstimates {
  /** A sample of `taskId` ran (not cached) and took `seconds` in the sandbox. */
  observe(taskId: string, seconds: number): void;
  /** The estimated seconds of a sample of `taskId`. */
  estimate(taskId: string): number;
  /** `samples`, each taken when it is asked for: the one with the largest estimate then (ties in their given order). */
  order(samples: readonly Sample[]): Iterable<Sample>;
}

/** Observed seconds of one task's samples. */
interface Seen {
  n: number;
  seconds: number;
}

/** Estimates from the tasks' reference times (Task.costSeconds), corrected as samples run. */
export function createCostEstimates(tasks: readonly Pick<Task, "taskId" | "costSeconds">[]): CostEstimates {
  const reference = new Map(tasks.map((t) => [t.taskId, t.costSeconds ?? 0]));
  const seen = new Map<string, Seen>();
  // Every observed sample against its task's reference: how candidates compare with references so far.
  let observedSeconds = 0;
  let referenceSeconds = 0;
  const estimate = (taskId: string): number => {
    const s = seen.get(taskId);
    if (s !== undefined) return s.seconds / s.n;
    const scale = referenceSeconds > 0 ? observedSeconds / referenceSeconds : 1;
    return (reference.get(taskId) ?? 0) * scale;
  };
  return {
    observe(taskId, seconds) {
      if (!Number.isFinite(seconds) || seconds < 0) return;
      const s = seen.get(taskId) ?? { n: 0, seconds: 0 };
      seen.set(taskId, { n: s.n + 1, seconds: s.seconds + seconds });
      observedSeconds += seconds;
      referenceSeconds += reference.get(taskId) ?? 0;
    },
    estimate,
    *order(samples) {
      // Samples by task, in their given order; a task's samples share one estimate.
      const byTask = new Map<string, Sample[]>();
      for (const s of samples) {
        const list = byTask.get(s.taskId);
        if (list === undefined) byTask.set(s.taskId, [s]);
        else list.push(s);
      }
      const next = new Map([...byTask.keys()].map((id) => [id, 0]));
      while (next.size > 0) {
        let best: string | undefined;
        let bestCost = -Infinity;
        for (const id of next.keys()) {
          const c = estimate(id);
          if (c > bestCost) {
            best = id;
            bestCost = c;
          }
        }
        const id = best as string;
        const k = next.get(id) as number;
        const list = byTask.get(id) as Sample[];
        if (k + 1 >= list.length) next.delete(id);
        else next.set(id, k + 1);
        yield list[k] as Sample;
      }
    },
  };
}
