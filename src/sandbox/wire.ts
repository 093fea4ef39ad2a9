/**
 * The runner protocol's messages as JSON on the wire (docs/ARCHITECTURE.md, "The runner
 * protocol"): jobs go out in snake_case, hello and result frames come back and are checked
 * strictly before anything else on the trusted side reads them.
 */
import { z } from "zod";
import { SandboxFault } from "../core/errors.js";
import type { Job, JobLimits, RawJobResult, RawLoad, RawTestResult, WireTest } from "../core/job.js";

/** The protocol version this host speaks; a runner announcing another one is refused. */
export const PROTOCOL_VERSION = 2;

/** A job frame, host → runner. */
export interface WireJob {
  op: "job";
  id: string;
  program: string;
  setup: string;
  tests: WireTest[];
  limits: {
    test_s: number | number[];
    load_s: number;
    memory_mb: number;
    output_bytes: number;
    value_bytes: number;
    /** The whole job's CPU budget in seconds (sampleBudgetSeconds), or null for none. */
    sample_s: number | null;
  };
  continue_after_crash: boolean;
}

/** What the runner announces once at start. */
export interface RunnerHello {
  protocol: number;
  python: string;
  pid: number;
  uid: number;
}

/** Translates a job into its wire frame (camelCase → snake_case). */
export function toWireJob(job: Job): WireJob {
  const { limits } = job;
  // Checked here, on the trusted side, so a malformed job is a bug report, not a runner error.
  perTestSeconds(limits, job.tests.length);
  return {
    op: "job",
    id: job.id,
    program: job.program,
    setup: job.setup,
    tests: job.tests,
    limits: {
      test_s: Array.isArray(limits.testSeconds) ? [...limits.testSeconds] : limits.testSeconds,
      load_s: limits.loadSeconds,
      memory_mb: limits.memoryMb,
      output_bytes: limits.outputBytes,
      value_bytes: limits.valueBytes,
      sample_s: jobBudgetSeconds(job) ?? null,
    },
    continue_after_crash: job.continueAfterCrash,
  };
}

/** The time limit of each test (CPU seconds), expanding a single number; throws on a length mismatch. */
export function perTestSeconds(limits: JobLimits, tests: number): number[] {
  const { testSeconds } = limits;
  if (Array.isArray(testSeconds)) {
    if (testSeconds.length !== tests) {
      throw new RangeError(`limits.testSeconds has ${testSeconds.length} entries for ${tests} tests`);
    }
    return [...testSeconds];
  }
  return new Array<number>(tests).fill(testSeconds);
}

/**
 * The whole job's CPU budget as EvalPlus sets a sample's: min(cap, the sum of its per-test
 * limits) + 1 s, where the cap is `limits.sampleSeconds`; undefined when there is none.
 */
export function sampleBudgetSeconds(limits: JobLimits, tests: number): number | undefined {
  if (limits.sampleSeconds === undefined) return undefined;
  const sum = perTestSeconds(limits, tests).reduce((a, b) => a + b, 0);
  return Math.min(limits.sampleSeconds, sum) + 1;
}

/** A job's CPU budget: its own (a part of a split sample: what the sample had left), else its limits'. */
export function jobBudgetSeconds(job: Pick<Job, "limits" | "tests" | "sampleBudgetSeconds">): number | undefined {
  return job.sampleBudgetSeconds ?? sampleBudgetSeconds(job.limits, job.tests.length);
}

/** The stdout and stderr prefix the runner keeps for reports, per stream (runner.py REPORT_BYTES). */
const REPORT_BYTES = 16 * 1024;
/** A job's test frames together may cost this many times their room (runner.py JOB_VALUE_FACTOR). */
export const JOB_VALUE_FACTOR = 8;
/** The room of a test frame whatever valueBytes is: an exception's text must fit (runner.py MIN_FRAME_ROOM). */
const MIN_FRAME_ROOM = 1 << 17;
/** The room a job's test frames may take together (runner limits.py value_cap). */
export function jobValueLimit(limits: Pick<JobLimits, "valueBytes">): number {
  return JOB_VALUE_FACTOR * Math.max(limits.valueBytes, MIN_FRAME_ROOM);
}
/** Bytes per byte of text at worst once written as ASCII JSON (a stray byte becomes "\ufffd"). */
const ESCAPE_FACTOR = 6;

