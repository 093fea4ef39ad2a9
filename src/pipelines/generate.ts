import { InputError } from "../core/errors.js";
import type { TaskSpec } from "../core/task.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import type { OpenAIApi } from "../models/openai-compatible.js";
import type { GenerationError, GenerationRequest, GenerationResult, Provider } from "../models/provider.js";
import { PROMPT_STYLES, type PromptStyle, type PromptStyleName, type StyleRequest, type StyleSettings } from "../prompts/prompt-style.js";
import type { PromptTask, TestsInPrompt } from "../prompts/prompt-task.js";
import { asprPath, type GenerationPlan } from "../prompts/sample-slots.js";
import { selectFewShot } from "../prompts/vanilla.js";
import { sampleKey, type GenerationRecord } from "../runner/run-format.js";
import { createAsyncQueue } from "../util/async-queue.js";
import pLimit from "p-limit";
import { createRecordMaker, type RecordMaker, type SamplingSettings } from "./generation-records.js";

export { planSlots, type GenerationPlan } from "../prompts/sample-slots.js";
export type { SamplingSettings } from "./generation-records.js";

/**
 * Generation: turns tasks into sample records by asking a provider, as a stream the sandbox
 * pool can judge while generation goes on. How a task is asked and an answer read is the
 * prompt style's (src/prompts/prompt-style.ts); which slot and seed each sample gets is the
 * slot layout's (src/prompts/sample-slots.ts).
 */

/** Prompt settings shared by the styles. */
export interface PromptSettings {
  /** Vanilla worked examples (MBPP's tasks 2, 3, 4 for 3-shot); [] for 0-shot. */
  shots: PromptTask[];
  tests: TestsInPrompt;
  /** Pseudocode: steps before a path that wrote no code is given up. */
  maxSteps: number;
}

/** Everything one generation needs. */
export interface GenerateOptions {
  tasks: readonly PromptTask[];
  style: PromptStyleName;
  api: OpenAIApi;
  plan: GenerationPlan;
  sampling: SamplingSettings;
  prompt: PromptSettings;
  provider: Provider;
  /** Units of work (a task's samples, or one path with its finals) in flight at once (default 8). */
  concurrency?: number;
  /**
   * Most samples one request may ask for. Servers without `n` (Ollama, TGI, llama.cpp) take 1: a
   * request for n is then sent as n requests, the j-th with seed + j·SPLIT_SEED_STRIDE.
   */
  maxN?: number;
  /** Records already made (a resume): their slots are not asked for again, and a path's record feeds its finals. */
  existing?: ReadonlyMap<string, GenerationRecord>;
  /** Called with each record the moment it is made (before any consumer reads it), e.g. to write it to disk. */
  onRecord?: (record: GenerationRecord) => void;
  /** Stops handing out new work once aborted; units in flight finish. */
  signal?: AbortSignal;
}

/** A unit whose request failed after the provider's retries; its samples are missing (a resume retries them). */
export interface GenerationFailure {
  taskId: string;
  /** Which samples were lost, e.g. "samples 0-3", "path 2", "finals of path 2". */
  what: string;
  error: GenerationError;
}

/** Counters of one generation. */
export interface GenerationStats {
  /** Records made now (not counting those a resume found). */
  samples: number;
  requests: number;
  /** Requests answered by the response cache or a recording. */
  cachedRequests: number;
  /** Records made now whose answer held code (the rest have an empty solution: a sure failure). */
  withCode: number;
  failures: GenerationFailure[];
  seconds: number;
}

/** A generation in progress. */
export interface Generation {
  /** The records, as they are made. Iterate once; it throws when generation hits a fault. */
  samples: AsyncIterable<GenerationRecord>;
  /** Settles once every unit is done (rejects with the fault that stopped generation). */
  done: Promise<GenerationStats>;
}

/** Seed offset between the parts of a request split for `maxN`: far from the seeds the slot rules use. */
export const SPLIT_SEED_STRIDE = 1_000_003;

/** Thrown inside a unit when a request came back with an error result. */
class RequestFailed extends Error {
  constructor(readonly error: GenerationError) {
    super(error.message);
  }
}

