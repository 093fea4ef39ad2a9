import { existsSync } from "node:fs";
import { join } from "node:path";
import pLimit from "p-limit";
import { InputError } from "../core/errors.js";
import type { JudgingSession } from "../core/session.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import type { Task, Test } from "../core/task.js";
import { programDigest } from "../judge/program-identity.js";
import { generationRecordSchema, parseRunFile, RUN_FILES, sampleKey, sampleLineSchema, verdictSchema } from "../runner/run-format.js";
import { makeMutants, screenMutants, type Mutant, type MutantScreen } from "../tcg/mutants.js";
import { decideProgram, type ProgramDecision, type ProgramOnGeneratedTests, type ProgramRole } from "../tcg/quality.js";
import { readJsonlFile } from "../util/jsonl-file.js";

/**
 * The programs that measure a TCG run's tests (src/tcg/quality.ts): the reference, known-correct
 * samples (the passing samples of `--correct` run directories), wrong samples (the failing ones
 * of `--wrong` run directories) and the reference's mutants that some benchmark test rejects.
 * Each is judged through the session on its task's valid generated tests: correct programs on
 * every test (TPR, and the per-test pass rate), wrong ones until the first failure (a kill).
 */

/** A program the quality measures judge. */
export interface QualityProgram {
  taskId: string;
  role: ProgramRole;
  /** Where it came from: `reference`, `<run dir>#<task>#<sample>`, or a mutant's id (`<task>#m<i>`). */
  id: string;
  program: string;
}

/** What was read from one run directory given with --correct or --wrong. */
export interface RunProgramsCount {
  dir: string;
  role: "correct" | "wrong_sample";
  /** Samples taken (of this run's tasks, with the status the role asks for). */
  used: number;
  /** Samples whose status does not fit the role (a failing sample in a --correct run, ...). */
  other_status: number;
  /** Samples of tasks outside this run. */
  other_tasks: number;
  /** Verdicts whose program could not be found (or no longer matches its hash). */
  without_program: number;
}

/** Statuses a wrong sample must not have: no evidence it is wrong. */
const NOT_WRONG = new Set(["pass", "sandbox_error", "missing"]);

/**
 * The samples of earlier run directories (verdicts.jsonl, with the programs from samples.jsonl
 * or generations.jsonl): passing ones as `correct`, failing ones as `wrong_sample`. Nothing is
 * written to those directories (a torn last line is only skipped).
 */
export function readRunPrograms(dir: string, role: "correct" | "wrong_sample", taskIds: ReadonlySet<string>): { programs: QualityProgram[]; count: RunProgramsCount } {
  const verdictsPath = join(dir, RUN_FILES.verdicts);
  if (!existsSync(verdictsPath)) throw new InputError(`not a run directory with verdicts (no ${RUN_FILES.verdicts}) for --${role === "correct" ? "correct" : "wrong"}`, dir);
  const programs = programsOf(dir);
  const count: RunProgramsCount = { dir, role, used: 0, other_status: 0, other_tasks: 0, without_program: 0 };
  const out: QualityProgram[] = [];
  for (const { line, text } of readJsonlFile(verdictsPath).lines) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError("corrupt verdict line (not JSON)", verdictsPath, line);
    }
    const v: SampleVerdict = parseRunFile(verdictSchema, json, "verdict", verdictsPath, line);
    const fits = role === "correct" ? v.status === "pass" : !NOT_WRONG.has(v.status);
    if (!fits) count.other_status++;
    else if (!taskIds.has(v.task_id)) count.other_tasks++;
    else {
      const program = programs.get(sampleKey(v.task_id, v.sample_index));
      if (program === undefined || programDigest(program) !== v.program_sha256) count.without_program++;
      else {
        out.push({ taskId: v.task_id, role, id: `${dir}#${sampleKey(v.task_id, v.sample_index)}`, program });
        count.used++;
      }
    }
  }
  return { programs: out, count };
}

/** A run directory's programs by sample key: samples.jsonl (what was judged), else generations.jsonl. */
function programsOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const read = (file: string, program: (json: unknown) => { key: string; program: string } | undefined): void => {
    const path = join(dir, file);
    for (const { text } of readJsonlFile(path).lines) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        continue; // a report-only file: a bad line costs that sample, nothing else
      }
      const found = program(json);
      if (found !== undefined && !out.has(found.key)) out.set(found.key, found.program);
    }
  };
  read(RUN_FILES.samples, (json) => {
    const s = sampleLineSchema.safeParse(json);
    return s.success && s.data.program !== undefined ? { key: sampleKey(String(s.data.task_id), s.data.sample_index), program: s.data.program } : undefined;
  });
  read(RUN_FILES.generations, (json) => {
    const g = generationRecordSchema.safeParse(json);
    return g.success ? { key: sampleKey(g.data.task_id, g.data.sample_index), program: g.data.solution } : undefined;
  });
  return out;
}