/**
 * The largest result frame a healthy runner can send for this job (runner.py assembled_cap):
 * the job's values at their joint budget, what its stdio tests printed and the report
 * prefixes, escaped, and room for each test's bookkeeping.
 */
export function maxResultFrameBytes(job: Job): number {
  const { valueBytes, outputBytes } = job.limits;
  return (
    65_536 +
    job.tests.length * 4096 +
    JOB_VALUE_FACTOR * Math.max(valueBytes, MIN_FRAME_ROOM) +
    ESCAPE_FACTOR * outputBytes +
    2 * 2 * ESCAPE_FACTOR * REPORT_BYTES
  );
}

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

const helloSchema = z.object({
  op: z.literal("hello"),
  protocol: z.number().int(),
  python: z.string(),
  pid: z.number().int(),
  uid: z.number().int(),
});

const loadSchema = z.object({
  st: z.enum(["ok", "syntax_error", "raised", "timeout", "memory", "killed", "exited", "output_limit", "protocol"]),
  exc: z.string().optional(),
  msg: z.string().optional(),
  sig: z.number().int().optional(),
  code: z.number().int().optional(),
  line: z.number().int().optional(),
}) satisfies z.ZodType<RawLoad>;

const testSchema = z.object({
  i: count,
  st: z.enum([
    "value",
    "raised",
    "timeout",
    "memory",
    "killed",
    "exited",
    "output_limit",
    "unserializable",
    "protocol",
    "skipped",
  ]),
  // The value stays untrusted tagged JSON here; src/judge/codec.ts decodes it strictly.
  v: z.unknown().optional(),
  exc: z.string().optional(),
  msg: z.string().optional(),
  sig: z.number().int().optional(),
  code: z.number().int().optional(),
  t: seconds.optional(),
}) satisfies z.ZodType<RawTestResult>;

const resultSchema = z.object({
  op: z.literal("result"),
  id: z.string(),
  load: loadSchema,
  tests: z.array(testSchema),
  stdout: z.string(),
  stderr: z.string(),
  max_rss_kb: seconds,
  wall_s: seconds,
  /** CPU seconds of the job's processes; null where the runner's clock cannot count them all (on a host). */
  cpu_s: seconds.nullable().optional(),
});

/** Checks the runner's hello frame; anything else (or another protocol version) is a SandboxFault. */
export function parseHello(frame: unknown): RunnerHello {
  const parsed = helloSchema.safeParse(frame);
  if (!parsed.success) throw new SandboxFault(`runner sent a malformed hello frame: ${issues(parsed.error)}`);
  const { op: _op, ...hello } = parsed.data;
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new SandboxFault(`runner speaks protocol ${hello.protocol}, this host speaks ${PROTOCOL_VERSION}`);
  }
  return hello;
}

/**
 * Checks a result frame against the job it answers and returns it as a RawJobResult. A frame
 * that is malformed, answers another job, or does not report each test once and in order is a
 * SandboxFault: the runner is trusted, so a bad frame means it is broken, not that the
 * program failed.
 */
export function parseResult(frame: unknown, job: Job): RawJobResult {
  const parsed = resultSchema.safeParse(frame);
  if (!parsed.success) throw new SandboxFault(`runner sent a malformed result for job ${job.id}: ${issues(parsed.error)}`);
  const r = parsed.data;
  if (r.id !== job.id) throw new SandboxFault(`runner sent a result for job ${r.id} while job ${job.id} was running`);
  // The runner reports every test, `skipped` for those it never ran, in order.
  if (r.tests.length !== job.tests.length) {
    throw new SandboxFault(`runner sent ${r.tests.length} test results for job ${job.id}, which has ${job.tests.length} tests`);
  }
  r.tests.forEach((t, k) => {
    if (t.i !== k) throw new SandboxFault(`runner sent test index ${t.i} at position ${k} for job ${job.id}`);
  });
  return {
    id: r.id,
    load: stripUndefined(r.load),
    tests: r.tests.map(stripUndefined),
    stdout: r.stdout,
    stderr: r.stderr,
    maxRssKb: r.max_rss_kb,
    wallSeconds: r.wall_s,
    ...(typeof r.cpu_s === "number" ? { cpuSeconds: r.cpu_s } : {}),
  };
}

/** Drops keys whose value is undefined, so results compare and serialise as the runner sent them. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A short, one-line account of what failed validation. */
function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "frame"}: ${i.message}`)
    .join("; ");
}
