import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { RunManifest } from "../core/run.js";
import type { Task, Test } from "../core/task.js";
import { loadGeneratedTests, TESTS_FILE } from "../tcg/tests-file.js";
import { sha256 } from "../util/hash.js";

/**
 * Which tests judge samples: the benchmark's own (`benchmark`, the default), the valid tests a
 * `verdict tcg` run generated (`tcg:RUN_DIR`), or both (`benchmark+tcg:RUN_DIR`). `verdict eval
 * --tests` and the run config's `tests:` read it. A generated test keeps its id
 * (`tcg/<model>/<request>/<case>`) in every verdict, so each test's origin is on record.
 */

/** The forms a tests source takes, for messages and schema descriptions. */
export const TESTS_SOURCE_FORMS = "benchmark, tcg:RUN_DIR or benchmark+tcg:RUN_DIR";

/** A tests source as written in a flag or a config (checked for its form; the run directory is read later). */
export const testsSourceSchema = z
  .string()
  .regex(/^(benchmark|tcg:.+|benchmark\+tcg:.+)$/, `expected ${TESTS_SOURCE_FORMS}`)
  .describe("which tests judge the samples: the benchmark's, the valid tests of a `verdict tcg` run (tcg:RUN_DIR), or both (benchmark+tcg:RUN_DIR)");

/** A parsed tests source: whether the benchmark's tests count, and the TCG run whose valid tests are added. */
export interface TestsSource {
  benchmark: boolean;
  /** Absolute path of the TCG run directory. */
  tcg?: string;
}

/**
 * Reads a tests source (relative run directories are taken from `base`); an InputError names
 * what was expected, or the TCG run directory without a tests.jsonl, before anything runs.
 */
export function parseTestsSource(text: string, base: string = process.cwd()): TestsSource {
  if (!testsSourceSchema.safeParse(text).success) throw new InputError(`--tests: expected ${TESTS_SOURCE_FORMS}, got "${text}"`);
  if (text === "benchmark") return { benchmark: true };
  const both = text.startsWith("benchmark+");
  const given = text.slice(text.indexOf("tcg:") + 4);
  const dir = isAbsolute(given) ? given : resolve(base, given);
  if (!existsSync(join(dir, TESTS_FILE))) throw new InputError(`--tests ${text}: not a \`verdict tcg\` run directory (no ${TESTS_FILE})`, dir);
  return { benchmark: both, tcg: dir };
}

/** A tests source as a config writes it, with a relative run directory made absolute against `base` (the config file's folder). */
export function resolveTestsSourceText(text: string, base: string): string {
  const tcg = /^(benchmark\+)?tcg:(.+)$/.exec(text);
  if (tcg === null) return text;
  const dir = tcg[2] ?? "";
  return `${tcg[1] ?? ""}tcg:${isAbsolute(dir) ? dir : resolve(base, dir)}`;
}

/** A tests source as written (with the run directory absolute): what a manifest records and a resume compares. */
export function testsSourceText(source: TestsSource): string {
  if (source.tcg === undefined) return "benchmark";
  return `${source.benchmark ? "benchmark+" : ""}tcg:${source.tcg}`;
}

/** What a tests source gives a run: each task's tests, and what it holds. */
export interface SourcedTests {
  source: TestsSource;
  /** The tests a task is judged on; undefined means the task's own (the benchmark's). */
  testsFor(taskId: string): Test[] | undefined;
  /** Tasks left without a test (generated tests only, and none valid for them): unscorable. */
  withoutTests: string[];
  /** The generated tests used, when there are any. */
  tcg?: { dir: string; tests_sha256: string; tests: number; tasks: number; other_tasks: number };
}

/**
 * The tests of `tasks` under a source. With generated tests, each task's valid generated tests
 * follow its benchmark tests (`benchmark+tcg:`) or replace them (`tcg:`); a TCG run of other
 * tasks adds nothing to these (counted in `other_tasks`).
 */
export async function loadTestsSource(source: TestsSource, tasks: readonly Task[]): Promise<SourcedTests> {
  if (source.tcg === undefined) return { source, testsFor: () => undefined, withoutTests: [] };
  const loaded = await loadGeneratedTests(source.tcg, tasks);
  const byTask = new Map<string, Test[]>();
  for (const task of tasks) {
    const generated = loaded.tests.get(task.taskId) ?? [];
    byTask.set(task.taskId, source.benchmark ? [...task.tests, ...generated] : generated);
  }
  return {
    source,
    testsFor: (taskId) => byTask.get(taskId),
    withoutTests: tasks.filter((t) => (byTask.get(t.taskId) ?? []).length === 0).map((t) => t.taskId),
    tcg: {
      dir: source.tcg,
      tests_sha256: sha256(readFileSync(join(source.tcg, TESTS_FILE))),
      tests: loaded.used,
      tasks: loaded.tests.size,
      other_tasks: loaded.otherTasks,
    },
  };
}

/** The judge options of a sample under a tests source: its task's generated tests, when they replace or join the benchmark's. */
export function testsOf(sourced: SourcedTests, taskId: string): { tests?: Test[] } {
  const tests = sourced.testsFor(taskId);
  return tests === undefined ? {} : { tests };
}

/** What a manifest records of the tests source: the source, and the generated tests' file hash. */
export function testsManifest(sourced: SourcedTests): Pick<RunManifest, "tests" | "tests_sha256"> {
  if (sourced.tcg === undefined) return {};
  return { tests: testsSourceText(sourced.source), tests_sha256: sourced.tcg.tests_sha256 };
}

/**
 * The tests of a run that generates its samples (`verdict run`'s `tests:`): every task must keep
 * a test, since a task without one would score any program that loads as a pass, so a TCG run
 * that leaves some task without a valid test is refused before anything is generated.
 */
export async function loadEveryTaskTests(text: string | undefined, tasks: readonly Task[]): Promise<SourcedTests> {
  const sourced = await loadTestsSource(parseTestsSource(text ?? "benchmark"), tasks);
  const left = sourced.withoutTests;
  if (left.length > 0) {
    const shown = left.length > 10 ? `${left.slice(0, 10).join(", ")} and ${left.length - 10} more` : left.join(", ");
    throw new InputError(
      `tests: ${text ?? ""}: ${left.length} task(s) have no valid generated test (${shown}); use tests: benchmark+tcg:${sourced.tcg?.dir ?? "RUN_DIR"}, or a TCG run that covers every task`,
      join(sourced.tcg?.dir ?? "", TESTS_FILE),
    );
  }
  return sourced;
}