/** A task as the prompt builders see it: its text, its shown asserts, its entry point and reference. */
export function promptTaskFromSpec(task: Pick<TaskSpec, "taskId" | "text" | "reference" | "entryPoint" | "tests">): PromptTask {
  const tests = task.tests
    .filter((t) => t.input.kind === "assert" && (t.group === "test" || t.group === "base"))
    .map((t) => (t.input.kind === "assert" ? t.input.src.trim() : ""));
  return {
    taskId: task.taskId,
    text: task.text,
    tests,
    code: task.reference,
    ...(task.entryPoint !== undefined ? { entryPoint: task.entryPoint } : {}),
  };
}

/** MBPP's standard 3-shot examples (tasks 2, 3, 4 of its prompt split), or none for 0-shot. */
export async function loadFewShot(shots: 0 | 3, dataDir?: string): Promise<PromptTask[]> {
  if (shots === 0) return [];
  const spec = await loadBenchmark("mbpp", { split: "prompt", ...(dataDir !== undefined ? { dataDir } : {}) });
  return selectFewShot(spec.tasks.map(promptTaskFromSpec));
}

/** A unit of work: one request's worth of a task's samples (or one path with its finals). */
interface Unit {
  task: PromptTask;
  what: string;
  run: () => Promise<void>;
}

/** What the units of a generation share. */
interface UnitContext {
  opts: GenerateOptions;
  style: PromptStyle;
  settings: StyleSettings;
  records: RecordMaker;
  existing: ReadonlyMap<string, GenerationRecord>;
  ask: (req: GenerationRequest) => Promise<GenerationResult>;
  emit: (record: GenerationRecord) => void;
}

/** Starts generating; records stream out of `samples` as they are made. */
export function startGeneration(opts: GenerateOptions): Generation {
  if (opts.tasks.length > 0 && opts.prompt.shots.length > 0 && opts.prompt.shots.some((s) => opts.tasks.some((t) => t.taskId === s.taskId))) {
    // A worked example that is also asked would hand the model its answer.
    const clash = opts.prompt.shots.find((s) => opts.tasks.some((t) => t.taskId === s.taskId));
    if (PROMPT_STYLES[opts.style].unit === "answer") throw new InputError(`few-shot example task ${clash?.taskId} is also a task to generate for; use a split without it or 0 shots`);
  }
  const queue = createAsyncQueue<GenerationRecord>();
  const started = performance.now();
  const stats: GenerationStats = { samples: 0, requests: 0, cachedRequests: 0, withCode: 0, failures: [], seconds: 0 };
  const style = PROMPT_STYLES[opts.style];
  const ctx: UnitContext = {
    opts,
    style,
    settings: { api: opts.api, shots: style.unit === "answer" ? opts.prompt.shots : [], tests: opts.prompt.tests },
    records: createRecordMaker(style, opts.sampling, opts.provider.id()),
    existing: opts.existing ?? new Map<string, GenerationRecord>(),
    ask: asker(opts, stats),
    emit: (record) => {
      stats.samples++;
      if (record.solution.trim() !== "") stats.withCode++;
      opts.onRecord?.(record);
      queue.push(record);
    },
  };
  const units = opts.tasks.flatMap((task) => (opts.plan.purpose === "pass1" ? pass1Units(ctx, task, opts.plan.n) : asprUnits(ctx, task, opts.plan)));
  const limit = pLimit(Math.max(1, opts.concurrency ?? 8));
  let stopped = false;
  const runUnit = async (unit: Unit): Promise<void> => {
    if (stopped || opts.signal?.aborted) return;
    try {
      await unit.run();
    } catch (err) {
      if (!(err instanceof RequestFailed)) throw err;
      stats.failures.push({ taskId: unit.task.taskId, what: unit.what, error: err.error });
    }
  };
  const done = Promise.all(units.map((u) => limit(() => runUnit(u)))).then(
    () => {
      stats.seconds = (performance.now() - started) / 1000;
      queue.close();
      return stats;
    },
    (err: unknown) => {
      // Stop handing out work: the fault (server gone, bad key) would fail every unit left.
      stopped = true;
      limit.clearQueue();
      queue.fail(err);
      throw err;
    },
  );
  // The consumer sees the fault through the stream; a caller that only iterates must not crash the process.
  done.catch(() => undefined);
  return { samples: queue, done };
}

