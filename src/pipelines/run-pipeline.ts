import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { InputError, SetupError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { resolveSampleBudget } from "../benchmarks/sample-budget.js";
import { computeAspr, definedMeanCi } from "../metrics/aspr.js";
import { asprInputs, ciOf, deltaOf, pass1Figure, pass1Rates, type AsprFigure } from "../metrics/figures.js";
import { describeGenerationError, type Provider } from "../models/provider.js";
import type { PromptStyleName } from "../prompts/prompt-style.js";
import { describeReferenceFailure, explainUnscorable, failuresByTask } from "../runner/reference-failures.js";
import { interruptedError, runSessionCleanup, shellWord } from "../runner/cleanup.js";
import { lockRunDir } from "../runner/results-store.js";
import { newRunId } from "../runner/run-id.js";
import { sampleKey, type GenerationRecord } from "../runner/run-format.js";
import { DEFAULT_LIMITS, defaultWorkers } from "../sandbox/limits.js";
import { testLimitsDigest } from "../session/job-builder.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import { VERSION } from "../version.js";
import { loadFewShot, promptTaskFromSpec, type GenerationFailure } from "./generate.js";
import { checkSearchRun, isSearchAspr, noAsprFigure, searchAsprFigure } from "./run-search-aspr.js";
import type { SandboxPlacement } from "../session/session-options.js";
import type { RunConfig } from "./run-config.js";
import { cellLabel, runModelCells, type CellId, type CellRun } from "./run-cells.js";
import type { DeltaResult, ModelResult, PipelineResult, StyleResult } from "./run-result.js";
import { openRunRecord } from "./run-record.js";
import { loadConfiguredBenchmark, providerFor } from "./run-providers.js";
import { loadEveryTaskTests, testsManifest, testsOf, type SourcedTests } from "./tests-source.js";

/**
 * `verdict run`: generate with every configured model and prompt style and score in one go.
 *
 * Each (model, style, purpose) is a cell with a run directory of its own under
 * `<run>/<model>/<style>/<pass1|aspr>/`: generations.jsonl (what the model wrote, a samples
 * file `verdict eval` scores) beside the files of any run (verdicts.jsonl, samples.jsonl,
 * manifest.json, summary.json), so `compare`, `runs` and `report` read it like any other run. Samples
 * go into the sandbox pool the moment they are generated; the pool never waits for a
 * generation to finish. A model's cells generate one after another (one server, kept busy);
 * models generate at once (one server each). A rerun with `resume` reuses every sample and
 * verdict on disk and asks only for what is missing.
 */

/** What runPipeline needs besides the config. */
export interface PipelineOptions {
  config: RunConfig;
  /** Continue the run in this directory. */
  resume?: string;
  /** Run directory (default `<config.out>/<run-id>`). */
  outDir?: string;
  /** Ask and judge everything afresh: no response cache, no verdict cache, no expected-value cache. */
  noCache: boolean;
  /** Judge every sample afresh (no verdict cache), keeping cached answers and expected values. */
  noVerdictCache?: boolean;
  /** Response cache folder (default: $VERDICT_CACHE_DIR/responses). */
  responseCacheDir?: string;
  log?: (line: string) => void;
  docker?: Docker;
  /** Called with each sample as it is generated. */
  onSample?: (cell: CellId, record: GenerationRecord) => void;
  /** Called with each verdict as it is made. */
  onVerdict?: (cell: CellId, verdict: SampleVerdict) => void;
  /** Log a progress line this often (ms); none when unset. */
  progressEveryMs?: number;
  /**
   * Generate with these models only (by name); the others' samples on disk are still judged and
   * reported. On a host that serves one model at a time, run each in turn into the same directory.
   */
  onlyModels?: string[];
  /** Where the sandboxes run: several engines, a runtime (`--engines`, `--runtime`, the config's sandbox section). */
  placement?: SandboxPlacement;
  /**
   * Aborting it (an interrupt) stops the run at once: containers removed, every cell's manifest
   * and run.json marked interrupted, and an InterruptedError saying what is saved and how to resume.
   */
  signal?: AbortSignal;
  /** The command that continues this run (default `verdict run <config> --resume DIR`), for an interrupt's message. */
  resumeCommand?: (runDir: string) => string;
  /** Draw a progress bar while the expected values are computed (stderr is a terminal). */
  progress?: boolean;
}


/** Generates with every model and style of the config, scores as it goes, and computes Pass@1 and ASPR. */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const started = Date.now();
  const cfg = opts.config;
  const log = opts.log ?? (() => {});
  // Everything that can be wrong with the input fails here, before a container starts.
  for (const name of opts.onlyModels ?? []) {
    if (!cfg.models.some((m) => m.name === name)) throw new InputError(`--models: no model named "${name}" in the config (it has ${cfg.models.map((m) => m.name).join(", ")})`);
  }
  const generateWith = (name: string): boolean => opts.onlyModels === undefined || opts.onlyModels.includes(name);
  const spec = await loadConfiguredBenchmark(cfg);
  if (spec.tasks.length === 0) throw new InputError(`benchmark ${spec.name} split ${spec.split} has no tasks`);
  if (cfg.aspr.search_run !== undefined) checkSearchRun(cfg.aspr.search_run, spec.name, spec.split, cfg.models.map((m) => m.name));
  const shots = cfg.styles.includes("vanilla") ? await loadFewShot(cfg.prompt.shots, cfg.data) : [];
  const providers = new Map(cfg.models.map((m) => [m.name, providerFor(m, { enabled: !opts.noCache, ...(opts.responseCacheDir !== undefined ? { dir: opts.responseCacheDir } : {}) })]));
  const runDir = resolve(opts.resume ?? opts.outDir ?? join(cfg.out, newRunId(spec.name)));
  // Locked before anything is written or pruned: the containers a resume removes belong to no live process.
  const unlock = opts.resume === undefined || existsSync(runDir) ? lockRun(runDir) : () => {};
  try {
    return await runLocked({ opts, cfg, spec, shots, providers, runDir, generateWith, started, log });
  } finally {
    unlock();
  }
}

