import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Outcome } from "../core/outcome.js";
import type { SampleVerdict, TestVerdict } from "../core/sample-verdict.js";
import type { Test } from "../core/task.js";
import { programDigest } from "../judge/program-identity.js";
import { buildTcgPrompt } from "../prompts/tcg.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import { rowToTest, TESTS_FILE, type TestsRow } from "../tcg/tests-file.js";
import { exportTcgTraining, type TrainingManifest } from "../tcg/training-export.js";
import { sha256 } from "../util/hash.js";
import type { TcgSettings } from "./tcg-config.js";
import { TCG_FILES } from "./tcg-run-dir.js";

/**
 * What a TCG run makes of its validated rows at the end: each model's valid tests (for the
 * quality measures), the reference's verdicts on the generated tests (verdicts.jsonl, so
 * `verdict report` and `verdict runs` read a TCG run like any run) and the training exports.
 */

/** A model's valid generated tests, by task, as `verdict eval --tests tcg:` would load them. */
export function validTestsOf(rows: readonly TestsRow[], runDir: string): Map<string, Test[]> {
  const out = new Map<string, Test[]>();
  for (const row of rows) {
    if (row.validity !== "valid") continue;
    const test = rowToTest(row, join(runDir, TESTS_FILE));
    if (test === undefined) continue;
    out.set(row.task_id, [...(out.get(row.task_id) ?? []), test]);
  }
  return out;
}

/**
 * The reference's verdict on one model's generated tests of a task, as validation judged it:
 * one test per case that ran, with the reference's outcome there. Undefined when no case ran.
 */
export function referenceVerdict(taskId: string, sampleIndex: number, reference: string, rows: readonly TestsRow[]): SampleVerdict | undefined {
  const tests: TestVerdict[] = rows.flatMap((row) =>
    row.reference === undefined
      ? []
      : [{ id: row.id, outcome: row.reference.outcome, ...(row.reference.seconds !== undefined ? { seconds: row.reference.seconds } : {}), ...(row.detail !== undefined ? { detail: row.detail } : {}) }],
  );
  if (tests.length === 0) return undefined;
  const failed = tests.find((t) => t.outcome !== "pass");
  const status: Outcome = failed?.outcome ?? "pass";
  return {
    task_id: taskId,
    sample_index: sampleIndex,
    status,
    tests,
    weak: false,
    seconds: tests.reduce((s, t) => s + (t.seconds ?? 0), 0),
    cached: false,
    program_sha256: programDigest(reference),
  };
}

/** The completion prompt the exports pair with each task's cases (what the model was asked, in its completion form). */
export function exportPrompt(prompt: PromptTask, settings: TcgSettings): string {
  return buildTcgPrompt(prompt, { cases: settings.cases, formatHint: settings.format_hint, maxCaseChars: settings.max_case_chars }).prompt;
}

/** Writes the TRL SFT and DPO exports of the run's rows into `<run>/exports`; returns their manifests. */
export async function writeExports(
  runDir: string,
  rows: readonly TestsRow[],
  prompts: ReadonlyMap<string, PromptTask>,
  settings: TcgSettings,
  seed: number,
): Promise<{ sft: TrainingManifest; dpo: TrainingManifest }> {
  const testsPath = join(runDir, TESTS_FILE);
  return exportTcgTraining(
    join(runDir, TCG_FILES.exports),
    {
      rows,
      promptFor: (taskId) => {
        const p = prompts.get(taskId);
        return p === undefined ? undefined : exportPrompt(p, settings);
      },
      casesPerCompletion: settings.cases,
    },
    { seed, sourceRun: runDir, sourceTestsSha256: sha256(readFileSync(testsPath)), createdAt: new Date().toISOString() },
  );
}
