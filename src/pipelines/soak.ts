/**
 * The soak test: a long stream of benign and hostile jobs through one warm pool, judged twice
 * over the same inputs. It shows what a days-long RL reward loop needs: a steady rate, flat
 * memory in the verdict process, nothing left behind (containers, processes, temp files), and
 * the same verdict for the same input every time (outside jobs whose outcome a clock decides).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { JobLimits } from "../core/job.js";
import { OUTCOMES, type Outcome } from "../core/outcome.js";
import type { PyValue, TaggedValue } from "../core/py-value.js";
import type { Sample } from "../core/sample.js";
import type { Benchmark, Task, Test } from "../core/task.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { judgeSamples } from "../runner/judge-samples.js";
import { openResultsStore } from "../runner/results-store.js";
import { MANAGED_LABEL, RUN_LABEL } from "../sandbox/container-spec.js";
import { RUNNER_HEADROOM_MB } from "../sandbox/limits.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { LocalJudgingSession, SandboxPlacement } from "../session/session-options.js";

/** How a soak runs. */
export interface SoakOptions {
  /** Jobs in all, over two identical passes (default 100,000). */
  jobs: number;
  workers: number;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it stops the soak (the pool and temp files are still cleaned up). */
  signal?: AbortSignal;
  /** Where the sandboxes run: several engines, a runtime (`--engines`, `--runtime`). */
  placement?: SandboxPlacement;
}

/** What a soak measured; every `left` count and `flips.other` must be zero. */
export interface SoakReport {
  jobs: number;
  passes: number;
  workers: number;
  image: string;
  seconds: number;
  jobsPerSecond: number;
  /** Resident memory of the verdict process, in bytes: at start, after each pass. */
  rss: { start: number; afterPass: number[] };
  heapUsed: { start: number; end: number };
  outcomes: Partial<Record<Outcome, number>>;
  /** Jobs whose outcome was not the one their program must get. */
  unexpected: { count: number; examples: string[] };
  /** Jobs whose verdict differed between the two passes. */
  flips: { timingSensitive: number; other: number; examples: string[] };
  left: {
    containers: number;
    /** Processes other than the runner found in a sandbox after the last job. */
    sandboxProcesses: number;
    /** Child processes of the verdict process after the pool closed. */
    hostProcesses: number;
    /** Files and directories left in the temp directory verdict was given. */
    tempEntries: number;
  };
}

/** One kind of job in the mix: a program for one of the soak's tasks, and what it must get. */
interface JobKind {
  name: string;
  task: string;
  program: string;
  outcome: Outcome;
  /** Per 1000 jobs. */
  weight: number;
  /** Its outcome is decided by a clock (a time limit), so a flip is possible in principle. */
  timingSensitive?: boolean;
}

/** Limits of every soak job: tight, so the hostile ones end fast; the benign ones get 5 s per test. */
const SOAK_LIMITS: JobLimits = {
  testSeconds: 0.1,
  loadSeconds: 5,
  memoryMb: 256,
  outputBytes: 64 * 1024,
  valueBytes: 64 * 1024,
};
const BENIGN_TEST_SECONDS = 5;

const int = (n: number): bigint => BigInt(n);
const call = (fn: string, args: TaggedValue[], expected: PyValue, seconds?: number): Omit<Test, "id" | "group"> => ({
  input: { kind: "call", fn, args },
  expect: { expected, comparator: { kind: "eq" } },
  ...(seconds !== undefined ? { seconds } : {}),
});