/** Asks the provider, splitting a request for more than `maxN` samples; an error result throws RequestFailed. */
function asker(opts: GenerateOptions, stats: GenerationStats): (req: GenerationRequest) => Promise<GenerationResult> {
  const askOne = async (req: GenerationRequest): Promise<GenerationResult> => {
    stats.requests++;
    const result = await opts.provider.complete(req);
    if (result.cached) stats.cachedRequests++;
    if (result.error) throw new RequestFailed(result.error);
    if (result.texts.length !== req.n) {
      const hint = result.texts.length < req.n ? " (a server without `n`: set max_n: 1 for this model)" : "";
      throw new RequestFailed({ kind: "invalid_response", message: `asked for ${req.n} samples, got ${result.texts.length}${hint}` });
    }
    return result;
  };
  const maxN = Math.max(1, opts.maxN ?? Number.POSITIVE_INFINITY);
  return async (req) => {
    if (req.n <= maxN) return askOne(req);
    const parts: GenerationRequest[] = [];
    for (let j = 0, left = req.n; left > 0; j++, left -= maxN) parts.push({ ...req, n: Math.min(maxN, left), seed: (req.seed ?? 0) + j * SPLIT_SEED_STRIDE });
    const results = await Promise.all(parts.map(askOne));
    return {
      texts: results.flatMap((r) => r.texts),
      finishReasons: results.flatMap((r) => r.finishReasons),
      usage: { promptTokens: results.reduce((s, r) => s + r.usage.promptTokens, 0), completionTokens: results.reduce((s, r) => s + r.usage.completionTokens, 0) },
      // The parts ran side by side: the answer took as long as the slowest.
      latencyMs: Math.max(...results.map((r) => r.latencyMs)),
      cached: results.every((r) => r.cached),
    };
  };
}

/** The provider request for a style's request: the sampling fields every style shares. */
function requestOf(ctx: UnitContext, task: PromptTask, previous: readonly string[], n: number, seed: number): GenerationRequest {
  return styleRequest(ctx.style.request(task, ctx.settings, previous), ctx.opts.sampling, n, seed);
}