/** A run whose directory is locked: the pipeline proper. */
async function runLocked(c: {
  opts: PipelineOptions;
  cfg: RunConfig;
  spec: Awaited<ReturnType<typeof loadConfiguredBenchmark>>;
  shots: Awaited<ReturnType<typeof loadFewShot>>;
  providers: Map<string, Provider>;
  runDir: string;
  generateWith: (model: string) => boolean;
  started: number;
  log: (line: string) => void;
}): Promise<PipelineResult> {
  const { opts, cfg, spec, runDir, log } = c;
  const run = openRunRecord(runDir, cfg, spec, c.generateWith, opts.resume !== undefined);
  const sampleSeconds = await resolveSampleBudget(cfg.benchmark, cfg.sandbox.sample_budget_s);
  const limits: JobLimits = { ...DEFAULT_LIMITS, testSeconds: cfg.sandbox.timeout_s, memoryMb: cfg.sandbox.memory_mb, ...(sampleSeconds !== undefined ? { sampleSeconds } : {}) };
  const cells = cfg.models.flatMap((m) =>
    cfg.styles.flatMap((style) =>
      (isSearchAspr(cfg.aspr.definition) ? (["pass1"] as const) : (["pass1", "aspr"] as const)).map((purpose): CellRun => ({ id: { model: m.name, style, purpose }, model: m, dir: join(runDir, m.name, style, purpose), records: new Map(), verdicts: [], judged: 0 })),
    ),
  );
  const generation = { requests: 0, cachedRequests: 0, samples: 0, failures: [] as (GenerationFailure & CellId)[] };
  let session: LocalJudgingSession | undefined;
  try {
    session = await openJudgingSession({
      benchmark: spec,
      ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
      isolation: cfg.sandbox.isolation,
      workers: cfg.sandbox.workers ?? defaultWorkers(),
      limits,
      hashSeed: cfg.sandbox.hash_seed,
      groundTruthCache: !opts.noCache,
      verdictCache: !opts.noCache && opts.noVerdictCache !== true,
      ...runSessionCleanup(runDir, opts.resume !== undefined),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
      ...opts.placement,
      log,
    });
    const { unscorable, failures } = session.groundTruth;
    // A task with no test left would score any program that loads as a pass: stop before generating.
    if (unscorable.length > 0) throw new SetupError(explainUnscorable(unscorable, failures));
    // Generated tests (tests: tcg:RUN_DIR) replace or join each task's; every task must keep one.
    const sourced = await loadEveryTaskTests(cfg.tests, session.benchmark.tasks);
    // The pool is up before the first request goes out: the first samples are judged while the rest are generated.
    await session.warm();
    const context = { cfg, opts, session, sourced, providers: c.providers, shots: c.shots, spec, runDir, createdAt: run.record.created_at, generateWith: c.generateWith, generation };
    await runCells(cells, context);
  } catch (err) {
    run.write("interrupted");
    if (opts.signal?.aborted !== true) throw err;
    const generated = cells.reduce((n, cell) => n + cell.records.size, 0);
    const judged = cells.reduce((n, cell) => n + cell.judged, 0);
    const resume = opts.resumeCommand?.(runDir) ?? `verdict run <config> --resume ${shellWord(runDir)}`;
    throw interruptedError(opts.signal, `${generated} samples generated and ${judged} verdicts are saved in ${runDir}`, resume);
  } finally {
    await session?.close();
  }
  for (const f of generation.failures) log(`warning: ${cellLabel(f)}: task ${f.taskId}, ${f.what}: ${describeGenerationError(f.error)} (resume the run to retry)`);
  const taskIds = session.benchmark.tasks.map((t) => t.taskId);
  const incomplete = incompleteCells(cells.map((c) => c.id), generation.failures, taskIds);
  const result: PipelineResult = {
    runDir,
    verdictVersion: VERSION,
    benchmark: { name: spec.name, split: spec.split, tasks: spec.tasks.length, dataSha256: spec.dataSha256 },
    settings: { pass1: cfg.pass1, aspr: cfg.aspr, prompt: cfg.prompt, maxTokens: cfg.max_tokens, ci: cfg.ci },
    models: cfg.models.map((m) => modelResult(m, cfg, cells, incomplete, taskIds, c.providers.get(m.name)?.id() ?? "")),
    generation,
    judging: { verdicts: cells.reduce((n, cell) => n + cell.verdicts.length, 0), cached: cells.reduce((n, cell) => n + cell.verdicts.filter((v) => v.cached).length, 0) },
    incomplete,
    seconds: (Date.now() - c.started) / 1000,
  };
  writeFileSync(join(runDir, "results.json"), `${JSON.stringify(result, null, 2)}\n`);
  const partial = cfg.models.some((m) => !run.record.generated_models.includes(m.name));
  run.write(generation.failures.length > 0 ? "interrupted" : partial ? "partial" : "complete");
  return result;
}

