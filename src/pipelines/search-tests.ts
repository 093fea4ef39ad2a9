import type { Task, Test } from "../core/task.js";
import { createRng } from "../metrics/rng.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import type { SearchSettings } from "../search/search-config.js";
import { taskSeed, type SearchTask } from "../search/search-task.js";
import { testsDigest } from "../session/judgement-key.js";
import { loadTestsSource, parseTestsSource, testsSourceText } from "./tests-source.js";

/**
 * Which tests give a search's rewards: a tests source (tests-source.ts: the benchmark's own,
 * the valid tests of a `verdict tcg` run, or both), all of them or a fixed subset of
 * `max_tests` per task chosen with `tests_seed` (the public code draws up to 10 with an
 * unseeded random.sample; here the draw is seeded and recorded). A task left with no test
 * cannot give a reward and is left out, said so in the run's manifest.
 */
export interface SearchTests {
  /** The tasks the search runs, with the digest of their reward tests. */
  tasks: SearchTask[];
  /** The tests a task's rewards come from, for the judge. */
  testsFor(task: SearchTask): readonly Test[];
  /** Tasks left out: no test to judge on. */
  withoutTests: string[];
  /** What decides the tests beyond the settings: the source and, for generated tests, the file's sha256 (part of the identity a resume must match). */
  identity: { source: string; tests_sha256?: string };
}

/** The reward tests of every task, per the settings' `tests`, `max_tests` and `tests_seed` (a relative tcg: directory is taken from `base`). */
export async function searchTests(tasks: readonly Task[], prompts: ReadonlyMap<string, PromptTask>, settings: SearchSettings, base?: string): Promise<SearchTests> {
  const source = parseTestsSource(settings.tests, base);
  const sourced = await loadTestsSource(source, tasks);
  const byId = new Map<string, Test[]>();
  const out: SearchTask[] = [];
  const withoutTests: string[] = [];
  for (const task of tasks) {
    const tests = subset(sourced.testsFor(task.taskId) ?? task.tests, settings, task.taskId);
    const prompt = prompts.get(task.taskId);
    if (tests.length === 0 || prompt === undefined) {
      withoutTests.push(task.taskId);
      continue;
    }
    byId.set(task.taskId, tests);
    out.push({ taskId: task.taskId, prompt, testsDigest: testsDigest({ ...task, tests }) });
  }
  return {
    tasks: out,
    testsFor: (t) => byId.get(t.taskId) ?? [],
    withoutTests,
    identity: { source: testsSourceText(source), ...(sourced.tcg !== undefined ? { tests_sha256: sourced.tcg.tests_sha256 } : {}) },
  };
}

/** At most `max_tests` of a task's tests, drawn without replacement by a seeded shuffle, kept in their own order. */
function subset(tests: readonly Test[], settings: SearchSettings, taskId: string): Test[] {
  const max = settings.max_tests;
  if (max === undefined || tests.length <= max) return [...tests];
  const rng = createRng(taskSeed(settings.tests_seed, taskId));
  const order = tests.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const keep = new Set(order.slice(0, max));
  return tests.filter((_, i) => keep.has(i));
}