/** The soak's tasks: small and deterministic; only `spin` keeps the tight time limit. */
function soakBenchmark(): Benchmark {
  const task = (taskId: string, tests: Omit<Test, "id" | "group">[]): Task => ({
    taskId,
    text: taskId,
    prompt: "",
    reference: "",
    setup: "",
    tests: tests.map((t, i) => ({ ...t, id: `test/${i}`, group: "test" })),
  });
  return {
    name: "soak",
    split: "all",
    dataSha256: {},
    groups: [],
    tasks: [
      task("add", [call("add", [1, 2], int(3), BENIGN_TEST_SECONDS), call("add", [10, -4], int(6), BENIGN_TEST_SECONDS)]),
      task("sort", [call("srt", [[5, 3, 9, 1, 7, 2]], [1, 2, 3, 5, 7, 9].map(int), BENIGN_TEST_SECONDS)]),
      // Whatever an earlier job left in the container must be gone: /tmp holds only the fresh job dir.
      task("clean", [call("clean", [], [["job"], [], "/tmp/job", []], BENIGN_TEST_SECONDS)]),
      task("spin", [call("spin", [], int(1))]),
    ],
  };
}

const ADD = "def add(a, b):\n    return a + b\n";
/** The job mix, per 1000 jobs. */
const KINDS: JobKind[] = [
  { name: "add", task: "add", program: ADD, outcome: "pass", weight: 306 },
  { name: "add-wrong", task: "add", program: "def add(a, b):\n    return a - b\n", outcome: "wrong_answer", weight: 150 },
  { name: "sort", task: "sort", program: "def srt(xs):\n    return sorted(xs)\n", outcome: "pass", weight: 150 },
  {
    name: "clean-check",
    task: "clean",
    program: "import os\ndef clean():\n    return [sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')), os.getcwd(), sorted(os.listdir('.'))]\n",
    outcome: "pass",
    weight: 100,
  },
  { name: "raise", task: "add", program: "def add(a, b):\n    raise ValueError('no')\n", outcome: "runtime_error", weight: 60 },
  { name: "syntax", task: "add", program: "def add(a, b)\n    return a + b\n", outcome: "syntax_error", weight: 40 },
  { name: "unserializable", task: "add", program: "def add(a, b):\n    return object()\n", outcome: "unserializable", weight: 30 },
  { name: "exit", task: "add", program: "import os\ndef add(a, b):\n    os._exit(3)\n", outcome: "runtime_error", weight: 20 },
  { name: "big-output", task: "add", program: "def add(a, b):\n    print('x' * 1_000_000)\n    return a + b\n", outcome: "output_limit", weight: 30 },
  { name: "memory-bomb", task: "add", program: "def add(a, b):\n    hog = bytearray(1 << 30)\n    return a + b\n", outcome: "memory_exceeded", weight: 30 },
  {
    name: "fork",
    task: "add",
    // Children that outlive the call: the runner must kill every one before the next job.
    program: "import os, time\ndef add(a, b):\n    for _ in range(20):\n        if os.fork() == 0:\n            time.sleep(1000)\n            os._exit(0)\n    return a + b\n",
    outcome: "pass",
    weight: 30,
  },
  {
    name: "litter",
    task: "add",
    program:
      "import os\ndef add(a, b):\n    for p in ('/tmp/left', '/dev/shm/left', 'left'):\n        open(p, 'w').write('x' * 1000)\n    return a + b\n",
    outcome: "pass",
    weight: 30,
  },
  { name: "recursion", task: "add", program: "def add(a, b):\n    return add(a, b)\n", outcome: "runtime_error", weight: 20 },
  { name: "busy-loop", task: "spin", program: "def spin():\n    while True:\n        pass\n", outcome: "timeout", weight: 2, timingSensitive: true },
  { name: "sleep", task: "spin", program: "import time\ndef spin():\n    time.sleep(1000)\n", outcome: "timeout", weight: 2, timingSensitive: true },
];

/** Job i's kind: the weights laid out over 1000 slots in a fixed shuffled order, then repeated. */
function kindCycle(): JobKind[] {
  const slots = KINDS.flatMap((k) => Array.from({ length: k.weight }, () => k));
  if (slots.length !== 1000) throw new Error(`internal: soak weights add up to ${slots.length}, not 1000`);
  // A fixed linear congruential shuffle: the same order every run, hostile jobs spread out.
  let seed = 12345;
  for (let i = slots.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [slots[i], slots[j]] = [slots[j]!, slots[i]!];
  }
  return slots;
}