/** Takes the run directory's lock (creating the directory); returns its release. */
function lockRun(runDir: string): () => void {
  mkdirSync(runDir, { recursive: true });
  return lockRunDir(runDir);
}

/** What the cells of every model share while they run. */
interface RunContext {
  cfg: RunConfig;
  opts: PipelineOptions;
  session: LocalJudgingSession;
  sourced: SourcedTests;
  providers: Map<string, Provider>;
  shots: Awaited<ReturnType<typeof loadFewShot>>;
  spec: { name: string; split: string; dataSha256: Record<string, string>; tasks: Parameters<typeof promptTaskFromSpec>[0][] };
  runDir: string;
  createdAt: string;
  generateWith: (model: string) => boolean;
  generation: PipelineResult["generation"];
}

/** Runs every model's cells at once (one server each), logging progress; a failure stops every generation. */
async function runCells(cells: CellRun[], c: RunContext): Promise<void> {
  const { cfg, opts, session } = c;
  const log = opts.log ?? (() => {});
  const abort = new AbortController();
  const progress =
    opts.progressEveryMs !== undefined
      ? setInterval(() => {
          const parts = cfg.models.map((m) => {
            const mine = cells.filter((cell) => cell.id.model === m.name);
            return `${m.name}: ${mine.reduce((s, cell) => s + cell.records.size, 0)} samples, ${mine.reduce((s, cell) => s + cell.judged, 0)} judged`;
          });
          log(`progress: ${parts.join("; ")}`);
        }, opts.progressEveryMs)
      : undefined;
  progress?.unref();
  const promptTasks = c.spec.tasks.map(promptTaskFromSpec);
  const { refSeconds, failures } = session.groundTruth;
  const manifestBase = {
    verdict_version: VERSION,
    created_at: c.createdAt,
    benchmark: c.spec.name,
    split: c.spec.split,
    data_sha256: c.spec.dataSha256,
    sandbox: session.sandbox,
    limits: { ...session.limits, reference_seconds: refSeconds, test_limits: testLimitsDigest(session.benchmark.tasks, session.limits) },
    reference_failures: failures.map(describeReferenceFailure),
    k: [1],
    node: process.version,
    host: { cpus: cpus().length, platform: process.platform },
    ...testsManifest(c.sourced),
  };
  try {
    // Settled, not raced: a model that fails must not close the pool under another one's jobs.
    const settled = await Promise.allSettled(
      cfg.models.map((m) =>
        runModelCells(
          cells.filter((cell) => cell.id.model === m.name),
          {
            cfg,
            session,
            testsOf: (taskId: string) => testsOf(c.sourced, taskId),
            promptTasks,
            shots: c.shots,
            provider: c.providers.get(m.name) as Provider,
            manifestBase,
            runId: c.runDir.split("/").pop() ?? c.runDir,
            referenceFailures: failuresByTask(failures),
            generate: c.generateWith(m.name),
            signal: abort.signal,
            ...(opts.signal !== undefined ? { interrupt: opts.signal } : {}),
            abort: () => abort.abort(),
            log,
            onStats: (cell, stats) => {
              c.generation.requests += stats.requests;
              c.generation.cachedRequests += stats.cachedRequests;
              c.generation.samples += stats.samples;
              c.generation.failures.push(...stats.failures.map((f) => ({ ...f, ...cell })));
            },
            ...(opts.onSample ? { onSample: opts.onSample } : {}),
            ...(opts.onVerdict ? { onVerdict: opts.onVerdict } : {}),
          },
        ).catch((err: unknown) => {
          // Stop the other models' generation: the run cannot complete, so finish what is in flight and stop.
          abort.abort();
          throw err;
        }),
      ),
    );
    const failed = settled.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  } catch (err) {
    abort.abort();
    throw err;
  } finally {
    clearInterval(progress);
  }
}

