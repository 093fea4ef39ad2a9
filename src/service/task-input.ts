/**
 * What a request names as the task and the tests, turned into a Task and Tests the session
 * judges: a benchmark task id, or a task object in MBPP's schema; the task's own tests, a TCG
 * run's valid tests, or inline cases (`{input, output}` as Python literals, read by the strict
 * literal parser and compared on the host, like generated tests).
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { JudgingSession } from "../core/session.js";
import type { Task, Test } from "../core/task.js";
import { mbppRowSchema, mbppRowToTask } from "../benchmarks/mbpp.js";
import { prepareCases, tcgTarget } from "../tcg/generated-tests.js";
import { loadGeneratedTests, TESTS_FILE } from "../tcg/tests-file.js";
import { RequestError } from "./request-errors.js";

/** A task as a request gives it: an id (`"Mbpp/2"`, `"2"`, `2`) or an object in MBPP's schema. */
export const taskFieldSchema = z.union([z.string().min(1).max(200), z.int().nonnegative(), mbppRowSchema]);

/** Inline cases: the arguments (as between a call's parentheses, or the whole call) and the expected value, as Python literals. */
export const inlineCaseSchema = z.object({ input: z.string().max(100_000), output: z.string().max(100_000) });

/** Which tests judge the program: the task's own, a TCG run's (`tcg:NAME`), or inline cases. */
export const testsFieldSchema = z.union([
  z.literal("benchmark"),
  z.string().regex(/^tcg:[A-Za-z0-9][A-Za-z0-9._-]*$/, "expected \"benchmark\", \"tcg:RUN_NAME\" or a list of {input, output}"),
  z.array(inlineCaseSchema).min(1),
]);

/**
 * The Task a request's `task` field names; unknown ids are a 400 naming `field`. A task object
 * is resolved as a benchmark's task is (JudgingSession.resolveTasks): its asserts become calls
 * judged on the host against the values its own `code` returns, run in reference containers.
 */
export async function resolveTask(session: JudgingSession, value: z.infer<typeof taskFieldSchema>, field: string): Promise<Task> {
  if (typeof value === "object") {
    const { tasks, failures } = await session.resolveTasks([mbppRowToTask(value, false)]);
    // A test the task's own code fails has no trustworthy expected value: the task is wrong.
    const failed = failures.filter((f) => f.handling === "left_out" || f.handling === "unverified");
    if (failed.length > 0) {
      const why = failed.map((f) => `${f.test}: ${f.why}`).join("; ");
      throw new RequestError(400, `${field}: the task object's reference solution (code) fails ${failed.length === 1 ? "its test" : `${failed.length} of its tests`} (${why.slice(0, 500)}); fix the task, or send the cases as inline tests`);
    }
    const task = tasks[0] as Task;
    if (task.tests.length === 0) throw new RequestError(400, `${field}: the task object has no tests (test_list is empty)`);
    return task;
  }
  try {
    return session.task(String(value));
  } catch (e) {
    if (e instanceof InputError) throw new RequestError(400, `${field}: unknown task ${JSON.stringify(value)} (${session.benchmark.name} ${session.benchmark.split})`);
    throw e;
  }
}

/**
 * Resolves the task objects among `values` together (one reference pool for all of them), so
 * that resolveTask finds each one resolved; values that are not task objects are passed over,
 * and a failure is left for resolveTask to report against its field.
 */
export async function resolveTaskObjects(session: JudgingSession, values: readonly unknown[]): Promise<void> {
  const specs = values.flatMap((v) => {
    if (typeof v !== "object" || v === null) return [];
    const row = mbppRowSchema.safeParse(v);
    return row.success ? [mbppRowToTask(row.data, false)] : [];
  });
  if (specs.length > 1) await session.resolveTasks(specs).catch(() => undefined);
}

/** Reads TCG runs' tests once per file version. */
export interface TcgTestsSource {
  tests(runName: string, task: Task, field: string): Promise<Test[]>;
}

/** TCG tests from `<dir>/<NAME>/tests.jsonl`; every lookup is a 400 when no directory was configured. */
export function createTcgTestsSource(session: JudgingSession, dir: string | undefined): TcgTestsSource {
  const cache = new Map<string, { mtimeMs: number; tests: Promise<Map<string, Test[]>> }>();
  return {
    async tests(runName, task, field) {
      if (dir === undefined) throw new RequestError(400, `${field}: tcg tests are not served here (start the service with --tcg-runs DIR)`);
      const path = join(dir, runName, TESTS_FILE);
      const info = await stat(path).catch(() => undefined);
      if (info === undefined) throw new RequestError(400, `${field}: no TCG run ${JSON.stringify(runName)}`);
      let entry = cache.get(runName);
      if (entry === undefined || entry.mtimeMs !== info.mtimeMs) {
        entry = { mtimeMs: info.mtimeMs, tests: loadGeneratedTests(join(dir, runName), session.benchmark.tasks).then((l) => l.tests) };
        cache.set(runName, entry);
        entry.tests.catch(() => cache.delete(runName));
      }
      let byTask: Map<string, Test[]>;
      try {
        byTask = await entry.tests;
      } catch (e) {
        // The file's own problem, named without its path (the client gave a name, not a path).
        if (e instanceof InputError) throw new RequestError(400, `${field}: TCG run ${JSON.stringify(runName)} is unreadable: ${e.message.replace(dir, "…")}`);
        throw e;
      }
      const tests = byTask.get(task.taskId) ?? [];
      if (tests.length === 0) throw new RequestError(400, `${field}: TCG run ${JSON.stringify(runName)} has no valid test for task ${task.taskId}`);
      return tests;
    },
  };
}

/** Inline cases as host-judged tests of `task`; a case that cannot be read is a 400 naming it. */
export function inlineTests(task: Task, cases: readonly z.infer<typeof inlineCaseSchema>[], field: string): Test[] {
  const target = tcgTarget(task);
  if (target === undefined) throw new RequestError(400, `${field}: task ${task.taskId} has no function to call, so inline cases cannot name one`);
  const { cases: prepared } = prepareCases(task, target, cases, {
    model: "inline",
    request: 0,
    cases: cases.length,
    maxCaseChars: 200_000,
    seen: new Set(),
  });
  return prepared.map((c, i) => {
    if (c.test === undefined) throw new RequestError(400, `${field}.${i}: ${c.status ?? "unreadable"}: ${c.detail ?? ""}`);
    return { ...c.test, id: `inline/${i}`, group: "inline" };
  });
}
