/**
 * The hostile-program suite (run by test/sandbox/hostile.test.ts, and under gVisor by
 * test/sandbox/gvisor.test.ts): every program in test/fixtures/python/hostile/ runs in real
 * containers and must get exactly the outcome its header declares:
 *
 *   # expect: <outcome>     required: the sample's status
 *   # task: <secret|big|echo>  which task it answers (default secret)
 *   # detail: <text>        text the verdict's detail must contain
 *
 * After each one, a clean program (hostile/clean.py) runs in the same sandbox, which in pool
 * mode is the same container: it must pass, which it does only if it sees nothing the hostile
 * one left (files, processes, sockets, IPC objects, changed permissions, planted modules), and
 * it reports which runner process it ran under, so the suite can tell the runner survived.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { JobLimits, RawJobResult } from "../../src/core/job.js";
import { PyDict, PyDigest, PyTuple } from "../../src/core/py-value.js";
import { OUTCOMES, type Outcome } from "../../src/core/outcome.js";
import type { Isolation, SandboxPool } from "../../src/core/sandbox.js";
import type { Sample } from "../../src/core/sample.js";
import type { Benchmark, Task, Test } from "../../src/core/task.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { judgeSamples } from "../../src/runner/judge-samples.js";
import { sandboxBackend, type SandboxBackend } from "../../src/sandbox/backends.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import { RUNNER_HEADROOM_MB } from "../../src/sandbox/limits.js";

const DIR = join(import.meta.dirname, "../fixtures/python/hostile");
const CLEAN = readFileSync(join(DIR, "clean.py"), "utf8");
/** What the runner keeps of a job's stdout and stderr for reports (runner.py REPORT_BYTES). */
const REPORT_BYTES = 16 * 1024;

/**
 * Small limits keep the suite fast; every hostile program still hits the one it aims at. The
 * per-sample budget (min(3, the sum of a task's limits) + 1 s) stops any program that spreads
 * its time over many tests.
 */
const LIMITS: JobLimits = {
  testSeconds: 1,
  loadSeconds: 2,
  memoryMb: 256,
  outputBytes: 1 << 20,
  valueBytes: 1 << 20,
  sampleSeconds: 3,
};

/** What a value too large for LIMITS.valueBytes travels as: the sha256 of its (plain) repr. */
function digestOf(repr: string, nan = false): PyDigest {
  return new PyDigest(createHash("sha256").update(repr, "utf8").digest("hex"), Array.from(repr).length, nan);
}
const EMOJI = "\u{1F600}";

interface Hostile {
  file: string;
  program: string;
  expect: Outcome;
  task: string;
  detail?: string;
}

/** A fixture with its header read: `# expect:`, `# task:`, `# detail:` comment lines. */
function readHostile(file: string): Hostile {
  const program = readFileSync(join(DIR, file), "utf8");
  const header = new Map<string, string>();
  for (const line of program.split("\n").slice(0, 5)) {
    const m = /^# (expect|task|detail): (.+)$/.exec(line);
    if (m) header.set(m[1]!, m[2]!.trim());
  }
  const outcome = header.get("expect");
  if (outcome === undefined || !(OUTCOMES as readonly string[]).includes(outcome)) {
    throw new Error(`${file}: the first lines must declare "# expect: <outcome>", one of ${OUTCOMES.join(", ")}`);
  }
  const detail = header.get("detail");
  return {
    file,
    program,
    expect: outcome as Outcome,
    task: header.get("task") ?? "secret",
    ...(detail !== undefined ? { detail } : {}),
  };
}

const HOSTILE = readdirSync(DIR)
  .filter((f) => f.endsWith(".py") && f !== "clean.py")
  .sort()
  .map(readHostile);

const eq = { kind: "eq" } as const;

function task(taskId: string, reference: string, tests: Omit<Test, "id" | "group">[]): Task {
  return {
    taskId,
    text: `hostile-suite task ${taskId}`,
    prompt: "",
    reference,
    setup: "",
    tests: tests.map((t, i) => ({ ...t, id: `test/${i}`, group: "test" })),
  };
}

