import type Docker from "dockerode";
import pLimit from "p-limit";
import { loadBenchmark } from "../benchmarks/registry.js";
import type { Task } from "../core/task.js";
import { decodeValue } from "../judge/codec.js";
import { pyRepr } from "../judge/py-repr.js";
import { DEFAULT_LIMITS } from "../sandbox/limits.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import type { CaseText } from "../tcg/case-blocks.js";
import { type PreparedCase, prepareCases, tcgTarget } from "../tcg/generated-tests.js";
import { validateCases } from "../tcg/validation.js";
import { figure, type Figure, trivialJobsPerSecond } from "./bench-jobs.js";

/**
 * `npm run bench`'s TCG section: how fast generated cases are validated, beside trivial
 * jobs/s measured in the same session. A validation is one reference call per case (all of a
 * unit's cases in one job, as `verdict tcg` does), so its cases/s should reach at least half the
 * trivial jobs/s. The cases are MBPP train's own tests written as a TCG model writes them
 * (`# input:` the call's arguments, `# output:` the expected literal), parsed and validated by
 * the same code as a real run, K = 3 per task; no model is asked.
 */

/** What the TCG section measures. */
export interface TcgBenchOptions {
  workers: number;
  repeat: number;
  /** Trivial jobs per measurement of the baseline. */
  trivialJobs: number;
  /** Only the first this many tasks with cases (default: every MBPP train task's). */
  tasks?: number;
  dataDir?: string;
  log: (line: string) => void;
  docker?: Docker;
}

/** The TCG section of the bench report. */
export interface TcgBenchReport {
  workers: number;
  /** Tasks whose cases were validated, and the cases that ran on the reference per repeat. */
  tasks: number;
  cases: number;
  /** Of those, the ones the reference passed (every one should: they are the benchmark's own tests). */
  valid: number;
  cases_per_second: Figure;
  /** Validation jobs (one per task) per second. */
  units_per_second: Figure;
  /** Trivial jobs/s through the same session's pool, in the same run. */
  trivial_jobs_per_second: Figure;
  target: { ratio: number; limit: number; met: boolean };
}

/** Cases asked per task, as the paper's prompt asks ("Generate 3 test cases"). */
const CASES_PER_TASK = 3;
/** The target: validation cases/s over trivial jobs/s. */
const TARGET_RATIO = 0.5;

/**
 * A benchmark test written as a TCG case: the arguments of its entry-point call and its
 * expected value as Python literals. MBPP's resolved asserts are expressions `f(args)`; the
 * argument text is kept as written and read by the strict literal parser like a model's (a
 * call that is no literal becomes `unparsable` and is not counted). Undefined when the test is
 * no call of the entry point.
 */
function caseOfTest(test: Task["tests"][number], entryPoint: string): CaseText | undefined {
  if (test.expect === null) return undefined;
  const output = pyRepr(test.expect.expected, Number.MAX_SAFE_INTEGER);
  if (test.input.kind === "expr") {
    const src = test.input.src.trim();
    if (!src.startsWith(`${entryPoint}(`) || !src.endsWith(")")) return undefined;
    return { input: src.slice(entryPoint.length + 1, -1), output };
  }
  if (test.input.kind !== "call") return undefined;
  const args: string[] = [];
  for (const wire of test.input.args) {
    const decoded = decodeValue(wire);
    if (!decoded.ok) return undefined;
    args.push(pyRepr(decoded.value, Number.MAX_SAFE_INTEGER));
  }
  return { input: args.join(", "), output };
}

/** Each task's cases, prepared as `verdict tcg` prepares a model's answer; tasks with no runnable case are left out. */
function benchUnits(tasks: readonly Task[]): { task: Task; cases: PreparedCase[] }[] {
  return tasks.flatMap((task) => {
    const target = tcgTarget(task);
    if (target === undefined) return [];
    const texts = task.tests.map((t) => caseOfTest(t, target.entryPoint)).filter((c): c is CaseText => c !== undefined);
    // Cap-free: the bench measures validation, not the paper's 100-character rule.
    const { cases } = prepareCases(task, target, texts, { model: "bench", request: 0, cases: CASES_PER_TASK, maxCaseChars: 100_000, seen: new Set() });
    return cases.some((c) => c.test !== undefined) ? [{ task, cases }] : [];
  });
}

/** One pass over every unit, `workers` × 2 jobs in flight: seconds taken, cases run and cases valid. */
async function validateAll(session: LocalJudgingSession, units: ReturnType<typeof benchUnits>): Promise<{ seconds: number; cases: number; valid: number }> {
  const limit = pLimit(session.sandbox.workers * 2);
  const t0 = process.hrtime.bigint();
  const results = await Promise.all(units.map((u) => limit(() => validateCases(session, u.task, u.cases))));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ran = results.flat().filter((c) => c.reference !== undefined);
  return { seconds, cases: ran.length, valid: ran.filter((c) => c.validity === "valid").length };
}

/** Validation throughput on MBPP train, beside trivial jobs/s in the same session (the module comment). */
export async function runTcgBench(opts: TcgBenchOptions): Promise<TcgBenchReport> {
  const spec = await loadBenchmark("mbpp", { split: "train", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), challenge: false });
  const session = await openJudgingSession({
    benchmark: spec,
    workers: opts.workers,
    hashSeed: 0,
    memo: false,
    verdictCache: false,
    limits: { ...DEFAULT_LIMITS, memoryMb: 1024 },
    log: opts.log,
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
  });
  try {
    await session.warm();
    const units = benchUnits(session.benchmark.tasks).slice(0, opts.tasks);
    if (units.length === 0) throw new Error("bench: no MBPP train task's tests could be written as TCG cases");
    // One uncounted pass of each, so neither measure pays for a cold pool or cold page cache.
    await trivialJobsPerSecond(session, session.sandbox.workers * 4);
    await validateAll(session, units.slice(0, session.sandbox.workers * 4));
    const cases: number[] = [];
    const unitRates: number[] = [];
    const trivial: number[] = [];
    let last = { cases: 0, valid: 0 };
    // Interleaved, so a machine that slows down during the run slows both alike.
    for (let r = 0; r < opts.repeat; r++) {
      opts.log(`bench: TCG validation of ${units.length} MBPP train tasks' cases (${r + 1}/${opts.repeat}), then ${opts.trivialJobs} trivial jobs`);
      const v = await validateAll(session, units);
      cases.push(v.cases / v.seconds);
      unitRates.push(units.length / v.seconds);
      last = v;
      trivial.push(await trivialJobsPerSecond(session, opts.trivialJobs));
    }
    const casesFigure = figure(cases);
    const trivialFigure = figure(trivial);
    const ratio = casesFigure.median / trivialFigure.median;
    return {
      workers: session.sandbox.workers,
      tasks: units.length,
      cases: last.cases,
      valid: last.valid,
      cases_per_second: casesFigure,
      units_per_second: figure(unitRates),
      trivial_jobs_per_second: trivialFigure,
      target: { ratio, limit: TARGET_RATIO, met: ratio >= TARGET_RATIO },
    };
  } finally {
    await session.close();
  }
}
