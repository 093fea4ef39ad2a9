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
import type { JudgingSession, ResolvedTask } from "../core/session.js";
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

/** A request's `task` field: its value, and its name in error messages (`items.3.task`). */
export interface TaskField {
  value: z.infer<typeof taskFieldSchema>;
  field: string;
}

/**
 * The Tasks a request's `task` fields name, in order; an unknown id is a 400 naming its field.
 * Task objects are resolved as a benchmark's tasks are (JudgingSession.resolveTasks), all of a
 * request's together (one reference pool): their asserts become calls judged on the host
 * against the values their own `code` returns. An object whose code cannot give one of its
 * expected values is a 400 naming its field and the test.
 */
export async function resolveTaskFields(session: JudgingSession, fields: readonly TaskField[]): Promise<Task[]> {
  const known = fields.map(({ value, field }) => (typeof value === "object" ? undefined : benchmarkTask(session, value, field)));
  const objects = fields.flatMap((f, i) => (typeof f.value === "object" ? [{ i, field: f.field, spec: mbppRowToTask(f.value, false) }] : []));
  if (objects.length === 0) return known as Task[];
  const resolved = await session.resolveTasks(objects.map((o) => o.spec));
  objects.forEach((o, k) => {
    const { task, failures } = resolved[k] as ResolvedTask;
    // A test the task's own code fails has no trustworthy expected value: the task is wrong.
    const failed = failures.filter((f) => f.handling === "left_out" || f.handling === "unverified");
    if (failed.length > 0) {
      const why = failed.map((f) => `${f.test}: ${f.why}`).join("; ");
      throw new RequestError(400, `${o.field}: the task object's reference solution (code) fails ${failed.length === 1 ? "its test" : `${failed.length} of its tests`} (${why.slice(0, 500)}); fix the task, or send the cases as inline tests`);
    }
    if (task.tests.length === 0) throw new RequestError(400, `${o.field}: the task object has no tests (test_list is empty)`);
    known[o.i] = task;
  });
  return known as Task[];
}

/** The benchmark task an id names, or a 400 naming `field`. */
function benchmarkTask(session: JudgingSession, value: string | number, field: string): Task {
  try {
    return session.task(String(value));
  } catch (e) {
    if (e instanceof InputError) throw new RequestError(400, `${field}: unknown task ${JSON.stringify(value)} (${session.benchmark.name} ${session.benchmark.split})`);
    throw e;
  }
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
