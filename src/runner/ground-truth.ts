import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import type { Job, RawJobResult, RawTestResult, WireTest } from "../core/job.js";
import type { ReferenceFailure } from "../core/run.js";
import type { SandboxPool } from "../core/sandbox.js";
import type {
  Benchmark,
  BenchmarkSpec,
  Comparator,
  Expectation,
  Task,
  TaskSpec,
  Test,
  CalibratedLimit,
  View,
} from "../core/task.js";
import { SetupError } from "../core/errors.js";
import type { TaskReferenceFailure } from "./reference-failures.js";
import { calibratedSeconds, DEFAULT_CALIBRATION } from "../benchmarks/time-calibration.js";
import { decodeValue } from "../judge/codec.js";
import { runnerDigest } from "../sandbox/image.js";
import { sha256 } from "../util/hash.js";
import { cacheDir } from "../util/paths.js";
import { REFERENCE_LIMITS, RUNNER_HEADROOM_MB } from "../sandbox/limits.js";
import { createProgress } from "./progress.js";
import { readCostHints, runReferenceJobs, testSeconds, writeCostHints } from "./reference-shards.js";

/** The trusted assert decomposer (runs inside the sandbox as an ordinary stdio job). */
const DECOMPOSER = fileURLToPath(new URL("../../src/benchmarks/python/decompose_asserts.py", import.meta.url));

/** Bump when the shape of cached ground truth changes. */
const GROUND_TRUTH_VERSION = 3;

/** How `resolveBenchmark` reaches a sandbox and its cache. */
export interface GroundTruthOptions {
  imageId: string;
  /** PYTHONHASHSEED of the pools `openPool` opens: set order, and so expected values, depend on it. */
  hashSeed: number;
  noCache: boolean;
  /** Opens a sandbox pool for trusted reference runs with this container memory cap (MiB). */
  openPool: (memoryMb: number) => Promise<SandboxPool>;
  log?: (line: string) => void;
  /** Draw a progress bar while the reference solutions run (MBPP+'s take about 40 s). */
  progress?: boolean;
}

/** One decomposed (or not) assert, as the decomposer reports it. */
interface Decomposed {
  key: string;
  ok: boolean;
  candidate?: string;
  expected?: string;
  comparator?: Comparator;
  /** Builtins the judge applies to the job's value before comparing (decompose_asserts.py). */
  view?: View[];
  reason?: string;
}

/** What is cached: the decomposition and the raw reference results, by task. */
interface GroundTruthRecord {
  version: number;
  decomposed: Decomposed[];
  references: Record<string, RawJobResult>;
  seconds: number;
  /** The reference tests' own run time in the computation that made this record (absent in older records). */
  runSeconds?: number;
}

/** A reference job's test and what its value resolves. */
type RefRole =
  | { test: number; role: "expected" }
  | { test: number; role: "timing" }
  | { test: number; role: "alternative"; alt: number };

/** What a resolved benchmark came with besides its tasks. */
export interface ResolvedBenchmark {
  benchmark: Benchmark;
  /** Wall seconds computing the expected values took (now, or in the run that cached them). */
  refSeconds: number;
  /** The reference tests' own run time in that computation, summed: its floor is this over the workers. */
  refRunSeconds: number;
  /** Tests the reference solution failed, in task order. */
  failures: TaskReferenceFailure[];
  /** Tasks with no test left (every test left out, or none given): nothing can score them. */
  unscorable: string[];
  cached: boolean;
}

/**
 * Turn a benchmark spec into judgeable tasks: decompose asserts, run the reference solution
 * (trusted code, still sandboxed) to compute expected values, alternatives, time and memory
 * calibration. Cached by the spec's content and the image, so it runs once per dataset.
 */