/** The tasks hostile programs answer; the expected values never reach a container. */
const BENCHMARK: Benchmark = {
  name: "hostile-suite",
  split: "all",
  dataSha256: {},
  groups: ["test"],
  tasks: [
    task(
      "secret",
      "def secret(x):\n    return x * 1000 + 7\n",
      [1, 2, 3].map((x) => ({ input: { kind: "call", fn: "secret", args: [x] }, expect: { expected: BigInt(x * 1000 + 7), comparator: eq } })),
    ),
    // An int just past float precision: a float that rounds to it must not pass.
    task("big", "def big():\n    return 2**53 + 1\n", [
      { input: { kind: "call", fn: "big", args: [] }, expect: { expected: 2n ** 53n + 1n, comparator: eq } },
    ]),
    task("echo", "a, b = map(int, input().split())\nprint(a + b)\n", [
      { input: { kind: "stdio", stdin: "3 4\n" }, expect: { expected: "7\n", comparator: eq } },
      { input: { kind: "stdio", stdin: "10 -2\n" }, expect: { expected: "8\n", comparator: eq } },
    ]),
    // A str that UTF-16 and JSON spell as a surrogate pair: as a value, in a key, and large.
    task("emoji", `def emoji(shape):\n    return ["${EMOJI}", {"${EMOJI}": ("${EMOJI}",)}, "${EMOJI}" * 100_000][shape]\n`, [
      { input: { kind: "call", fn: "emoji", args: [0] }, expect: { expected: EMOJI, comparator: eq } },
      { input: { kind: "call", fn: "emoji", args: [1] }, expect: { expected: new PyDict([[EMOJI, new PyTuple([EMOJI])]]), comparator: eq } },
      { input: { kind: "call", fn: "emoji", args: [2] }, expect: { expected: digestOf(`'${EMOJI.repeat(100_000)}'`), comparator: eq } },
    ]),
    // Values past the value budget, which travel as digests.
    task("huge", "def huge():\n    return [7] * 100_000\n", [
      { input: { kind: "call", fn: "huge", args: [] }, expect: { expected: digestOf(`[${Array(100_000).fill("7").join(", ")}]`), comparator: eq } },
    ]),
    // The digest of a repr that reads "[nan, nan, ...]", had it no NaN flag: nothing equals it,
    // not even the reference (NaN equals nothing, on the small path as on this one).
    task("nans", "def nans():\n    return [float('nan')] * 100_000\n", [
      { input: { kind: "call", fn: "nans", args: [] }, expect: { expected: digestOf(`[${Array(100_000).fill("nan").join(", ")}]`), comparator: eq } },
    ]),
    // Many tests: room to spread time, or values, over them.
    task(
      "many",
      "def many(i):\n    return i\n",
      Array.from({ length: 10 }, (_, i) => ({ input: { kind: "call", fn: "many", args: [i] }, expect: { expected: BigInt(i), comparator: eq } })),
    ),
  ],
};

/** What each task's reference solution gets: a pass, but for `nans` (see above). */
const REFERENCE_STATUS: Record<string, Outcome> = { nans: "wrong_answer" };

/** What one sample got: its verdict and what the sandbox reported for it. */
interface Observed {
  verdict: SampleVerdict;
  raw: RawJobResult | undefined;
}

interface SuiteRun {
  references: Observed[];
  hostile: Map<string, Observed>;
  /** The clean job that ran right after each hostile program. */
  clean: Map<string, Observed>;
}

/** Wraps a pool so every raw result is kept, by job id (the session names a sample's job `task#index`). */
function recording(pool: SandboxPool, raws: Map<string, RawJobResult>): SandboxPool {
  return {
    info: pool.info,
    async run(job) {
      const raw = await pool.run(job);
      raws.set(job.id, raw);
      return raw;
    },
    close: () => pool.close(),
  };
}

/** A backend whose every pool records its raw results. */
function recordingBackend(raws: Map<string, RawJobResult>, backend: SandboxBackend): SandboxBackend {
  return { ...backend, open: async (options) => recording(await backend.open(options), raws) };
}

