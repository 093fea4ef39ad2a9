/**
 * Real `verdict eval` runs for the fault, resume and leak tests: a small benchmark whose samples
 * have known outcomes and take a moment each (so a run can be hit mid-way), the built CLI as a
 * child process, and what a run may leave behind (containers, temp files, a lock).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import type { Outcome } from "../../src/core/outcome.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { MANAGED_LABEL } from "../../src/sandbox/image.js";
import { runLabel } from "../../src/pipelines/eval-options.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { testImage } from "./sandbox-image.js";
import { RUN_FILES } from "../../src/runner/results-store.js";

export const REPO = join(import.meta.dirname, "..", "..");

/** Compiles src/ into dist/ (what bin/verdict.js runs), as `npm run build` does. */
export function buildCli(): void {
  // tsc emits even when a file elsewhere has a type error; the CLI's own files are checked by tsc -p tsconfig.test.json.
  spawnSync(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: REPO });
  if (!existsSync(join(REPO, "dist", "cli", "main.js"))) throw new Error("building the CLI produced no dist/cli/main.js");
}

/** What a file of real-run tests starts with: the built CLI, the image, an engine client and a temp root of its own. */
export async function startEvalTests(prefix: string): Promise<{ docker: Docker; root: string }> {
  buildCli();
  await testImage();
  return { docker: connectDocker(), root: mkdtempSync(join(tmpdir(), prefix)) };
}

/** A benchmark and samples file on disk, with the status each sample must get. */
export interface EvalFixture {
  benchmark: string;
  samples: string;
  /** `task_id#sample_index` → the status the sample must get. */
  expected: Map<string, Outcome>;
}

/** The kinds of sample the fixture cycles through, each with the outcome it must get. */
const KINDS: { task: number; outcome: Outcome; body: string }[] = [
  { task: 1, outcome: "pass", body: "def add(a, b):\n    return a + b\n" },
  { task: 1, outcome: "wrong_answer", body: "def add(a, b):\n    return a - b\n" },
  { task: 2, outcome: "pass", body: "def shout(s):\n    return s.upper() + '!'\n" },
  { task: 2, outcome: "runtime_error", body: "def shout(s):\n    raise ValueError('no')\n" },
];

/**
 * Writes a two-task benchmark (MBPP's schema) and `count` samples under `dir`. Every sample
 * sleeps `napSeconds` while loading, so a run takes a while and can be hit mid-way; a fresh
 * salt in every program keeps the verdict cache from answering for an earlier test's samples.
 */
export function writeEvalFixture(dir: string, count: number, napSeconds: number): EvalFixture {
  const tasks = [
    { task_id: 1, text: "Add two numbers.", code: "def add(a, b):\n    return a + b\n", test_list: ["assert add(1, 2) == 3", "assert add(20, 22) == 42"], test_setup_code: "" },
    { task_id: 2, text: "Shout.", code: "def shout(s):\n    return s.upper() + '!'\n", test_list: ["assert shout('hi') == 'HI!'"], test_setup_code: "" },
  ];
  const benchmark = join(dir, "tasks.jsonl");
  writeFileSync(benchmark, tasks.map((t) => `${JSON.stringify(t)}\n`).join(""));
  const salt = randomBytes(6).toString("hex");
  const expected = new Map<string, Outcome>();
  const perTask = new Map<number, number>();
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const index = perTask.get(kind.task) ?? 0;
    perTask.set(kind.task, index + 1);
    expected.set(`${kind.task}#${index}`, kind.outcome);
    const program = `# ${salt} ${i}\nimport time\ntime.sleep(${napSeconds})\n\n${kind.body}`;
    lines.push(JSON.stringify({ task_id: kind.task, solution: program }));
  }
  const samples = join(dir, "samples.jsonl");
  writeFileSync(samples, `${lines.join("\n")}\n`);
  return { benchmark, samples, expected };
}