export async function resolveBenchmark(spec: BenchmarkSpec, opts: GroundTruthOptions): Promise<ResolvedBenchmark> {
  const decomposer = readFileSync(DECOMPOSER, "utf8");
  // Everything the cached raw results depend on: the image and the runner in it (which encodes
  // the values), the decomposer, the hash seed (set order) and the tasks themselves.
  const key = sha256(
    JSON.stringify({
      v: GROUND_TRUTH_VERSION,
      image: opts.imageId,
      runner: runnerDigest(),
      seed: opts.hashSeed,
      decomposer: sha256(decomposer),
      tasks: spec.tasks,
    }),
  );
  const path = cacheDir("ground-truth", `${key}.json`);
  const first = readRecord(path);
  let record = opts.noCache ? undefined : first;
  const cached = record !== undefined;
  if (record === undefined) {
    record = await computeRecord(spec, decomposer, opts);
    if (first === undefined) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify(record));
      renameSync(`${path}.tmp`, path);
    } else {
      // Reference timings are an input of every run's limits: a busy machine's second
      // measurement must not move them. The values are this run's own; the times stay the first.
      record = withTimings(record, first);
      opts.log?.(`expected values: computed afresh; time limits keep the first measurement of the reference's times (${path}; delete it to measure again)`);
    }
  } else {
    opts.log?.(`expected values: cached (${path})`);
  }
  const failures: TaskReferenceFailure[] = [];
  // One index of the decomposed asserts for every task (MBPP has ~3,000 of them).
  const decomposed = new Map(record.decomposed.map((d) => [d.key, d]));
  const tasks = spec.tasks.map((t) => resolveTask(t, record, decomposed, failures));
  return {
    benchmark: { name: spec.name, split: spec.split, dataSha256: spec.dataSha256, groups: spec.groups, tasks },
    refSeconds: record.seconds,
    refRunSeconds: record.runSeconds ?? Object.values(record.references).reduce((sum, raw) => sum + testSeconds(raw), 0),
    failures,
    unscorable: tasks.filter((t) => t.tests.length === 0).map((t) => t.taskId),
    cached,
  };
}

/** `fresh` with each test's time taken from `first` wherever both measured it (same key: same tasks, same reference jobs). */
function withTimings(fresh: GroundTruthRecord, first: GroundTruthRecord): GroundTruthRecord {
  const references: Record<string, RawJobResult> = {};
  for (const [taskId, raw] of Object.entries(fresh.references)) {
    const earlier = new Map((first.references[taskId]?.tests ?? []).map((r) => [r.i, r]));
    references[taskId] = {
      ...raw,
      tests: raw.tests.map((r) => {
        const was = earlier.get(r.i);
        return r.st === "value" && was?.st === "value" && typeof was.t === "number" ? { ...r, t: was.t } : r;
      }),
    };
  }
  return { ...fresh, references };
}

/** What the reference did instead of returning a value, e.g. "raised ZeroDivisionError: division by zero". */
function referenceWhy(r: RawTestResult | undefined): string {
  if (r === undefined) return "no result";
  const exc = typeof r.exc === "string" && r.exc !== "" ? ` ${r.exc}` : "";
  const msg = typeof r.msg === "string" && r.msg !== "" ? `${exc ? ":" : ""} ${r.msg}` : "";
  const sig = r.st === "killed" && typeof r.sig === "number" ? ` by signal ${r.sig}` : "";
  return `${r.st}${sig}${exc}${msg}`.slice(0, 300);
}

function readRecord(path: string): GroundTruthRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, "utf8")) as GroundTruthRecord;
    return r.version === GROUND_TRUTH_VERSION ? r : undefined;
  } catch {
    return undefined;
  }
}

async function computeRecord(spec: BenchmarkSpec, decomposer: string, opts: GroundTruthOptions): Promise<GroundTruthRecord> {
  const started = Date.now();
  const pool = await opts.openPool(REFERENCE_LIMITS.memoryMb + RUNNER_HEADROOM_MB);
  try {
    const decomposed = await decompose(spec, decomposer, pool);
    const byKey = new Map(decomposed.map((d) => [d.key, d]));
    opts.log?.(`expected values: running ${spec.tasks.length} reference solutions`);
    const progress = createProgress(spec.tasks.length, "expected values", opts.progress === true);
    let done = spec.tasks.length;
    const runs = spec.tasks.map((task) => ({ taskId: task.taskId, job: referenceJob(task, byKey).job })).filter((r) => r.job.tests.length > 0);
    done -= runs.length;
    // The last computation's times say which tasks are long: those are sharded, and run first.
    const hints = cacheDir("reference-costs", `${sha256(JSON.stringify(spec.tasks))}.json`);
    const ran = await runReferenceJobs(pool, runs, readCostHints(hints), () => progress.tick(++done), opts.log).finally(() => progress.end());
    writeCostHints(hints, ran.raws);
    const references: Record<string, RawJobResult> = Object.fromEntries(ran.raws);
    return { version: GROUND_TRUTH_VERSION, decomposed, references, seconds: (Date.now() - started) / 1000, runSeconds: ran.runSeconds };
  } finally {
    await pool.close();
  }
}