/** A style's request (prompt or messages, stop, extras) with the sampling fields: what a provider is asked. */
export function styleRequest(asked: StyleRequest, sampling: SamplingSettings, n: number, seed: number): GenerationRequest {
  const extra = {
    ...(sampling.top_k !== undefined ? { top_k: sampling.top_k } : {}),
    ...(sampling.repetition_penalty !== undefined ? { repetition_penalty: sampling.repetition_penalty } : {}),
    ...asked.extra,
  };
  return {
    ...(asked.prompt !== undefined ? { prompt: asked.prompt } : {}),
    ...(asked.messages !== undefined ? { messages: asked.messages } : {}),
    ...(asked.stop !== undefined ? { stop: asked.stop } : {}),
    n,
    temperature: sampling.temperature,
    top_p: sampling.top_p,
    max_tokens: sampling.max_tokens,
    seed,
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** One sample of a steps-shaped style: steps asked one at a time until one holds code or the limit. */
async function stepPath(ctx: UnitContext, task: PromptTask, index: number, role: "sample" | "path", seed: number): Promise<GenerationRecord> {
  const results: GenerationResult[] = [];
  const steps: string[] = [];
  for (let n = 1; n <= ctx.opts.prompt.maxSteps; n++) {
    const result = await ctx.ask(requestOf(ctx, task, steps, 1, seed));
    results.push(result);
    const step = ctx.style.parse(result.texts[0] ?? "", task).text;
    steps.push(step);
    if (ctx.style.isTerminal?.(step)) return ctx.records.path(task, index, role, seed, steps, results, true);
  }
  return ctx.records.path(task, index, role, seed, steps, results, false);
}

/** Pass@1 units: an answer-shaped style draws a task's n samples in one request; a steps-shaped one draws each path. */
function pass1Units(ctx: UnitContext, task: PromptTask, n: number): Unit[] {
  const has = (i: number): boolean => ctx.existing.has(sampleKey(task.taskId, i));
  const seed = ctx.opts.sampling.seed;
  if (ctx.style.unit === "steps") {
    return Array.from({ length: n }, (_, i) => i)
      .filter((i) => !has(i))
      .map((i) => ({ task, what: `sample ${i}`, run: async () => ctx.emit(await stepPath(ctx, task, i, "sample", seed + i)) }));
  }
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !has(i));
  if (missing.length === 0) return [];
  const run = async (): Promise<void> => {
    // One request draws all n: the server batches them and shares the prompt's prefill.
    const result = await ctx.ask(requestOf(ctx, task, [], n, seed));
    const slots = Array.from({ length: n }, (_, i) => ({ index: i, role: "sample" as const }));
    for (const r of ctx.records.answers(task, result, seed, slots)) if (missing.includes(r.sample_index)) ctx.emit(r);
  };
  return [{ task, what: `samples 0-${n - 1}`, run }];
}

/** ASPR units: one per path, drawing the path (unless a resume has it) and then its finals. */
function asprUnits(ctx: UnitContext, task: PromptTask, plan: { paths: number; finals: number }): Unit[] {
  const has = (i: number): boolean => ctx.existing.has(sampleKey(task.taskId, i));
  const units: Unit[] = [];
  for (let p = 0; p < plan.paths; p++) {
    const slot = asprPath(plan, ctx.opts.sampling.seed, p);
    if (has(slot.index) && slot.finals.every((f) => has(f.index))) continue;
    const run = async (): Promise<void> => {
      let path = ctx.existing.get(sampleKey(task.taskId, slot.index));
      if (path === undefined) {
        if (ctx.style.unit === "steps") path = await stepPath(ctx, task, slot.index, "path", slot.seed);
        else path = ctx.records.answers(task, await ctx.ask(requestOf(ctx, task, [], 1, slot.seed)), slot.seed, [{ index: slot.index, role: "path", path: p }])[0];
        if (path === undefined) throw new Error("internal: no path record");
        ctx.emit(path);
      }
      const missing = slot.finals.filter((f) => !has(f.index));
      if (missing.length === 0) return;
      const keep = (r: GenerationRecord): void => {
        if (missing.some((f) => f.index === r.sample_index)) ctx.emit(r);
      };
      if (ctx.style.unit === "answer") {
        // An answer-shaped style's prefix is the prompt: the finals are fresh answers to it.
        const result = await ctx.ask(requestOf(ctx, task, [], plan.finals, slot.finalsSeed));
        ctx.records.answers(task, result, slot.finalsSeed, slot.finals.map((f) => ({ index: f.index, role: "final" as const, path: p, final: f.final }))).forEach(keep);
        return;
      }
      const steps = path.steps ?? [];
      const at = steps.findIndex((s) => ctx.style.isTerminal?.(s) ?? false);
      // A path that never wrote code has no final step to resample; it is not correct either.
      if (at < 0) return;
      const prefix = steps.slice(0, at);
      const result = await ctx.ask(requestOf(ctx, task, prefix, plan.finals, slot.finalsSeed));
      ctx.records.finals(task, path, prefix, result, slot.finalsSeed, slot.finals).forEach(keep);
    };
    units.push({ task, what: `path ${p} and its finals`, run });
  }
  return units;
}

/**
 * "0 of 3 answers contained code", and when none did, what usually causes it: a run where every
 * sample is an empty program fails every task, and should say why rather than score 0%.
 */
export function codeCountLine(stats: Pick<GenerationStats, "samples" | "withCode">): string {
  const line = `${stats.withCode} of ${stats.samples} answers contained code`;
  return stats.samples > 0 && stats.withCode === 0 ? `${line}: check the prompt style, the API (completions for base models, chat for instruct models) and max_tokens` : line;
}

/** Generates everything and hands each record to `onSample` as it is made. */
export async function generateSamples(opts: GenerateOptions, onSample: (record: GenerationRecord) => void): Promise<GenerationStats> {
  const generation = startGeneration(opts);
  for await (const record of generation.samples) onSample(record);
  return generation.done;
}
