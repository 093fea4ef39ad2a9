import type { Job, JobLimits } from "../core/job.js";
import type { Sample } from "../core/sample.js";
import type { Task } from "../core/task.js";

/**
 * The job that judges one sample: the sample's program, the task's setup, every test's inputs.
 * `continueAfterCrash` runs the tests after one that killed the process in a new one (every
 * test's outcome, for rewards); by default the job stops there (EvalPlus's semantics).
 */
export function buildJob(task: Task, sample: Sample, limits: JobLimits, id: string, continueAfterCrash = false): Job {
  const base = typeof limits.testSeconds === "number" ? limits.testSeconds : 4;
  return {
    id,
    program: sample.program,
    setup: task.setup,
    tests: task.tests.map((t) => t.input),
    limits: {
      ...limits,
      // The run's limit is a floor: a test calibrated on a slow reference gets more.
      testSeconds: task.tests.map((t) => Math.max(base, t.seconds ?? 0)),
      memoryMb: Math.max(limits.memoryMb, task.memoryMb ?? 0),
    },
    continueAfterCrash,
  };
}