/** Key of the assert at `index` in `task`. */
function assertKey(task: TaskSpec, index: number): string {
  return `${task.taskId}#${index}`;
}

async function decompose(spec: BenchmarkSpec, decomposer: string, pool: SandboxPool): Promise<Decomposed[]> {
  const items: unknown[] = [];
  for (const task of spec.tasks) {
    task.tests.forEach((t, i) => {
      if (t.input.kind === "assert") {
        items.push({ key: assertKey(task, i), src: t.input.src, reference: task.reference, setup: task.setup });
      }
    });
  }
  if (items.length === 0) return [];
  const job: Job = {
    id: "decompose-asserts",
    program: decomposer,
    setup: "",
    tests: [{ kind: "stdio", stdin: JSON.stringify({ items }) }],
    limits: { ...REFERENCE_LIMITS, testSeconds: 300 },
    continueAfterCrash: false,
  };
  const raw = await pool.run(job);
  const result = raw.tests[0];
  if (raw.load.st !== "ok" || result?.st !== "value" || typeof result.v !== "string") {
    throw new SetupError(
      `the assert decomposer failed: load ${raw.load.st} ${raw.load.msg ?? ""}; test ${result?.st ?? "missing"} ${result?.exc ?? ""} ${result?.msg ?? ""}\n${raw.stderr.slice(-2000)}`,
    );
  }
  const parsed = JSON.parse(result.v) as { items: Decomposed[] };
  return parsed.items;
}

/** The trusted job that computes a task's expected values (and alternatives) from its reference. */
function referenceJob(task: TaskSpec, decomposed: Map<string, Decomposed>): { job: Job; roles: RefRole[] } {
  const tests: WireTest[] = [];
  const roles: RefRole[] = [];
  task.tests.forEach((t, i) => {
    if (t.input.kind === "assert") {
      const d = decomposed.get(assertKey(task, i));
      if (d?.ok && d.expected !== undefined && d.candidate !== undefined) {
        tests.push({ kind: "expr", src: d.expected });
        roles.push({ test: i, role: "expected" });
        // The reference's own run of the candidate side: its time calibrates the limit.
        tests.push({ kind: "expr", src: d.candidate });
        roles.push({ test: i, role: "timing" });
      }
      return;
    }
    if (t.expect !== null && "from" in t.expect) {
      tests.push(t.input);
      roles.push({ test: i, role: "expected" });
      const input = t.input;
      t.expect.alternatives?.forEach((a, alt) => {
        if (input.kind !== "call") return;
        tests.push({ kind: "call", fn: a.fn, args: input.args });
        roles.push({ test: i, role: "alternative", alt });
      });
    }
  });
  const job: Job = {
    id: `reference:${task.taskId}`,
    program: task.reference + (task.oracleCode ? `\n\n${task.oracleCode}\n` : ""),
    setup: task.setup,
    tests,
    limits: REFERENCE_LIMITS,
    continueAfterCrash: true,
  };
  return { job, roles };
}

/** The reference's time × the calibration factor (src/benchmarks/time-calibration.ts). */
function calibrate(spec: TaskSpec, refSeconds: number | undefined): { seconds: number; calibration: CalibratedLimit } | undefined {
  const seconds = calibratedSeconds(spec.timeCalibration, refSeconds);
  if (seconds === undefined || refSeconds === undefined) return undefined;
  // Kept beside the limit, so a timeout can say how its limit was counted.
  const { factor, minSeconds } = spec.timeCalibration ?? DEFAULT_CALIBRATION;
  return { seconds, calibration: { factor, referenceSeconds: refSeconds, floorSeconds: minSeconds } };
}

/**
 * A task with its expected values, alternatives, calibrated time limits and memory, from the
 * reference's raw results; what the reference failed goes to `failures`. Kept whole: one pass
 * over the task's tests whose parts share the lookups built from the reference job.
 */