/** A `verdict` child process and everything it printed. */
export interface VerdictChild {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when it exits: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node bin/verdict.js <args>` with extra environment variables. */
export function spawnVerdict(args: string[], env: Record<string, string> = {}): VerdictChild {
  const child = spawn(process.execPath, [join(REPO, "bin", "verdict.js"), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs `verdict <args>` to the end. */
export async function runVerdict(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const v = spawnVerdict(args, env);
  const { code, signal } = await v.exited;
  return { code, signal, stdout: v.stdout(), stderr: v.stderr() };
}

/** Polls `check` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whole lines of a run's verdicts.jsonl (a torn last line is left out), as text and parsed. */
export function verdictLines(runDir: string): { text: string; verdicts: SampleVerdict[] } {
  const path = join(runDir, RUN_FILES.verdicts);
  if (!existsSync(path)) return { text: "", verdicts: [] };
  const raw = readFileSync(path, "utf8");
  const text = raw.slice(0, raw.lastIndexOf("\n") + 1);
  return { text, verdicts: text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as SampleVerdict) };
}

/** The manifest's status. */
export function manifestStatus(runDir: string): string {
  return (JSON.parse(readFileSync(join(runDir, RUN_FILES.manifest), "utf8")) as { status: string }).status;
}

/**
 * Checks a finished run: every expected sample has exactly one verdict line, with the status
 * it must have. Returns the problems found (empty when all is well).
 */
export function checkVerdicts(runDir: string, expected: Map<string, Outcome>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const v of verdictLines(runDir).verdicts) {
    const key = `${v.task_id}#${v.sample_index}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const want = expected.get(key);
    if (want === undefined) problems.push(`unexpected verdict for ${key}`);
    else if (v.status !== want) problems.push(`${key}: ${v.status}, expected ${want}`);
  }
  for (const [key, n] of seen) if (n > 1) problems.push(`${key} written ${n} times`);
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${key} has no verdict`);
  return problems;
}

/**
 * What a run left behind: containers carrying its run label, networks and volumes verdict
 * labelled, entries in the temp directory the run was given, temp files and the lock in the
 * run directory.
 */
export async function leftovers(docker: Docker, runDir: string, tmp?: string): Promise<string[]> {
  const found: string[] = [];
  const label = `${RUN_LABEL}=${runLabel(runDir)}`;
  for (const c of await docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=1`, label] } })) {
    found.push(`container ${c.Names.join(",")} (${c.State})`);
  }
  const networks = await docker.listNetworks({ filters: { label: [`${MANAGED_LABEL}=1`] } });
  for (const n of networks) found.push(`network ${n.Name}`);
  const volumes = await docker.listVolumes({ filters: { label: [`${MANAGED_LABEL}=1`] } });
  for (const v of volumes.Volumes ?? []) found.push(`volume ${v.Name}`);
  if (tmp !== undefined) for (const e of readdirSync(tmp)) found.push(`temp entry ${join(tmp, e)}`);
  if (existsSync(runDir)) {
    for (const e of readdirSync(runDir)) if (e.includes(".tmp-") || e === RUN_FILES.lock) found.push(`run dir ${e}`);
  }
  for (const p of processesNaming(runDir)) found.push(`process ${p}`);
  return found;
}

/** Live processes whose command line names `text` (a run directory), as "pid: command". */
export function processesNaming(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue;
    }
    // A zombie has an empty command line and holds nothing.
    if (cmdline.includes(text)) found.push(`${entry}: ${cmdline}`);
  }
  return found;
}

/**
 * A `verdict run` config over the eval fixture's two tasks (written beside it), asking the model
 * at `baseUrl` for 4 vanilla samples per task and 2 ASPR paths with 2 finals each: 20 samples.
 */
export function writeRunConfig(dir: string, baseUrl: string): { config: string; benchmark: string } {
  const { benchmark } = writeEvalFixture(dir, 0, 0);
  const config = join(dir, "run.yaml");
  writeFileSync(
    config,
    [
      `benchmark: ${benchmark}`,
      "models:",
      `  - {name: m, base_url: "${baseUrl}", model: m, retries: 0}`,
      "styles: [vanilla]",
      "prompt: {shots: 0}",
      "pass1: {temperature: 0, n: 4}",
      "aspr: {definition: A, paths: 2, finals: 2}",
      "sandbox: {workers: 2}",
      "",
    ].join("\n"),
  );
  return { config, benchmark };
}

/**
 * Answers for the run config's model: a fenced program for the task the prompt asks about that
 * naps `napSeconds` while loading; a fresh salt per answer keeps every cache from answering.
 */
export function napPolicy(napSeconds: number): (request: { body?: Record<string, unknown> }) => { kind: "answer"; texts: string[] } {
  let seq = 0;
  return (request) => {
    const body = request.body ?? {};
    const n = typeof body.n === "number" ? body.n : 1;
    const prompt = String(body.prompt ?? JSON.stringify(body.messages ?? ""));
    const fn = prompt.includes("Add two numbers") ? "def add(a, b):\n    return a + b\n" : "def shout(s):\n    return s.upper() + '!'\n";
    const salt = randomBytes(4).toString("hex");
    return { kind: "answer", texts: Array.from({ length: n }, () => `\`\`\`python\n# ${salt} ${++seq}\nimport time\ntime.sleep(${napSeconds})\n\n${fn}\`\`\`\n`) };
  };
}

/** Verdict lines written so far under a `verdict run` directory, over all its cells. */
export function runVerdictCount(runDir: string): number {
  if (!existsSync(runDir)) return 0;
  let n = 0;
  for (const entry of readdirSync(runDir, { recursive: true, encoding: "utf8" })) {
    if (entry.endsWith(RUN_FILES.verdicts)) n += verdictLines(join(runDir, entry.slice(0, -RUN_FILES.verdicts.length))).verdicts.length;
  }
  return n;
}

/** The status of every manifest.json (cells) and run.json (the run) under a `verdict run` directory, by path. */
export function runStatuses(runDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(runDir, { recursive: true, encoding: "utf8" })) {
    if (entry.endsWith(RUN_FILES.manifest) || entry === "run.json") {
      out[entry] = (JSON.parse(readFileSync(join(runDir, entry), "utf8")) as { status: string }).status;
    }
  }
  return out;
}
