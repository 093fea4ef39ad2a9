import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type Docker from "dockerode";
import { InputError, SetupError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { ReferenceFailure, RunManifest } from "../core/run.js";
import type { Sample } from "../core/sample.js";
import type { SandboxPool } from "../core/sandbox.js";
import type { Benchmark, BenchmarkSpec } from "../core/task.js";
import type { SampleVerdict } from "../core/verdict.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { computeAspr, definedMeanCi, type AsprDefinition, type AsprTask } from "../metrics/aspr.js";
import { bootstrapMeanCi } from "../metrics/bootstrap.js";
import { summarize } from "../metrics/summary.js";
import { wilsonInterval } from "../metrics/wilson.js";
import { canonicalJson } from "../models/canonical-json.js";
import { createOpenAICompatibleProvider } from "../models/openai-compatible.js";
import type { Provider } from "../models/provider.js";
import { createReplayProvider, withRecorder } from "../models/replay.js";
import { withCache } from "../models/response-cache.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import { createDockerSandbox } from "../sandbox/docker-sandbox.js";
import { assertEngine, connectDocker } from "../sandbox/engine.js";
import { ensureImage } from "../sandbox/image.js";
import { cacheDir } from "../util/paths.js";
import { VERSION } from "../version.js";
import { defaultWorkers, judgeSamples } from "./evaluate.js";
import { loadFewShot, promptTaskFromSpec, startGeneration, type Generation, type GenerationFailure, type GenerationPlan, type SamplingSettings } from "./generate.js";
import { describeReferenceFailure, explainUnscorable, failuresByTask, resolveBenchmark } from "./ground-truth.js";
import { DEFAULT_LIMITS, resolveSampleBudget, RUNNER_HEADROOM_MB } from "./limits.js";
import { openResultsStore, sampleKey, writeJsonAtomic } from "./results-store.js";
import { configSplit, type ModelConfig, type RunConfig, type SamplingConfig } from "./run-config.js";
import { newRunId } from "./run-id.js";
import { openSamplesFile, type PromptStyle, type SampleRecord } from "./samples-file.js";
import { createVerdictCache, type VerdictCache } from "./verdict-cache.js";
import { perTaskCounts } from "../metrics/per-task-counts.js";

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

/** A cell's generated samples, beside the run files the results store writes (samples.jsonl is the store's). */
export const GENERATIONS_FILE = "generations.jsonl";

/** Which cell: a model, a style, and what its samples are for. */
export interface CellId {
  model: string;
  style: PromptStyle;
  purpose: "pass1" | "aspr";
}

/** A 95% interval and how it was computed. */
export interface FigureCi {
  low: number;
  high: number;
  method: "wilson" | "bootstrap";
}

/** Pass@1 of one (model, style). */
export interface Pass1Figure {
  /** Mean over tasks of (passing samples / samples); null when no task has a sample. */
  value: number | null;
  ci: FigureCi | null;
  /** Tasks with at least one sample. */
  tasks: number;
  samples: number;
  passed: number;
}

/** ASPR of one (model, style). */
export interface AsprFigure {
  definition: AsprDefinition;
  value: number | null;
  ci: FigureCi | null;
  /** Tasks whose paths and finals were all generated (a task whose generation failed is left out). */
  tasks: number;
  tasksCounted: number;
  paths: number;
  correctPaths: number;
  finalsCounted: number;
}

/** One style's figures for one model. */
export interface StyleResult {
  pass1: Pass1Figure;
  aspr: AsprFigure;
  /** The cells' run directories. */
  dirs: { pass1: string; aspr: string };
}

/** Pseudocode minus vanilla, with paired intervals over tasks. */
export interface DeltaResult {
  pass1: { value: number | null; ci: FigureCi | null };
  aspr: { value: number | null; ci: FigureCi | null };
}

/** Everything measured for one model. */
export interface ModelResult {
  name: string;
  model: string;
  provider: string;
  styles: Partial<Record<PromptStyle, StyleResult>>;
  /** Present when both styles ran. */
  delta: DeltaResult | null;
  paper: NonNullable<ModelConfig["paper"]> | null;
}

/** The whole run's outcome; also results.json in the run directory. */
export interface PipelineResult {
  runDir: string;
  verdictVersion: string;
  benchmark: { name: string; split: string; tasks: number; dataSha256: Record<string, string> };
  settings: {
    pass1: RunConfig["pass1"];
    aspr: RunConfig["aspr"];
    prompt: RunConfig["prompt"];
    maxTokens: number;
    ci: RunConfig["ci"];
  };
  models: ModelResult[];
  generation: {
    requests: number;
    cachedRequests: number;
    samples: number;
    failures: (GenerationFailure & CellId)[];
  };
  /**
   * Cells whose generation failed for some tasks after retries, with those tasks: the figures
   * cover the other tasks only (each figure says how many), and `--resume` completes them. Empty when complete.
   */
  incomplete: (CellId & { tasks: string[] })[];
  seconds: number;
}

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
  onSample?: (cell: CellId, record: SampleRecord) => void;
  /** Called with each verdict as it is made. */
  onVerdict?: (cell: CellId, verdict: SampleVerdict) => void;
  /** Log a progress line this often (ms); none when unset. */
  progressEveryMs?: number;
  /**
   * Generate with these models only (by name); the others' samples on disk are still judged and
   * reported. On a host that serves one model at a time, run each in turn into the same directory.
   */
  onlyModels?: string[];
}

