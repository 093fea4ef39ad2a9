import { existsSync, mkdirSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, resolve } from "node:path";
import type Docker from "dockerode";
import { InputError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import { resolveSampleBudget } from "../benchmarks/sample-budget.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { interruptedError, runSessionCleanup, shellWord } from "../runner/cleanup.js";
import { lockRunDir, writeJsonAtomic } from "../runner/results-store.js";
import { newRunId } from "../runner/run-id.js";
import { DEFAULT_LIMITS, defaultWorkers } from "../sandbox/limits.js";
import type { SearchSettings } from "../search/search-config.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { LocalJudgingSession, SandboxPlacement } from "../session/session-options.js";
import { VERSION } from "../version.js";
import { promptTaskFromSpec } from "./generate.js";
import { providerFor } from "./run-providers.js";
import { savedSearchWork } from "./search-export.js";
import { readSearchManifest, SEARCH_RUN_FILES, type SearchManifest } from "./search-manifest.js";
import { searchModel, type SearchModelResult } from "./search-model.js";
import { searchSplit, type SearchConfig } from "./search-run-config.js";
import { searchTests } from "./search-tests.js";

/**
 * `verdict search CONFIG.yaml`: the MCTS of o1-Coder §3.2 over every task of the config's
 * benchmark, per model, rewards judged through one judging session with every test run. The
 * run directory (search-manifest.ts) is locked while a process writes it; `--resume` replays
 * each model's event log and asks only for what it lacks, so a killed run continues to the
 * same trees. A task stopped by a request or judgement that failed for good leaves the run
 * `incomplete` (a resume retries it); an interrupt leaves it `interrupted`.
 */

/** What the pipeline needs besides the config. */
export interface SearchPipelineOptions {
  config: SearchConfig;
  /** Where the sandboxes run (`--engines`, `--runtime`, the config's sandbox section); default: the one engine. */
  placement?: SandboxPlacement;
  /** Continue the run in this directory. */
  resume?: string;
  /** Run directory (default `<config out>/<run-id>`). */
  outDir?: string;
  /** Ask and judge everything afresh: no response, verdict or expected-value cache. */
  noCache?: boolean;
  /** Response cache folder (default: $VERDICT_CACHE_DIR/responses). */
  responseCacheDir?: string;
  /** Also run the best-of-N baseline at each task's budget and compare. */
  baseline?: boolean;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it (an interrupt) stops the search: containers removed, the manifest marked interrupted. */
  signal?: AbortSignal;
  /** Log a progress line this often (ms); none when unset. */
  progressEveryMs?: number;
  /** The command that continues this run (default `verdict search --resume DIR`), for an interrupt's message. */
  resumeCommand?: (runDir: string) => string;
}

/** The command that continues a search run by default: the run keeps its config. */
export function searchResumeCommand(runDir: string): string {
  return `verdict search --resume ${shellWord(runDir)}`;
}

/** The whole search's outcome; also search-summary.json. */
export interface SearchPipelineResult {
  runDir: string;
  verdictVersion: string;
  /** complete; or incomplete: some task stopped on a failure (see each model's `incomplete`), and `--resume` completes it. */
  status: "complete" | "incomplete";
  benchmark: { name: string; split: string; tasks: number };
  tests: { source: string; tasks_without_tests: string[] };
  settings: SearchSettings;
  models: SearchModelResult[];
  seconds: number;
}

/** Runs (or resumes) the search of the config; see the module comment. */
export async function runSearchPipeline(opts: SearchPipelineOptions): Promise<SearchPipelineResult> {
  const started = Date.now();
  const cfg = opts.config;
  const log = opts.log ?? (() => {});
  const loaded = await loadBenchmark(cfg.benchmark, { split: searchSplit(cfg), ...(cfg.data !== undefined ? { dataDir: cfg.data } : {}) });
  const spec = cfg.limit !== undefined ? { ...loaded, tasks: loaded.tasks.slice(0, cfg.limit) } : loaded;
  if (spec.tasks.length === 0) throw new InputError(`benchmark ${spec.name} split ${spec.split} has no tasks`);
  const runDir = resolve(opts.resume ?? opts.outDir ?? join(cfg.out, newRunId(`search-${spec.name}`)));
  const previous = opts.resume !== undefined ? readSearchManifest(runDir) : undefined;
  if (previous !== undefined && (previous.benchmark !== spec.name || previous.split !== spec.split)) {
    throw new InputError(`this run searched ${previous.benchmark} ${previous.split}, not ${spec.name} ${spec.split}; resume with the config it was started with`, runDir);
  }
  mkdirSync(runDir, { recursive: true });
  // Locked before anything is written or pruned: the containers a resume removes belong to no live process.
  const unlock = lockRunDir(runDir);
  let session: LocalJudgingSession | undefined;
  let manifest: SearchManifest | undefined;
  try {
    session = await openSession(opts, spec, runDir, previous !== undefined, log);
    const prompts = new Map(spec.tasks.map((t) => [t.taskId, promptTaskFromSpec(t)]));
    const scorable = session.benchmark.tasks.filter((t) => !session?.groundTruth.unscorable.includes(t.taskId));
    const tests = await searchTests(scorable, prompts, cfg.search);
    const left = [...session.groundTruth.unscorable, ...tests.withoutTests];
    if (left.length > 0) log(`warning: ${left.length} task(s) have no test to reward them and are left out: ${left.slice(0, 10).join(", ")}${left.length > 10 ? ", …" : ""}`);
    if (tests.tasks.length === 0) throw new InputError(`no task of ${spec.name} ${spec.split} has a test to reward it (tests: ${cfg.search.tests})`);
    const providers = new Map(cfg.models.map((m) => [m.name, providerFor(m, { enabled: opts.noCache !== true, ...(opts.responseCacheDir !== undefined ? { dir: opts.responseCacheDir } : {}) })]));
    manifest = {
      kind: "search",
      run_id: basename(runDir),
      verdict_version: VERSION,
      created_at: previous?.created_at ?? new Date().toISOString(),
      status: "running",
      benchmark: spec.name,
      split: spec.split,
      data_sha256: spec.dataSha256,
      tasks: tests.tasks.map((t) => t.taskId),
      tasks_without_tests: left,
      tests: tests.identity,
      models: cfg.models.map((m) => ({ name: m.name, model: m.model, provider: providers.get(m.name)?.id() ?? "" })),
      config: cfg,
      sandbox: { ...session.sandbox },
      limits: { ...session.limits },
      node: process.version,
      host: { cpus: cpus().length, platform: process.platform },
    };
    writeJsonAtomic(join(runDir, SEARCH_RUN_FILES.manifest), manifest);
    if (previous !== undefined) log(`resume: replaying ${runDir} (every logged expansion and reward is taken from the log)`);
    const judging = session;
    const models = await Promise.all(
      cfg.models.map((m) =>
        searchModel({
          model: m,
          provider: providers.get(m.name) as NonNullable<ReturnType<typeof providers.get>>,
          runDir,
          cfg,
          session: judging,
          tests,
          identity: { benchmark: spec.name, split: spec.split, data_sha256: spec.dataSha256, tests: tests.identity, model: m.model },
          baseline: opts.baseline === true,
          log,
          ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
          ...(opts.progressEveryMs !== undefined ? { progressEveryMs: opts.progressEveryMs } : {}),
        }),
      ),
    );
    const status = models.some((m) => m.incomplete.length > 0) ? "incomplete" : "complete";
    const result: SearchPipelineResult = {
      runDir,
      verdictVersion: VERSION,
      status,
      benchmark: { name: spec.name, split: spec.split, tasks: tests.tasks.length },
      tests: { source: cfg.search.tests, tasks_without_tests: left },
      settings: cfg.search,
      models,
      seconds: (Date.now() - started) / 1000,
    };
    writeJsonAtomic(join(runDir, SEARCH_RUN_FILES.summary), result);
    writeJsonAtomic(join(runDir, SEARCH_RUN_FILES.manifest), { ...manifest, status });
    return result;
  } catch (err) {
    if (manifest !== undefined) markInterrupted(runDir, manifest, log);
    if (opts.signal?.aborted) throw interruptedError(opts.signal, savedSearchWork(runDir), (opts.resumeCommand ?? searchResumeCommand)(runDir));
    throw err;
  } finally {
    await session?.close();
    unlock();
  }
}

/** The judging session of a search: its containers labelled by the run directory, so a resume finds what a killed process left. */
async function openSession(
  opts: SearchPipelineOptions,
  spec: Parameters<typeof openJudgingSession>[0]["benchmark"] & object,
  runDir: string,
  resuming: boolean,
  log: (line: string) => void,
): Promise<LocalJudgingSession> {
  const cfg = opts.config;
  const sampleSeconds = await resolveSampleBudget(cfg.benchmark, cfg.sandbox.sample_budget_s);
  const limits: JobLimits = { ...DEFAULT_LIMITS, testSeconds: cfg.sandbox.timeout_s, memoryMb: cfg.sandbox.memory_mb, ...(sampleSeconds !== undefined ? { sampleSeconds } : {}) };
  const session = await openJudgingSession({
    benchmark: spec,
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    isolation: cfg.sandbox.isolation,
    workers: cfg.sandbox.workers ?? defaultWorkers(),
    ...opts.placement,
    limits,
    hashSeed: cfg.sandbox.hash_seed,
    ...runSessionCleanup(runDir, resuming),
    groundTruthCache: opts.noCache !== true,
    verdictCache: opts.noCache !== true,
    log,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  await session.warm();
  return session;
}

/** Marks a stopped run's manifest interrupted (a full disk may refuse it too; `running` resumes the same way). */
function markInterrupted(runDir: string, manifest: SearchManifest, log: (line: string) => void): void {
  const path = join(runDir, SEARCH_RUN_FILES.manifest);
  try {
    if (existsSync(path)) writeJsonAtomic(path, { ...manifest, status: "interrupted" });
  } catch (e) {
    log(`warning: could not mark ${path} interrupted: ${(e as Error).message}`);
  }
}