/** What the passes of a soak found, job by job. */
interface Tally {
  outcomes: Partial<Record<Outcome, number>>;
  unexpected: SoakReport["unexpected"];
  flips: SoakReport["flips"];
  record(pass: number, v: SampleVerdict): void;
}

/** Counts outcomes, outcomes other than a job's kind must get, and verdicts that changed between passes. */
function createTally(cycle: readonly JobKind[], perPass: number): Tally {
  const first = new Uint8Array(perPass);
  const tally: Tally = {
    outcomes: {},
    unexpected: { count: 0, examples: [] },
    flips: { timingSensitive: 0, other: 0, examples: [] },
    record(pass, v) {
      const i = v.sample_index;
      const kind = cycle[i % cycle.length]!;
      const code = OUTCOMES.indexOf(v.status);
      tally.outcomes[v.status] = (tally.outcomes[v.status] ?? 0) + 1;
      if (v.status !== kind.outcome) {
        tally.unexpected.count += 1;
        if (tally.unexpected.examples.length < 10) {
          tally.unexpected.examples.push(`pass ${pass + 1} job ${i} (${kind.name}): ${v.status}, expected ${kind.outcome}: ${v.tests[0]?.detail ?? v.load_detail ?? ""}`);
        }
      }
      if (pass === 0) first[i] = code;
      else if (first[i] !== code) {
        if (kind.timingSensitive) tally.flips.timingSensitive += 1;
        else tally.flips.other += 1;
        if (tally.flips.examples.length < 10) tally.flips.examples.push(`job ${i} (${kind.name}): ${OUTCOMES[first[i]!]} then ${v.status}`);
      }
    },
  };
  return tally;
}

/** One pass: every job of the cycle through the session into a results store of its own, as a run writes. */
async function soakPass(
  session: LocalJudgingSession,
  o: { pass: number; perPass: number; cycle: readonly JobKind[]; dir: string; workers: number; tally: Tally; log: (line: string) => void; signal?: AbortSignal },
): Promise<void> {
  const started = Date.now();
  let done = 0;
  const samples = function* (): Generator<Sample> {
    for (let i = 0; i < o.perPass; i++) {
      const kind = o.cycle[i % o.cycle.length]!;
      yield { taskId: kind.task, sampleIndex: i, program: kind.program };
    }
  };
  const store = openResultsStore(o.dir);
  try {
    await judgeSamples(samples(), (s) => session.judgeSample(s), {
      concurrency: o.workers * 2,
      store,
      progress: false,
      collect: false,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      onVerdict: (v) => {
        o.tally.record(o.pass, v);
        if (++done % 10_000 === 0) {
          const rate = done / ((Date.now() - started) / 1000);
          o.log(`soak: pass ${o.pass + 1}: ${done}/${o.perPass} jobs, ${rate.toFixed(0)} jobs/s, RSS ${megabytes(process.memoryUsage().rss)}`);
        }
      },
    });
  } finally {
    store.close();
  }
  o.log(`soak: pass ${o.pass + 1} done in ${((Date.now() - started) / 1000).toFixed(1)} s, RSS ${megabytes(process.memoryUsage().rss)}`);
}