/** One model's figures: per style Pass@1 and ASPR with their intervals, and the paired deltas when both styles ran. */
function modelResult(m: RunConfig["models"][number], cfg: RunConfig, cells: CellRun[], incomplete: PipelineResult["incomplete"], taskIds: string[], provider: string): ModelResult {
  const bootstrap = { resamples: cfg.ci.resamples, seed: cfg.ci.seed };
  const styles: Partial<Record<PromptStyleName, StyleResult>> = {};
  const perTask: Partial<Record<PromptStyleName, { pass1: (number | null)[]; aspr: (number | null)[] }>> = {};
  const cellOf = (style: PromptStyleName, purpose: CellId["purpose"]) => cells.find((c) => c.id.model === m.name && c.id.style === style && c.id.purpose === purpose);
  for (const style of cfg.styles) {
    const pass1Cell = cellOf(style, "pass1");
    const asprCell = cellOf(style, "aspr");
    if (!pass1Cell) continue;
    const rates = pass1Rates(taskIds, pass1Cell.verdicts);
    const aspr = asprCell !== undefined ? sampledAspr(asprCell, cfg, incomplete, taskIds, bootstrap) : searchedAspr(cfg, m.name, style, taskIds, bootstrap);
    if (aspr === undefined) continue;
    perTask[style] = { pass1: rates.map((r) => (r ? r.c / r.n : null)), aspr: aspr.perTask };
    styles[style] = { pass1: pass1Figure(rates, cfg.ci.method, bootstrap), aspr: aspr.figure, dirs: { pass1: pass1Cell.dir, aspr: asprCell?.dir ?? aspr.dir } };
  }
  const v = perTask.vanilla;
  const p = perTask.pseudocode;
  const delta: DeltaResult | null = v && p ? { pass1: deltaOf(v.pass1, p.pass1, bootstrap), aspr: deltaOf(v.aspr, p.aspr, bootstrap) } : null;
  return { name: m.name, model: m.model, provider, styles, delta, paper: m.paper ?? null };
}