/** What run.json records, so a resume can refuse a config that would mix different samples. */
function fingerprint(cfg: RunConfig): unknown {
  return {
    benchmark: cfg.benchmark,
    split: configSplit(cfg),
    limit: cfg.limit ?? null,
    styles: cfg.styles,
    max_tokens: cfg.max_tokens,
    prompt: cfg.prompt,
    pass1: cfg.pass1,
    aspr: cfg.aspr,
    models: cfg.models.map((m) => ({ name: m.name, model: m.model, api: m.api })),
  };
}

/** Loads the benchmark the config names, cut to its first `limit` tasks. */
export async function loadConfiguredBenchmark(cfg: RunConfig): Promise<BenchmarkSpec> {
  const spec = await loadBenchmark(cfg.benchmark, { split: configSplit(cfg), ...(cfg.data !== undefined ? { dataDir: cfg.data } : {}) });
  return cfg.limit !== undefined ? { ...spec, tasks: spec.tasks.slice(0, cfg.limit) } : spec;
}

/** The provider a model entry describes: a server or a recording behind the response cache, optionally recorded. */
export function providerFor(m: ModelConfig, cache: { enabled: boolean; dir?: string }): Provider {
  let provider: Provider;
  if (m.replay !== undefined) provider = createReplayProvider(m.replay);
  else if (m.base_url !== undefined) {
    provider = createOpenAICompatibleProvider({
      baseUrl: m.base_url,
      model: m.model,
      api: m.api,
      concurrency: m.concurrency,
      timeoutMs: m.timeout_s * 1000,
      retries: m.retries,
      ...(m.api_key_env !== undefined ? { apiKeyEnv: m.api_key_env } : {}),
    });
  } else throw new InputError(`model ${m.name}: neither base_url nor replay is set`);
  const cached = withCache(provider, { enabled: cache.enabled, ...(cache.dir !== undefined ? { dir: cache.dir } : {}) });
  // Outside the cache, so a recording holds every answer the run used, cached or not.
  return m.record !== undefined ? withRecorder(cached, m.record) : cached;
}

