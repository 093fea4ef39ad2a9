import { join } from "node:path";
import type { ReferenceFailure, RunManifest } from "../core/run.js";
import type { Sample } from "../core/sample.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import type { Test } from "../core/task.js";
import { summarize } from "../metrics/summary.js";
import type { Provider } from "../models/provider.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import type { PromptStyleName } from "../prompts/prompt-style.js";
import { judgeSamples } from "../runner/judge-samples.js";
import { openResultsStore, type ResultsStore } from "../runner/results-store.js";
import { RUN_FILES, sampleKey, type GenerationRecord } from "../runner/run-format.js";
import { openSamplesFile, type SamplesFile } from "../runner/samples-file.js";
import type { LocalJudgingSession } from "../session/session-options.js";
import { underSignal } from "../session/session-pools.js";
import { codeCountLine, startGeneration, type Generation, type GenerationFailure, type GenerationPlan } from "./generate.js";
import type { ModelConfig, RunConfig } from "./run-config.js";
import { samplingOf } from "./run-providers.js";

/**
 * A model's cells in `verdict run`: each (model, style, purpose) has a run directory of its own,
 * `<run>/<model>/<style>/<pass1|aspr>/`, with generations.jsonl beside the files of any run.
 * A model's cells generate one after another (one server, kept busy); each is judged as its
 * samples arrive, through the run's one judging session.
 */

/** Which cell: a model, a style, and what its samples are for. */
export interface CellId {
  model: string;
  style: PromptStyleName;
  purpose: "pass1" | "aspr";
}

/** One cell while it runs. */
export interface CellRun {
  id: CellId;
  model: ModelConfig;
  dir: string;
  /** Every sample of the cell (found on disk and generated), by `task#index`. */
  records: Map<string, GenerationRecord>;
  verdicts: SampleVerdict[];
  /** Verdicts made so far (for progress lines). */
  judged: number;
}

/** What the cells of one model share. */
export interface ModelContext {
  cfg: RunConfig;
  session: LocalJudgingSession;
  /** A sample's judge options under the run's tests source (`tests:`): its task's generated tests, when they replace or join the benchmark's. */
  testsOf: (taskId: string) => { tests?: Test[] };
  promptTasks: PromptTask[];
  shots: PromptTask[];
  provider: Provider;
  manifestBase: Omit<RunManifest, "run_id" | "samples_source" | "status">;
  runId: string;
  referenceFailures: Record<string, ReferenceFailure[]>;
  /** false: ask this model nothing; judge and report what is on disk. */
  generate: boolean;
  signal: AbortSignal;
  /** The command's interrupt (SIGINT, SIGTERM): stops the judging at once, even while a stream waits for the model. */
  interrupt?: AbortSignal;
  /** Stops every generation of the run (a judge failed, so its results could never be complete). */
  abort: () => void;
  log: (line: string) => void;
  onStats: (cell: CellId, stats: { requests: number; cachedRequests: number; samples: number; failures: GenerationFailure[] }) => void;
  onSample?: (cell: CellId, record: GenerationRecord) => void;
  onVerdict?: (cell: CellId, verdict: SampleVerdict) => void;
}

/** A cell's files and its generation, which starts when the cells before it are done. */
interface PreparedCell {
  cell: CellRun;
  samplesFile: SamplesFile;
  store: ResultsStore;
  manifest: RunManifest;
  /** Samples on disk when the run started, taken before any generation so none is both. */
  initial: GenerationRecord[];
  generation: Promise<Generation>;
  resolveGeneration: (g: Generation) => void;
  rejectGeneration: (err: unknown) => void;
  started: number;
}

/** A cell's label in log lines. */
export function cellLabel(id: CellId): string {
  return `${id.model}/${id.style}/${id.purpose}`;
}

