import type { RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import type { BenchmarkSpec, Task } from "../core/task.js";
import { summarize } from "../metrics/summary.js";
import type { Provider } from "../models/provider.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import { failuresByTask } from "../runner/reference-failures.js";
import { RUN_FILES } from "../runner/run-format.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import { parseCaseBlocks } from "../tcg/case-blocks.js";
import { tcgQuality, type ProgramOnGeneratedTests } from "../tcg/quality.js";
import type { TestsRow } from "../tcg/tests-file.js";
import type { TcgConfig } from "./tcg-config.js";
import { judgeOnGeneratedTests, mutantsOf, type MutantsMade, type ProgramLine, type QualityProgram, type RunProgramsCount } from "./tcg-quality.js";
import { referenceVerdict, validTestsOf, writeExports } from "./tcg-results.js";
import { requestKey, TCG_FILES, type TcgRunDir } from "./tcg-run-dir.js";
import type { TcgModelSummary, TcgSummary } from "./tcg-summary.js";
import type { UnitsReport } from "./tcg-units.js";

/**
 * The end of a TCG run: the quality of each model's valid tests (src/tcg/quality.ts), measured
 * through the session on the reference, the known-correct and wrong samples, and the
 * reference's non-equivalent mutants; then programs.jsonl, mutants.jsonl, verdicts.jsonl and
 * samples.jsonl (the reference on each model's tests), the exports and summary.json. Runs on
 * whatever units are validated, so an incomplete run (a request that kept failing) still
 * reports on them, marked incomplete.
 */

/** What the measures read. */
export interface QualityInputs {
  cfg: TcgConfig;
  session: LocalJudgingSession;
  dir: TcgRunDir;
  spec: BenchmarkSpec;
  prompts: ReadonlyMap<string, PromptTask>;
  providers: ReadonlyMap<string, Provider>;
  /** Correct and wrong samples of earlier runs. */
  runs: QualityProgram[];
  runCounts: RunProgramsCount[];
  log: (line: string) => void;
}

/** Measures, writes every end-of-run file and returns summary.json (see the module comment). */
export async function measureQuality(q: QualityInputs, units: UnitsReport, seconds: number, signal?: AbortSignal): Promise<RunSummary & { tcg: TcgSummary }> {
  const { cfg, session, dir } = q;
  const started = Date.now();
  const tasks = new Map(session.benchmark.tasks.map((t) => [t.taskId, t]));
  const ordered = q.spec.tasks.map((t) => tasks.get(t.taskId) as Task);
  const concurrency = session.sandbox.workers * 2;
  const optSignal = signal !== undefined ? { signal } : {};
  let mutants: MutantsMade | undefined;
  if (cfg.quality.mutants > 0) {
    q.log(`tcg: making up to ${cfg.quality.mutants} mutants of each of ${ordered.length} references, screened on the benchmark's tests`);
    mutants = await mutantsOf(session, ordered, { max: cfg.quality.mutants, seed: cfg.quality.mutant_seed, concurrency, ...optSignal });
  }
  const programs: QualityProgram[] = [
    ...ordered.map((t): QualityProgram => ({ taskId: t.taskId, role: "reference", id: "reference", program: t.reference })),
    ...q.runs,
    ...(mutants?.kept ?? []),
  ];
  const allRows = [...dir.validated.values()].flat();
  const models: TcgModelSummary[] = [];
  const programLines: ProgramLine[] = [];
  const verdicts: SampleVerdict[] = [];
  for (const [index, model] of cfg.models.entries()) {
    const rows = allRows.filter((r) => r.origin.model === model.name);
    const valid = validTestsOf(rows, dir.dir);
    q.log(`tcg: ${model.name}: judging ${programs.length} programs on ${[...valid.values()].reduce((s, t) => s + t.length, 0)} valid generated tests`);
    const judged = await judgeOnGeneratedTests(session, model.name, tasks, valid, programs, { concurrency, ...optSignal });
    programLines.push(...judged.lines);
    models.push(modelSummary(q, units, model.name, index, rows, judged.judged, programs));
    for (const t of ordered) {
      const v = referenceVerdict(t.taskId, index, t.reference, rows.filter((r) => r.task_id === t.taskId));
      if (v !== undefined) verdicts.push(v);
    }
  }
  dir.writeLines(TCG_FILES.programs, programLines);
  dir.writeLines(TCG_FILES.mutants, mutants?.lines ?? []);
  writeReferenceVerdicts(dir, verdicts, tasks);
  const complete = units.incomplete.length === 0;
  const exports = await writeExports(dir.dir, allRows, q.prompts, cfg.tcg, cfg.export.seed);
  const tcg: TcgSummary = {
    complete,
    tasks: ordered.length,
    settings: cfg.tcg,
    units: { total: cfg.models.length * ordered.length, validated_now: units.validatedNow, from_disk: units.fromDisk },
    incomplete: units.incomplete,
    models,
    mutants: mutants === undefined ? null : { max: cfg.quality.mutants, seed: cfg.quality.mutant_seed, ...mutants.counts },
    runs: q.runCounts,
    exports: { sft: exports.sft, dpo: exports.dpo },
    seconds: seconds + (Date.now() - started) / 1000,
  };
  const summary = {
    ...summarize({
      benchmark: q.spec.name,
      split: q.spec.split,
      verdicts,
      ks: [1],
      groups: [],
      seconds: tcg.seconds,
      referenceFailures: failuresByTask(session.groundTruth.failures),
    }),
    tcg,
  };
  dir.writeJson(RUN_FILES.summary, summary);
  return summary;
}

/** One model's figures: its requests, cases and quality. */
function modelSummary(
  q: QualityInputs,
  units: UnitsReport,
  name: string,
  index: number,
  rows: readonly TestsRow[],
  judged: ProgramOnGeneratedTests[],
  programs: readonly QualityProgram[],
): TcgModelSummary {
  const { cfg, dir } = q;
  const model = cfg.models[index];
  const answers = q.spec.tasks.flatMap((t) =>
    Array.from({ length: cfg.tcg.requests }, (_, r) => dir.requests.get(requestKey(name, t.taskId, r))?.text).filter((x): x is string => x !== undefined),
  );
  const found = answers.map((a) => parseCaseBlocks(a).length);
  const counts = units.requests.get(name) ?? { answered: 0, cached: 0, failed: 0 };
  const role = (r: QualityProgram["role"]): number => programs.filter((p) => p.role === r).length;
  return {
    name,
    model: model?.model ?? name,
    provider: q.providers.get(name)?.id() ?? "",
    requests: { asked: q.spec.tasks.length * cfg.tcg.requests, answered: answers.length, cached: counts.cached, failed: counts.failed },
    cases: {
      asked: answers.length * cfg.tcg.cases,
      extra: found.reduce((s, n) => s + Math.max(0, n - cfg.tcg.cases), 0),
      missing: found.reduce((s, n) => s + Math.max(0, cfg.tcg.cases - n), 0),
    },
    programs: { reference: role("reference"), correct: role("correct"), wrong_samples: role("wrong_sample"), mutants: role("mutant") },
    quality: tcgQuality({ taskIds: q.spec.tasks.map((t) => t.taskId), cases: rows.map((r) => ({ taskId: r.task_id, validity: r.validity })), programs: judged }),
  };
}

/** verdicts.jsonl and samples.jsonl of the run, written whole: the reference judged on each model's generated tests. */
function writeReferenceVerdicts(dir: TcgRunDir, verdicts: readonly SampleVerdict[], tasks: ReadonlyMap<string, Task>): void {
  dir.writeLines(RUN_FILES.verdicts, verdicts);
  dir.writeLines(
    RUN_FILES.samples,
    verdicts.map((v) => ({ task_id: v.task_id, sample_index: v.sample_index, program: tasks.get(v.task_id)?.reference ?? "" })),
  );
}