/** One line of mutants.jsonl: a mutant and what the benchmark's tests said of it. */
export interface MutantLine {
  id: string;
  task_id: string;
  operator: Mutant["operator"];
  line: number;
  description: string;
  screen: keyof MutantScreen;
  program: string;
}

/** What making and screening mutants gave. */
export interface MutantsMade {
  lines: MutantLine[];
  kept: QualityProgram[];
  counts: Record<keyof MutantScreen | "made" | "references_not_mutated", number>;
}

/**
 * Mutants of every task's reference (at most `max` each, seeded), screened on the benchmark's
 * tests through the session: only those some test rejects are kept; equivalent, stillborn and
 * undetermined ones are recorded and left out.
 */
export async function mutantsOf(
  session: Pick<JudgingSession, "run" | "judge">,
  tasks: readonly Task[],
  opts: { max: number; seed: number; concurrency: number; signal?: AbortSignal },
): Promise<MutantsMade> {
  const signal = opts.signal !== undefined ? { signal: opts.signal } : {};
  const made = await makeMutants(session, tasks.map((t) => ({ key: t.taskId, program: t.reference, seed: opts.seed, max: opts.max })), signal);
  const mutants: { task: Task; mutant: Mutant }[] = [];
  let notMutated = 0;
  for (const task of tasks) {
    const m = made.get(task.taskId);
    if (m?.ok) for (const mutant of m.mutants) mutants.push({ task, mutant });
    else notMutated++;
  }
  const limit = pLimit(opts.concurrency);
  const verdicts = new Map<string, SampleVerdict>();
  await Promise.all(
    mutants.map(({ task, mutant }) =>
      limit(async () => {
        // A task the reference left without a test cannot tell a mutant from it: no verdict, undetermined.
        if (task.tests.length === 0) return;
        const judged = await session.judge(task, mutant.program, signal);
        verdicts.set(mutant.id, { ...judged, sample_index: mutant.index });
      }),
    ),
  );
  const screen = screenMutants(mutants.map((m) => m.mutant), verdicts);
  const screenOf = new Map<string, keyof MutantScreen>();
  for (const kind of ["kept", "equivalent", "stillborn", "undetermined"] as const) for (const m of screen[kind]) screenOf.set(m.id, kind);
  const lines = mutants.map(({ task, mutant: m }): MutantLine => ({
    id: m.id,
    task_id: task.taskId,
    operator: m.operator,
    line: m.line,
    description: m.description,
    screen: screenOf.get(m.id) ?? "undetermined",
    program: m.program,
  }));
  return {
    lines,
    kept: screen.kept.map((m) => ({ taskId: m.key, role: "mutant", id: m.id, program: m.program })),
    counts: {
      made: mutants.length,
      kept: screen.kept.length,
      equivalent: screen.equivalent.length,
      stillborn: screen.stillborn.length,
      undetermined: screen.undetermined.length,
      references_not_mutated: notMutated,
    },
  };
}

/** One line of programs.jsonl: a program judged on one model's valid generated tests. */
export interface ProgramLine {
  model: string;
  task_id: string;
  role: ProgramRole;
  id: string;
  decision: ProgramDecision;
  /** Valid generated tests it ran on (0: its task has none, untested). */
  tests: number;
  /** The first generated test it failed, with its outcome. */
  failed?: { test: string; outcome: string };
}

/**
 * Judges programs on their tasks' valid generated tests (one model's), through the session:
 * the reference and correct samples on every test, wrong ones until the first failure.
 */
export async function judgeOnGeneratedTests(
  session: Pick<JudgingSession, "judge">,
  model: string,
  tasks: ReadonlyMap<string, Task>,
  validTests: ReadonlyMap<string, Test[]>,
  programs: readonly QualityProgram[],
  opts: { concurrency: number; signal?: AbortSignal },
): Promise<{ judged: ProgramOnGeneratedTests[]; lines: ProgramLine[] }> {
  const limit = pLimit(opts.concurrency);
  const results = await Promise.all(
    programs.map((p) =>
      limit(async () => {
        const tests = validTests.get(p.taskId) ?? [];
        const task = tasks.get(p.taskId);
        if (task === undefined) throw new Error(`internal: no task ${p.taskId}`);
        const every = p.role === "reference" || p.role === "correct";
        const verdicts =
          tests.length === 0
            ? []
            : (await session.judge(task, p.program, { tests, untilFirstFailure: !every, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) })).tests;
        const judged: ProgramOnGeneratedTests = { taskId: p.taskId, role: p.role, tests: verdicts };
        const failed = verdicts.find((t) => t.outcome !== "pass" && t.outcome !== "sandbox_error");
        const line: ProgramLine = {
          model,
          task_id: p.taskId,
          role: p.role,
          id: p.id,
          decision: decideProgram(verdicts),
          tests: tests.length,
          ...(failed !== undefined ? { failed: { test: failed.id, outcome: failed.outcome } } : {}),
        };
        return { judged, line };
      }),
    ),
  );
  return { judged: results.map((r) => r.judged), lines: results.map((r) => r.line) };
}