/** Bytes as megabytes, for log lines. */
function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Runs the soak and reports what it measured; the caller decides what a non-zero count means. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const rssStart = process.memoryUsage().rss;
  const heapStart = process.memoryUsage().heapUsed;
  const passes = 2;
  const perPass = Math.ceil(opts.jobs / passes);
  const cycle = kindCycle();
  const benchmark = soakBenchmark();

  // Every temp file verdict makes during the soak lands here, so leftovers can be counted exactly.
  const root = mkdtempSync(join(tmpdir(), "verdict-soak-"));
  const soakTmp = join(root, "tmp");
  mkdirSync(soakTmp);
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = soakTmp;

  const label = `soak-${randomBytes(4).toString("hex")}`;
  let session: LocalJudgingSession | undefined;
  try {
    // No memo and no verdict cache: the soak's point is that every one of its jobs runs.
    session = await openJudgingSession({
      resolved: benchmark,
      ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
      workers: opts.workers,
      limits: SOAK_LIMITS,
      hashSeed: 0,
      memo: false,
      verdictCache: false,
      containerMemoryMb: SOAK_LIMITS.memoryMb + RUNNER_HEADROOM_MB,
      container: { pidsLimit: 256, tmpfsMb: 64 },
      labels: { [RUN_LABEL]: label, "verdict.role": "soak" },
      ...opts.placement,
      log,
    });
    await session.warm();
    const { image, workers } = session.sandbox;
    log(`soak: ${perPass * passes} jobs (${passes} passes of ${perPass}) through a pool of ${workers} container(s), image ${image}`);

    const tally = createTally(cycle, perPass);
    const afterPass: number[] = [];
    const started = Date.now();
    for (let pass = 0; pass < passes; pass++) {
      await soakPass(session, { pass, perPass, cycle, dir: join(root, `pass-${pass + 1}`), workers, tally, log, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) });
      afterPass.push(process.memoryUsage().rss);
    }
    const seconds = (Date.now() - started) / 1000;
    const heapEnd = process.memoryUsage().heapUsed;
    const sandboxProcesses = await strayProcesses(session, workers);
    const { backend } = session;
    await session.close();
    session = undefined;
    // What the closed pool left carries its labels: counted, and removed, through the backend.
    const containers = await backend.pruneOrphans({ [MANAGED_LABEL]: "1", [RUN_LABEL]: label });
    for (let pass = 0; pass < passes; pass++) rmSync(join(root, `pass-${pass + 1}`), { recursive: true, force: true });
    return {
      jobs: perPass * passes,
      passes,
      workers,
      image,
      seconds,
      jobsPerSecond: (perPass * passes) / seconds,
      rss: { start: rssStart, afterPass },
      heapUsed: { start: heapStart, end: heapEnd },
      outcomes: tally.outcomes,
      unexpected: tally.unexpected,
      flips: tally.flips,
      left: {
        containers,
        sandboxProcesses,
        hostProcesses: childProcesses().length,
        tempEntries: readdirSync(soakTmp, { recursive: true }).length,
      },
    };
  } finally {
    await session?.close();
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Processes other than the runner in each pool container, seen from a job after the last one
 * ended: the runner must have killed everything earlier jobs started (forks, daemons).
 */
async function strayProcesses(session: LocalJudgingSession, workers: number): Promise<number> {
  // The nap holds every container at once, so each probe lands in a different one.
  const program =
    "import os, time\ndef stray():\n    time.sleep(0.5)\n    me = os.getpid()\n    return [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, me)]\n";
  const results = await Promise.all(
    Array.from({ length: workers }, (_, i) =>
      session.runJob({
        id: `soak-probe-${i}`,
        program,
        setup: "",
        tests: [{ kind: "call", fn: "stray", args: [] }],
        limits: { ...SOAK_LIMITS, testSeconds: [BENIGN_TEST_SECONDS] },
        continueAfterCrash: false,
      }),
    ),
  );
  let stray = 0;
  for (const r of results) {
    const t = r.tests[0];
    if (t?.st !== "value" || !Array.isArray(t.v)) throw new Error(`soak: the process probe failed: ${JSON.stringify(r.tests)}`);
    stray += t.v.length;
  }
  return stray;
}

/** Pids of this process's children (verdict should have none once the pool is closed). */
function childProcesses(): number[] {
  const kids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parens: the ppid is the second field after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid) kids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return kids;
}

/** Whether a soak passed: every leftover count, every non-timing flip and every unexpected outcome is zero. */
export function soakPassed(r: SoakReport): boolean {
  return (
    r.unexpected.count === 0 &&
    r.flips.other === 0 &&
    (r.outcomes.sandbox_error ?? 0) === 0 &&
    Object.values(r.left).every((n) => n === 0)
  );
}