/** Runs one model's cells: their generations one after another, their judging all at once, each fed as samples arrive. */
export async function runModelCells(cells: CellRun[], ctx: ModelContext): Promise<void> {
  const prepared = cells.map((cell) => prepareCell(cell, ctx));
  const judging = prepared.map((p) => judgeCell(p, ctx));
  // An interrupt does not wait for model requests in flight (a server may take minutes to
  // answer; what they bring is dropped): only for the judging, which marks each cell interrupted.
  const outcomes = await Promise.allSettled([underSignal(generateCells(prepared, ctx), ctx.interrupt), ...judging]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
}

/** Opens a cell's files (what a resume finds is loaded) and writes its manifest. */
function prepareCell(cell: CellRun, ctx: ModelContext): PreparedCell {
  const tasks = new Set(ctx.session.benchmark.tasks.map((t) => t.taskId));
  const samplesFile = openSamplesFile(join(cell.dir, RUN_FILES.generations));
  for (const [key, record] of samplesFile.existing) {
    // Samples of tasks outside this run (a different limit) are not this run's.
    if (tasks.has(record.task_id)) cell.records.set(key, record);
  }
  const store = openResultsStore(cell.dir);
  // Progress and an interrupt's report count what a resume found judged too.
  cell.judged = store.existing.size;
  const { cfg } = ctx;
  const manifest = {
    ...ctx.manifestBase,
    run_id: `${ctx.runId}/${cellLabel(cell.id)}`,
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
  return { cell, samplesFile, store, manifest, initial: [...cell.records.values()], generation, resolveGeneration, rejectGeneration, started: Date.now() };
}

/** A record's solution is the whole program, as `verdict eval` reads the same file. */
function toSample(r: GenerationRecord): Sample {
  return { taskId: r.task_id, sampleIndex: r.sample_index, program: r.solution };
}

/** Judges a cell's samples as they come (those on disk first), then writes its summary and manifest. */
async function judgeCell(p: PreparedCell, ctx: ModelContext): Promise<void> {
  const { cell } = p;
  const order = ctx.session.benchmark.tasks.map((t) => t.taskId);
  async function* stream(): AsyncGenerator<Sample> {
    for (const r of p.initial) yield toSample(r);
    const generation = await p.generation;
    for await (const r of generation.samples) yield toSample(r);
  }
  try {
    cell.verdicts = await judgeSamples(stream(), (s) => ctx.session.judgeSample(s, ctx.testsOf(s.taskId)), {
      concurrency: ctx.session.sandbox.workers * 2,
      store: p.store,
      progress: false,
      ...(ctx.interrupt !== undefined ? { signal: ctx.interrupt } : {}),
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
  const { benchmark } = ctx.session;
  p.store.writeSummary(
    summarize({
      benchmark: benchmark.name,
      split: benchmark.split,
      verdicts: cell.verdicts,
      ks: [1],
      groups: benchmark.groups,
      seconds: (Date.now() - p.started) / 1000,
      // A cell scores what was generated; a task whose generation failed makes it partial, and says so.
      taskIds: order,
      missingPolicy: "skip",
      referenceFailures: ctx.referenceFailures,
      expectedValuesCached: ctx.session.groundTruth.cached,
    }),
  );
  p.store.writeManifest({ ...p.manifest, status: ctx.signal.aborted ? "interrupted" : "complete" });
  ctx.log(`${cellLabel(cell.id)}: ${cell.verdicts.length} samples judged, ${cell.verdicts.filter((v) => v.status === "pass").length} pass, ${cell.verdicts.filter((v) => v.cached).length} from the verdict cache`);
}

/** Generates the cells one after another; a fault rejects the generations still waiting (they would wait for ever). */
async function generateCells(prepared: PreparedCell[], ctx: ModelContext): Promise<void> {
  const { cfg } = ctx;
  for (const [i, p] of prepared.entries()) {
    const { cell } = p;
    const plan: GenerationPlan = cell.id.purpose === "pass1" ? { purpose: "pass1", n: cfg.pass1.n } : { purpose: "aspr", paths: cfg.aspr.paths, finals: cfg.aspr.finals };
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
      ctx.log(`${cellLabel(cell.id)}: generated ${stats.samples} samples (${stats.requests} requests, ${stats.cachedRequests} cached) in ${stats.seconds.toFixed(1)} s; ${codeCountLine(stats)}`);
    } catch (err) {
      for (const q of prepared.slice(i + 1)) q.rejectGeneration(err);
      throw err;
    }
  }
}