/** ASPR A or B of a style, from its ASPR cell's samples and verdicts. */
function sampledAspr(asprCell: CellRun, cfg: RunConfig, incomplete: PipelineResult["incomplete"], taskIds: string[], bootstrap: { resamples: number; seed: number }): { figure: AsprFigure; perTask: (number | null)[]; dir: string } {
  const unfinished = new Set(incomplete.find((c) => sameCell(c, asprCell.id))?.tasks ?? []);
  const generated = (taskId: string, index: number): boolean => asprCell.records.has(sampleKey(taskId, index));
  const aspr = computeAspr(asprInputs(taskIds, cfg.aspr.paths, cfg.aspr.finals, generated, asprCell.verdicts, unfinished), cfg.aspr.definition === "B" ? "B" : "A");
  const perTask = aspr.perTask.map((t) => t.value);
  const figure: AsprFigure = {
    definition: aspr.definition,
    value: aspr.value,
    ci: ciOf(definedMeanCi(perTask, undefined, bootstrap)),
    tasks: aspr.tasks - unfinished.size,
    tasksCounted: aspr.tasksCounted,
    paths: aspr.paths,
    correctPaths: aspr.correctPaths,
    finalsCounted: aspr.finalsCounted,
  };
  return { figure, perTask, dir: asprCell.dir };
}

/** ASPR C or D of a style, from the search run's trees (pseudocode only: vanilla has no search tree). */
function searchedAspr(cfg: RunConfig, model: string, style: PromptStyleName, taskIds: string[], bootstrap: { resamples: number; seed: number }): { figure: AsprFigure; perTask: (number | null)[]; dir: string } | undefined {
  const { definition, search_run: dir } = cfg.aspr;
  if (!isSearchAspr(definition) || dir === undefined) return undefined;
  if (style !== "pseudocode") return { figure: noAsprFigure(definition), perTask: taskIds.map(() => null), dir };
  return { ...searchAsprFigure(dir, model, definition, taskIds, bootstrap), dir };
}

function sameCell(a: CellId, b: CellId): boolean {
  return a.model === b.model && a.style === b.style && a.purpose === b.purpose;
}

/** Per cell with generation failures, the tasks they hit (benchmark order). */
function incompleteCells(cells: readonly CellId[], failures: readonly (GenerationFailure & CellId)[], taskIds: readonly string[]): PipelineResult["incomplete"] {
  const out: PipelineResult["incomplete"] = [];
  for (const cell of cells) {
    const hit = new Set(failures.filter((f) => sameCell(f, cell)).map((f) => f.taskId));
    if (hit.size > 0) out.push({ model: cell.model, style: cell.style, purpose: cell.purpose, tasks: taskIds.filter((id) => hit.has(id)) });
  }
  return out;
}