function resolveTask(
  spec: TaskSpec,
  record: GroundTruthRecord,
  decomposed: Map<string, Decomposed>,
  failures: TaskReferenceFailure[],
): Task {
  const { roles } = referenceJob(spec, decomposed);
  const raw = record.references[spec.taskId];
  const expected = new Map<number, { value: unknown; seconds: number }>();
  const alternatives = new Map<string, unknown>();
  const timings = new Map<number, number>();
  let costSeconds = 0;
  const failed = new Set<number>();
  roles.forEach((role, j) => {
    const r = raw?.tests[j];
    // Once a test's expected value failed, what became of it is said: its timing or alternatives are moot.
    if (r?.st !== "value" && !(role.role !== "expected" && failed.has(role.test))) {
      failed.add(role.test);
      const isAssert = spec.tests[role.test]?.input.kind === "assert";
      // Say what really becomes of the test: see resolveTask's handling of each role below.
      const handling: ReferenceFailure["handling"] =
        role.role === "timing" ? "uncalibrated" : role.role === "alternative" ? "alternative_dropped" : isAssert ? "unverified" : "left_out";
      failures.push({ taskId: spec.taskId, test: spec.tests[role.test]?.id ?? String(role.test), why: referenceWhy(r), handling });
      return;
    }
    if (r?.st !== "value") return;
    if (role.role !== "alternative") costSeconds += r.t ?? 0;
    if (role.role === "expected") expected.set(role.test, { value: r.v, seconds: r.t ?? 0 });
    else if (role.role === "timing") timings.set(role.test, r.t ?? 0);
    else alternatives.set(`${role.test}/${role.alt}`, r.v);
  });
  const tests: Test[] = [];
  spec.tests.forEach((t, i) => {
    const base = { id: t.id, group: t.group, ...(t.display !== undefined ? { display: t.display } : {}) };
    if (t.input.kind === "assert") {
      const d = decomposed.get(assertKey(spec, i));
      const exp = expected.get(i);
      if (d?.ok && d.candidate !== undefined && d.comparator !== undefined && exp !== undefined) {
        const value = decodeValue(exp.value);
        if (value.ok) {
          const limit = calibrate(spec, timings.get(i));
          tests.push({
            ...base,
            input: { kind: "expr", src: d.candidate },
            expect: { expected: value.value, comparator: d.comparator, ...(d.view !== undefined ? { view: d.view } : {}) },
            ...(limit ?? {}),
          });
          return;
        }
      }
      // Not decomposable: the whole assert runs in the job, and its pass is weaker evidence.
      tests.push({ ...base, input: { kind: "exec", src: t.input.src }, expect: null, weak: true });
      return;
    }
    if (t.expect === null || !("from" in t.expect)) {
      tests.push({ ...base, input: t.input, expect: t.expect, ...(t.weak ? { weak: true } : {}), ...(t.seconds !== undefined ? { seconds: t.seconds } : {}) });
      return;
    }
    const exp = expected.get(i);
    if (exp === undefined) return; // reported in failures: a test with no oracle cannot judge anyone
    const value = decodeValue(exp.value);
    if (!value.ok) {
      failures.push({ taskId: spec.taskId, test: t.id, why: `returned a value that is not plain data: ${value.reason}`, handling: "left_out" });
      return;
    }
    const expect: Expectation = { expected: value.value, comparator: t.expect.comparator };
    const alts: NonNullable<Expectation["alternatives"]> = [];
    t.expect.alternatives?.forEach((a, alt) => {
      const v = alternatives.get(`${i}/${alt}`);
      const dv = v === undefined ? undefined : decodeValue(v);
      if (dv?.ok) alts.push({ expected: dv.value, comparator: a.comparator });
    });
    if (alts.length > 0) expect.alternatives = alts;
    const limit = calibrate(spec, exp.seconds) ?? (t.seconds !== undefined ? { seconds: t.seconds } : {});
    tests.push({ ...base, input: t.input, expect, ...limit });
  });
  const { tests: _specTests, oracleCode: _o, timeCalibration: _c, ...rest } = spec;
  const peakMb = raw ? raw.maxRssKb / 1024 : 0;
  // Memory calibrated on the reference: a task whose reference needs more than the default
  // limit gets room for it (EvalPlus's fixed 4 GiB fails Mbpp/255's own reference).
  const memoryMb = spec.timeCalibration && peakMb > 0 ? Math.ceil(peakMb * 2 + 512) : undefined;
  return { ...rest, tests, costSeconds, ...(memoryMb !== undefined ? { memoryMb } : {}) };
}