/** Runs the references, then each of `programs` followed by the clean one, in one sandbox. */
async function runSuite(isolation: Isolation, backend: SandboxBackend, programs: Hostile[]): Promise<SuiteRun> {
  const raws = new Map<string, RawJobResult>();
  // No memo, no verdict cache: the clean program runs for real after every hostile one.
  const session = await openJudgingSession({
    resolved: BENCHMARK,
    backend: recordingBackend(raws, backend),
    isolation,
    // One worker: in pool mode the clean job runs in the container the hostile one just used.
    workers: 1,
    limits: LIMITS,
    memo: false,
    verdictCache: false,
    containerMemoryMb: LIMITS.memoryMb + RUNNER_HEADROOM_MB,
    container: { pidsLimit: 128, tmpfsMb: 64 },
    labels: { "verdict.test": "hostile" },
  });
  const next = new Map<string, number>();
  const sample = (taskId: string, program: string): Sample => {
    const sampleIndex = next.get(taskId) ?? 0;
    next.set(taskId, sampleIndex + 1);
    return { taskId, sampleIndex, program };
  };
  const samples: Sample[] = BENCHMARK.tasks.map((t) => sample(t.taskId, t.reference));
  for (const h of programs) samples.push(sample(h.task, h.program), sample("secret", CLEAN));
  try {
    // One at a time: each clean job follows its hostile one in the same container.
    const verdicts = await judgeSamples(samples, (s) => session.judgeSample(s), { concurrency: 1, progress: false });
    const observed = verdicts.map((verdict) => ({ verdict, raw: raws.get(`${verdict.task_id}#${verdict.sample_index}`) }));
    const k = BENCHMARK.tasks.length;
    return {
      references: observed.slice(0, k),
      hostile: new Map(programs.map((h, i) => [h.file, observed[k + 2 * i]!])),
      clean: new Map(programs.map((h, i) => [h.file, observed[k + 2 * i + 1]!])),
    };
  } finally {
    await session.close();
  }
}

/** Every detail a verdict carries, for `# detail:` and for failure messages. */
function details(v: SampleVerdict): string {
  return [v.load_detail, ...v.tests.map((t) => `${t.id}: ${t.outcome}${t.detail !== undefined ? ` (${t.detail})` : ""}`)]
    .filter((d) => d !== undefined)
    .join(" | ");
}

/** The clean program's first stdout line names PID 1's start time and cgroup, and the boot time. */
function runnerOf(o: Observed): string | undefined {
  return /^runner .+$/m.exec(o.raw?.stdout ?? "")?.[0];
}

/**
 * Outcomes that differ under gVisor (runsc 20221219), each still a non-pass, and why. Everything
 * not listed here gets its declared outcome there too.
 */
const GVISOR_OUTCOMES: Record<string, { outcomes: Outcome[]; why: string }> = {
  "sysv_ipc.py": {
    outcomes: ["killed"],
    why: "jobs may not make System V objects there (the runner cannot list them to remove them): the program writes through the address its refused shmat returned, a SIGSEGV",
  },
  "deep_tree.py": {
    outcomes: ["wrong_answer", "timeout"],
    why: "3,000 nested directories can cost more than its 1 s of CPU in gVisor's system calls",
  },
  "inode_flood.py": {
    outcomes: ["wrong_answer", "timeout"],
    why: "16,384 directories can cost more than its 1 s of CPU in gVisor's system calls (it ends either way)",
  },
  "link_flood.py": {
    outcomes: ["wrong_answer", "timeout"],
    why: "16,384 hard links can cost more than its 1 s of CPU in gVisor's system calls (it ends either way)",
  },
  "memory_children.py": {
    outcomes: ["memory_exceeded", "timeout"],
    why: "the host's OOM killer may take the whole sandbox (gVisor has none inside): the pool replaces it; and gVisor's CPU accounting runs ahead of real CPU while processes fork and fault in memory (README, Under gVisor), so its 1 s limit can come first (seen once: 1.0 s of CPU counted in 0.69 s of wall)",
  },
};

/** Where and on what the suite runs. */
export interface HostileSuiteOptions {
  isolation: Isolation;
  /** The backend its sandboxes come from (default: the Docker backend on the default engine). */
  backend?: () => SandboxBackend;
  /** Whether the containers run under gVisor: a few outcomes differ (GVISOR_OUTCOMES). */
  gvisor?: boolean;
  /** Only these programs (file names): a representative subset where forks are slow. */
  only?: readonly string[];
}

