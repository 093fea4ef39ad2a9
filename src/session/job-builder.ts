import type { Job, JobLimits } from "../core/job.js";
import type { Sample } from "../core/sample.js";
import type { TestLimitsDigest } from "../core/run.js";
import type { Task } from "../core/task.js";
import { sha256 } from "../util/hash.js";

/**
 * The job that judges one sample: the sample's program, the task's setup, every test's inputs.
 * `continueAfterCrash` runs the tests after one that killed the process in a new one (every
 * test's outcome, for rewards); by default the job stops there (EvalPlus's semantics).
 */
export function buildJob(task: Task, sample: Sample, limits: JobLimits, id: string, continueAfterCrash = false): Job {
  return {
    id,
    program: sample.program,
    setup: task.setup,
    tests: task.tests.map((t) => t.input),
    limits: {
      ...limits,
      testSeconds: testLimits(task, limits),
      memoryMb: Math.max(limits.memoryMb, task.memoryMb ?? 0),
    },
    continueAfterCrash,
  };
}

/** A task's per-test CPU limits: the run's limit is a floor, and a test calibrated on a slow reference gets more. */
export function testLimits(task: Pick<Task, "tests">, limits: Pick<JobLimits, "testSeconds">): number[] {
  const base = typeof limits.testSeconds === "number" ? limits.testSeconds : 4;
  return task.tests.map((t) => Math.max(base, t.seconds ?? 0));
}

/**
 * Every per-test limit of a run, in one digest with totals (the manifest's `limits.test_limits`):
 * two runs whose digests differ judged some test under another limit, which `compare` says.
 */
export function testLimitsDigest(tasks: readonly Pick<Task, "taskId" | "tests">[], limits: Pick<JobLimits, "testSeconds">): TestLimitsDigest {
  const all = tasks.map((t) => [t.taskId, testLimits(t, limits)] as const);
  const flat = all.flatMap(([, l]) => l);
  const total = flat.reduce((sum, l) => sum + l, 0);
  return { tests: flat.length, total_s: Math.round(total * 1000) / 1000, max_s: Math.max(0, ...flat), sha256: sha256(JSON.stringify(all)) };
}