/** The sampling settings of a config section, max_tokens filled in. */
export function samplingOf(section: SamplingConfig, maxTokens: number): SamplingSettings {
  return {
    temperature: section.temperature,
    top_p: section.top_p,
    ...(section.top_k !== undefined ? { top_k: section.top_k } : {}),
    ...(section.repetition_penalty !== undefined ? { repetition_penalty: section.repetition_penalty } : {}),
    max_tokens: section.max_tokens ?? maxTokens,
    seed: section.seed,
  };
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
  const shots = cfg.styles.includes("vanilla") ? await loadFewShot(cfg.prompt.shots, cfg.data) : [];
  const promptTasks = spec.tasks.map(promptTaskFromSpec);
  const providers = new Map(cfg.models.map((m) => [m.name, providerFor(m, { enabled: !opts.noCache, ...(opts.responseCacheDir !== undefined ? { dir: opts.responseCacheDir } : {}) })]));

  const runDir = resolve(opts.resume ?? opts.outDir ?? join(cfg.out, newRunId(spec.name)));
  const runFile = join(runDir, "run.json");
  const runRecord = {
    verdict_version: VERSION,
    created_at: new Date().toISOString(),
    benchmark: spec.name,
    split: spec.split,
    tasks: spec.tasks.length,
    data_sha256: spec.dataSha256,
    fingerprint: fingerprint(cfg),
    config: cfg,
    /** Models generated with, in this invocation or an earlier one of the same run. */
    generated_models: cfg.models.filter((m) => generateWith(m.name)).map((m) => m.name),
    status: "running" as "running" | "complete" | "interrupted" | "partial",
  };
  if (opts.resume !== undefined && !existsSync(runFile)) throw new InputError("no run to resume here (run.json is missing)", runDir);
  if (existsSync(runFile)) {
    if (opts.resume === undefined) throw new InputError("a run is already there; resume it or pick another directory", runDir);
    const before = JSON.parse(readFileSync(runFile, "utf8")) as { fingerprint?: unknown; created_at?: string; generated_models?: string[] };
    if (canonicalJson(before.fingerprint) !== canonicalJson(runRecord.fingerprint)) {
      throw new InputError("the run was made with a different config (benchmark, split, limit, styles, prompt, sampling or models differ); start a new run", runFile);
    }
    if (before.created_at !== undefined) runRecord.created_at = before.created_at;
    runRecord.generated_models = cfg.models.map((m) => m.name).filter((n) => runRecord.generated_models.includes(n) || (before.generated_models ?? []).includes(n));
  }
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(runFile, runRecord);

  const docker = opts.docker ?? connectDocker();
  await assertEngine(docker);
  const image = await ensureImage(docker, { log });
  const workers = cfg.sandbox.workers ?? defaultWorkers();
  const sandboxBase = { image: image.tag, workers, cpus: 1, pidsLimit: 512, tmpfsMb: 256, hashSeed: cfg.sandbox.hash_seed };
  const { benchmark, refSeconds, failures: referenceFailures, unscorable } = await resolveBenchmark(spec, {
    imageId: image.id,
    hashSeed: cfg.sandbox.hash_seed,
    noCache: opts.noCache,
    log,
    openPool: (memoryMb) => createDockerSandbox(docker, { ...sandboxBase, isolation: "pool", memoryMb, labels: { "verdict.role": "reference" } }),
  });
  const referenceLines = referenceFailures.map(describeReferenceFailure);
  for (const line of referenceLines) log(`warning: ${line}`);
  // A task with no test left would score any program that loads as a pass: stop before generating.
  if (unscorable.length > 0) throw new SetupError(explainUnscorable(unscorable, referenceFailures));
  const sampleSeconds = await resolveSampleBudget(cfg.benchmark, cfg.sandbox.sample_budget_s);
  const limits: JobLimits = {
    ...DEFAULT_LIMITS,
    testSeconds: cfg.sandbox.timeout_s,
    memoryMb: cfg.sandbox.memory_mb,
    ...(sampleSeconds !== undefined ? { sampleSeconds } : {}),
  };
  const taskMemory = Math.max(limits.memoryMb, ...benchmark.tasks.map((t) => t.memoryMb ?? 0));
  const pool = await createDockerSandbox(docker, { ...sandboxBase, isolation: cfg.sandbox.isolation, memoryMb: taskMemory + RUNNER_HEADROOM_MB });
  const verdictCache = createVerdictCache(cacheDir("verdicts"), !opts.noCache && opts.noVerdictCache !== true);
  const abort = new AbortController();

  const cells: CellRun[] = [];
  for (const m of cfg.models) {
    for (const style of cfg.styles) {
      for (const purpose of ["pass1", "aspr"] as const) {
        cells.push({ id: { model: m.name, style, purpose }, model: m, dir: join(runDir, m.name, style, purpose), records: new Map(), verdicts: [], judged: 0 });
      }
    }
  }

  const failures: (GenerationFailure & CellId)[] = [];
  let requests = 0;
  let cachedRequests = 0;
  let generated = 0;
  const progress =
    opts.progressEveryMs !== undefined
      ? setInterval(() => {
          const parts = cfg.models.map((m) => {
            const mine = cells.filter((c) => c.id.model === m.name);
            return `${m.name}: ${mine.reduce((s, c) => s + c.records.size, 0)} samples, ${mine.reduce((s, c) => s + c.judged, 0)} judged`;
          });
          log(`progress: ${parts.join("; ")}`);
        }, opts.progressEveryMs)
      : undefined;
  progress?.unref();
  try {
    // Settled, not raced: a model that fails must not close the pool under another one's jobs.
    const settled = await Promise.allSettled(
      cfg.models.map((m) =>
        runModelCells(
          cells.filter((c) => c.id.model === m.name),
          {
            cfg,
            benchmark,
            promptTasks,
            shots,
            provider: providers.get(m.name) as Provider,
            pool,
            verdictCache,
            limits,
            manifestBase: {
              verdict_version: VERSION,
              created_at: runRecord.created_at,
              benchmark: spec.name,
              split: spec.split,
              data_sha256: spec.dataSha256,
              sandbox: pool.info,
              limits: { ...limits, reference_seconds: refSeconds },
              reference_failures: referenceLines,
              k: [1],
              node: process.version,
              host: { cpus: cpus().length, platform: process.platform },
            },
            runId: runDir.split("/").pop() ?? runDir,
            referenceFailures: failuresByTask(referenceFailures),
            generate: generateWith(m.name),
            signal: abort.signal,
            abort: () => abort.abort(),
            log,
            onStats: (cell, stats) => {
              requests += stats.requests;
              cachedRequests += stats.cachedRequests;
              generated += stats.samples;
              failures.push(...stats.failures.map((f) => ({ ...f, ...cell })));
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
    writeJsonAtomic(runFile, { ...runRecord, status: "interrupted" });
    throw err;
  } finally {
    clearInterval(progress);
    await pool.close();
  }

  for (const f of failures) log(`warning: ${f.model}/${f.style}/${f.purpose}: task ${f.taskId}, ${f.what}: ${f.error.message} (resume the run to retry)`);
  const bootstrap = { resamples: cfg.ci.resamples, seed: cfg.ci.seed };
  const taskIds = benchmark.tasks.map((t) => t.taskId);
  const incomplete = incompleteCells(cells.map((c) => c.id), failures, taskIds);
  const models: ModelResult[] = cfg.models.map((m) => {
    const styles: Partial<Record<PromptStyle, StyleResult>> = {};
    const perTask: Partial<Record<PromptStyle, { pass1: (number | null)[]; aspr: (number | null)[] }>> = {};
    for (const style of cfg.styles) {
      const pass1Cell = cells.find((c) => c.id.model === m.name && c.id.style === style && c.id.purpose === "pass1");
      const asprCell = cells.find((c) => c.id.model === m.name && c.id.style === style && c.id.purpose === "aspr");
      if (!pass1Cell || !asprCell) continue;
      const rates = pass1Rates(taskIds, pass1Cell.verdicts);
      const unfinished = new Set(incomplete.find((c) => sameCell(c, asprCell.id))?.tasks ?? []);
      const asprTasks = asprInputs(taskIds, cfg.aspr.paths, cfg.aspr.finals, asprCell.records, asprCell.verdicts, unfinished);
      const aspr = computeAspr(asprTasks, cfg.aspr.definition);
      perTask[style] = { pass1: rates.map((r) => (r ? r.c / r.n : null)), aspr: aspr.perTask.map((t) => t.value) };
      styles[style] = {
        pass1: pass1Figure(rates, cfg.ci.method, bootstrap),
        aspr: {
          definition: aspr.definition,
          value: aspr.value,
          ci: ciOf(definedMeanCi(aspr.perTask.map((t) => t.value), undefined, bootstrap)),
          tasks: aspr.tasks - unfinished.size,
          tasksCounted: aspr.tasksCounted,
          paths: aspr.paths,
          correctPaths: aspr.correctPaths,
          finalsCounted: aspr.finalsCounted,
        },
        dirs: { pass1: pass1Cell.dir, aspr: asprCell.dir },
      };
    }
    const v = perTask.vanilla;
    const p = perTask.pseudocode;
    const delta: DeltaResult | null =
      v && p
        ? {
            pass1: deltaOf(v.pass1, p.pass1, bootstrap),
            aspr: deltaOf(v.aspr, p.aspr, bootstrap),
          }
        : null;
    return { name: m.name, model: m.model, provider: providers.get(m.name)?.id() ?? "", styles, delta, paper: m.paper ?? null };
  });

  const result: PipelineResult = {
    runDir,
    verdictVersion: VERSION,
    benchmark: { name: spec.name, split: spec.split, tasks: spec.tasks.length, dataSha256: spec.dataSha256 },
    settings: { pass1: cfg.pass1, aspr: cfg.aspr, prompt: cfg.prompt, maxTokens: cfg.max_tokens, ci: cfg.ci },
    models,
    generation: { requests, cachedRequests, samples: generated, failures },
    incomplete,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(join(runDir, "results.json"), `${JSON.stringify(result, null, 2)}\n`);
  const partial = cfg.models.some((m) => !runRecord.generated_models.includes(m.name));
  writeJsonAtomic(runFile, { ...runRecord, status: failures.length > 0 ? "interrupted" : partial ? "partial" : "complete" });
  return result;
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

/** One cell while it runs. */
interface CellRun {
  id: CellId;
  model: ModelConfig;
  dir: string;
  /** Every sample of the cell (found on disk and generated), by `task#index`. */
  records: Map<string, SampleRecord>;
  verdicts: SampleVerdict[];
  /** Verdicts made so far (for progress lines). */
  judged: number;
}

/** What the cells of one model share. */
interface ModelContext {
  cfg: RunConfig;
  benchmark: Benchmark;
  promptTasks: PromptTask[];
  shots: PromptTask[];
  provider: Provider;
  pool: SandboxPool;
  verdictCache: VerdictCache;
  limits: JobLimits;
  manifestBase: Omit<RunManifest, "run_id" | "samples_source" | "status">;
  runId: string;
  referenceFailures: Record<string, ReferenceFailure[]>;
  /** false: ask this model nothing; judge and report what is on disk. */
  generate: boolean;
  signal: AbortSignal;
  /** Stops every generation of the run (a judge failed, so its results could never be complete). */
  abort: () => void;
  log: (line: string) => void;
  onStats: (cell: CellId, stats: { requests: number; cachedRequests: number; samples: number; failures: GenerationFailure[] }) => void;
  onSample?: (cell: CellId, record: SampleRecord) => void;
  onVerdict?: (cell: CellId, verdict: SampleVerdict) => void;
}

/**
 * Runs one model's cells: their generations one after another, their judging all at once, each
 * fed from its generation as samples arrive.
 */
async function runModelCells(cells: CellRun[], ctx: ModelContext): Promise<void> {
  const { cfg } = ctx;
  const tasksById = new Map(ctx.benchmark.tasks.map((t) => [t.taskId, t]));
  const order = ctx.benchmark.tasks.map((t) => t.taskId);
  const prepared = cells.map((cell) => {
    const samplesFile = openSamplesFile(join(cell.dir, GENERATIONS_FILE));
    for (const [key, record] of samplesFile.existing) {
      // Samples of tasks outside this run (a different limit) are not this run's.
      if (tasksById.has(record.task_id)) cell.records.set(key, record);
    }
    const store = openResultsStore(cell.dir);
    const manifest = {
      ...ctx.manifestBase,
      run_id: `${ctx.runId}/${cell.id.model}/${cell.id.style}/${cell.id.purpose}`,
      samples_source: samplesFile.path,
      status: "running" as RunManifest["status"],
      generation: {
        provider: ctx.provider.id(),
        model: cell.model.model,
        api: cell.model.api,
        style: cell.id.style,
        purpose: cell.id.purpose,
        sampling: cell.id.purpose === "pass1" ? cfg.pass1 : cfg.aspr,
        prompt: cfg.prompt,
        max_tokens: cfg.max_tokens,
      },
    };
    store.writeManifest(manifest);
    let resolveGeneration!: (g: Generation) => void;
    let rejectGeneration!: (err: unknown) => void;
    const generation = new Promise<Generation>((res, rej) => {
      resolveGeneration = res;
      rejectGeneration = rej;
    });
    generation.catch(() => undefined);
    // Taken now, before any generation starts, so no sample is both "on disk" and "generated".
    const initial = [...cell.records.values()];
    return { cell, samplesFile, store, manifest, initial, generation, resolveGeneration, rejectGeneration, started: Date.now() };
  });

  // A record's solution is the whole program, as `verdict eval` reads the same file.
  const toSample = (r: SampleRecord): Sample => ({ taskId: r.task_id, sampleIndex: r.sample_index, program: r.solution });

  const judging = prepared.map(async (p) => {
    const { cell } = p;
    // Samples on disk first (a resume judges what it had not), then each one as it is generated.
    async function* stream(): AsyncGenerator<Sample> {
      for (const r of p.initial) yield toSample(r);
      const generation = await p.generation;
      for await (const r of generation.samples) yield toSample(r);
    }
    try {
      cell.verdicts = await judgeSamples(ctx.benchmark, stream(), ctx.pool, {
        store: p.store,
        cache: ctx.verdictCache,
        limits: ctx.limits,
        hashSeed: cfg.sandbox.hash_seed,
        progress: false,
        onVerdict: (v: SampleVerdict) => {
          cell.judged++;
          ctx.onVerdict?.(cell.id, v);
        },
      });
    } catch (err) {
      ctx.abort();
      p.store.writeManifest({ ...p.manifest, status: "interrupted" });
      p.samplesFile.close();
      throw err;
    } finally {
      p.store.close();
    }
    p.samplesFile.finalize(order);
    p.store.writeSummary(
      summarize({
        benchmark: ctx.benchmark.name,
        split: ctx.benchmark.split,
        verdicts: cell.verdicts,
        ks: [1],
        groups: ctx.benchmark.groups,
        seconds: (Date.now() - p.started) / 1000,
        // A cell scores what was generated; a task whose generation failed makes it partial, and says so.
        taskIds: order,
        missingPolicy: "skip",
        referenceFailures: ctx.referenceFailures,
      }),
    );
    p.store.writeManifest({ ...p.manifest, status: ctx.signal.aborted ? "interrupted" : "complete" });
    ctx.log(`${label(cell.id)}: ${cell.verdicts.length} samples judged, ${cell.verdicts.filter((v) => v.status === "pass").length} pass`);
  });

  const generating = (async () => {
    for (const [i, p] of prepared.entries()) {
      const { cell } = p;
      const plan: GenerationPlan =
        cell.id.purpose === "pass1" ? { purpose: "pass1", n: cfg.pass1.n } : { purpose: "aspr", paths: cfg.aspr.paths, finals: cfg.aspr.finals };
      let generation: Generation;
      try {
        generation = startGeneration({
          tasks: ctx.generate ? ctx.promptTasks : [],
          style: cell.id.style,
          api: cell.model.api,
          plan,
          sampling: samplingOf(cell.id.purpose === "pass1" ? cfg.pass1 : cfg.aspr, cfg.max_tokens),
          prompt: { shots: ctx.shots, tests: cfg.prompt.tests, maxSteps: cfg.prompt.max_steps },
          provider: ctx.provider,
          concurrency: cell.model.concurrency,
          ...(cell.model.max_n !== undefined ? { maxN: cell.model.max_n } : {}),
          existing: cell.records,
          signal: ctx.signal,
          onRecord: (r) => {
            p.samplesFile.append(r);
            cell.records.set(sampleKey(r.task_id, r.sample_index), r);
            ctx.onSample?.(cell.id, r);
          },
        });
      } catch (err) {
        for (const q of prepared.slice(i)) q.rejectGeneration(err);
        throw err;
      }
      p.resolveGeneration(generation);
      try {
        const stats = await generation.done;
        ctx.onStats(cell.id, stats);
        ctx.log(`${label(cell.id)}: generated ${stats.samples} samples (${stats.requests} requests, ${stats.cachedRequests} cached) in ${stats.seconds.toFixed(1)} s`);
      } catch (err) {
        // The cells still waiting would otherwise wait for ever.
        for (const q of prepared.slice(i + 1)) q.rejectGeneration(err);
        throw err;
      }
    }
  })();
  const outcomes = await Promise.allSettled([generating, ...judging]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
}

function label(id: CellId): string {
  return `${id.model}/${id.style}/${id.purpose}`;
}

/** Per task (benchmark order): samples and passes; null for a task without samples. */
export function pass1Rates(taskIds: readonly string[], verdicts: readonly SampleVerdict[]): ({ n: number; c: number } | null)[] {
  const byTask = perTaskCounts(verdicts);
  return taskIds.map((id) => byTask.get(id) ?? null);
}

/** Pass@1 (the unbiased estimate c/n per task, averaged) with its 95% interval. */
export function pass1Figure(
  rates: readonly ({ n: number; c: number } | null)[],
  method: RunConfig["ci"]["method"],
  bootstrap: { resamples: number; seed: number },
): Pass1Figure {
  const present = rates.filter((r): r is { n: number; c: number } => r !== null);
  const samples = present.reduce((s, r) => s + r.n, 0);
  const passed = present.reduce((s, r) => s + r.c, 0);
  if (present.length === 0) return { value: null, ci: null, tasks: 0, samples: 0, passed: 0 };
  const value = present.reduce((s, r) => s + r.c / r.n, 0) / present.length;
  const single = present.every((r) => r.n === 1);
  let ci: FigureCi | null;
  if (method === "wilson" || (method === "auto" && single)) {
    // One sample per task: each task is one Bernoulli trial, the case Wilson is made for.
    const w = wilsonInterval(passed, present.length);
    ci = { low: w.low, high: w.high, method: "wilson" };
  } else {
    ci = ciOf(bootstrapMeanCi(present.map((r) => r.c / r.n), bootstrap));
  }
  return { value, ci, tasks: present.length, samples, passed };
}

/**
 * ASPR inputs per task from a cell's samples and verdicts: which paths passed, how their finals
 * did. A task in `unfinished` (its generation failed) gets no paths: it counts for nothing.
 */
export function asprInputs(
  taskIds: readonly string[],
  paths: number,
  finals: number,
  records: ReadonlyMap<string, SampleRecord>,
  verdicts: readonly SampleVerdict[],
  unfinished: ReadonlySet<string> = new Set(),
): AsprTask[] {
  const byKey = new Map(verdicts.map((v) => [sampleKey(v.task_id, v.sample_index), v]));
  return taskIds.map((taskId) => {
    const out: AsprTask = { taskId, paths: [] };
    if (unfinished.has(taskId)) return out;
    for (let p = 0; p < paths; p++) {
      const path = byKey.get(sampleKey(taskId, p));
      // A path lost to a generation error was never sampled: it is neither correct nor incorrect.
      if (!path || !records.has(sampleKey(taskId, p))) continue;
      const finalsOut = [];
      for (let m = 0; m < finals; m++) {
        const key = sampleKey(taskId, paths + p * finals + m);
        const v = byKey.get(key);
        if (!v || !records.has(key)) continue;
        const passedTests = v.tests.filter((t) => t.outcome === "pass").length;
        finalsOut.push({ passed: v.status === "pass", passFraction: v.tests.length === 0 ? (v.status === "pass" ? 1 : 0) : passedTests / v.tests.length });
      }
      out.paths.push({ correct: path.status === "pass", finals: finalsOut });
    }
    return out;
  });
}

function deltaOf(
  vanilla: readonly (number | null)[],
  pseudocode: readonly (number | null)[],
  bootstrap: { resamples: number; seed: number },
): { value: number | null; ci: FigureCi | null } {
  const ci = definedMeanCi(vanilla, pseudocode, bootstrap);
  return Number.isNaN(ci.estimate) ? { value: null, ci: null } : { value: ci.estimate, ci: ciOf(ci) };
}

function ciOf(ci: { estimate: number; low: number; high: number }): FigureCi | null {
  if (Number.isNaN(ci.estimate) || Number.isNaN(ci.low) || Number.isNaN(ci.high)) return null;
  return { low: ci.low, high: ci.high, method: "bootstrap" };
}