/** The outcomes a program may get: its declared one, or under gVisor what GVISOR_OUTCOMES allows. */
function allowed(h: Hostile, gvisor: boolean): Outcome[] {
  return (gvisor ? GVISOR_OUTCOMES[h.file]?.outcomes : undefined) ?? [h.expect];
}

/** The suite's cases (the body of a `describe`). */
export function hostileSuite(opts: HostileSuiteOptions): void {
  const { isolation } = opts;
  const gvisor = opts.gvisor === true;
  const only = opts.only;
  const programs = only === undefined ? HOSTILE : HOSTILE.filter((h) => only.includes(h.file));
  let run: SuiteRun;

  beforeAll(async () => {
    run = await runSuite(isolation, (opts.backend ?? (() => sandboxBackend("docker")))(), programs);
  }, 600_000);

  afterAll(() => {
    // The outcome table, for the record.
    const rows = programs.map((h) => `${h.file.padEnd(30)} ${run?.hostile.get(h.file)?.verdict.status ?? "(not run)"}`);
    process.stderr.write(`hostile programs (${isolation}${gvisor ? ", gVisor" : ""}):\n${rows.join("\n")}\n`);
  });

  it("has at least 40 programs, each declaring a non-pass outcome", () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
    expect(HOSTILE.filter((h) => h.expect === "pass").map((h) => h.file)).toEqual([]);
    if (only !== undefined) expect(programs.map((h) => h.file)).toEqual([...only].sort());
  });

  it("judges every task's reference solution a pass (but the one whose values hold NaN)", () => {
    expect(run.references.map((o) => [o.verdict.task_id, o.verdict.status])).toEqual(
      BENCHMARK.tasks.map((t) => [t.taskId, REFERENCE_STATUS[t.taskId] ?? "pass"]),
    );
  });

  it("gives every program a verdict: no program can make its own failure a sandbox_error", () => {
    const all = [...run.references, ...run.hostile.values(), ...run.clean.values()];
    expect(all.filter((o) => o.verdict.status === "sandbox_error").map((o) => details(o.verdict))).toEqual([]);
  });

  it.each(programs)("$file: $expect, and the clean job after it passes", (h) => {
    const o = run.hostile.get(h.file)!;
    const why = `${h.file}: ${details(o.verdict)}${gvisor && GVISOR_OUTCOMES[h.file] ? ` (gVisor: ${GVISOR_OUTCOMES[h.file]!.why})` : ""}`;
    if (allowed(h, gvisor).length === 1) expect(o.verdict.status, why).toBe(allowed(h, gvisor)[0]);
    else expect(allowed(h, gvisor), why).toContain(o.verdict.status);
    expect(o.verdict.status, why).not.toBe("pass");
    if (h.detail !== undefined && o.verdict.status === h.expect) expect(details(o.verdict), why).toContain(h.detail);
    // What it printed reached the host only as the runner's bounded report.
    expect(o.raw?.stdout.length ?? 0).toBeLessThanOrEqual(REPORT_BYTES);
    expect(o.raw?.stderr.length ?? 0).toBeLessThanOrEqual(REPORT_BYTES);

    const clean = run.clean.get(h.file)!;
    expect(clean.verdict.status, `clean job after ${h.file}: ${details(clean.verdict)}`).toBe("pass");
    expect(runnerOf(clean), `clean job after ${h.file} printed ${JSON.stringify(clean.raw?.stdout)}`).toBeDefined();
  });

  it.runIf(isolation === "pool")("keeps one runner process alive through every program", () => {
    // The same PID 1 (start time, cgroup, boot) answered every clean job: no program killed the
    // runner or cost the container, so no job was retried elsewhere. Under gVisor a program
    // whose memory the host's OOM killer stopped costs its sandbox, and only such a one may.
    const changed = programs.filter((h, i) => i > 0 && runnerOf(run.clean.get(h.file)!) !== runnerOf(run.clean.get(programs[i - 1]!.file)!));
    const costly = (h: Hostile): boolean => gvisor && run.hostile.get(h.file)!.verdict.status === "memory_exceeded";
    expect(changed.filter((h) => !costly(h)).map((h) => h.file)).toEqual([]);
    if (!gvisor) expect(new Set(programs.map((h) => runnerOf(run.clean.get(h.file)!))).size).toBe(1);
  });
}
