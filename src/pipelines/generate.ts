import { InputError } from "../core/errors.js";
import type { TaskSpec } from "../core/task.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import type { OpenAIApi } from "../models/openai-compatible.js";
import type { GenerationError, GenerationRequest, GenerationResult, Provider } from "../models/provider.js";
import type { PromptTask, TestsInPrompt } from "../prompts/prompt-task.js";
import {
  buildStepMessages,
  buildStepPrompt,
  generateStepwise,
  isTerminalStep,
  parseStep,
  programFromSteps,
  PSEUDOCODE_STOP,
} from "../prompts/pseudocode.js";
import { buildVanillaChat, buildVanillaPrompt, parseVanillaOutput, selectFewShot } from "../prompts/vanilla.js";
import type { PromptStyleName } from "../prompts/prompt-style.js";
import { sampleKey, type GenerationRecord } from "../runner/run-format.js";

/**
 * Generation: turns tasks into sample records by asking a provider, as a stream the sandbox
 * pool can judge while generation goes on.
 *
 * Sample slots are fixed by the plan, never by arrival order:
 * - Pass@1: samples 0..n-1 of each task.
 * - ASPR: path p is sample p; final step m of path p is sample P + p·M + m.
 * Each sample's requests carry their own seed (seed + i for sample or path i, seed + P + p for
 * the finals of path p), so no two draws are the same request and the response cache never
 * folds them into one answer.
 */

/** Sampling parameters of one generation (the OpenAI fields plus vLLM/SGLang extras). */
export interface SamplingSettings {
  temperature: number;
  top_p: number;
  top_k?: number;
  repetition_penalty?: number;
  max_tokens: number;
  /** The first seed (see the slot rules above). */
  seed: number;
}

/** What to sample per task. */
export type GenerationPlan = { purpose: "pass1"; n: number } | { purpose: "aspr"; paths: number; finals: number };

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

/** The sample slots a plan fills for one task, before knowing which paths write code. */
export function planSlots(plan: GenerationPlan): number {
  return plan.purpose === "pass1" ? plan.n : plan.paths * (1 + plan.finals);
}

/** Starts generating; records stream out of `samples` as they are made. */
export function startGeneration(opts: GenerateOptions): Generation {
  if (opts.tasks.length > 0 && opts.style === "vanilla" && opts.prompt.shots.some((s) => opts.tasks.some((t) => t.taskId === s.taskId))) {
    // A worked example that is also asked would hand the model its answer.
    const clash = opts.prompt.shots.find((s) => opts.tasks.some((t) => t.taskId === s.taskId));
    throw new InputError(`few-shot example task ${clash?.taskId} is also a task to generate for; use a split without it or 0 shots`);
  }
  const queue = createQueue<GenerationRecord>();
  const existing = opts.existing ?? new Map<string, GenerationRecord>();
  const started = performance.now();
  const stats: GenerationStats = { samples: 0, requests: 0, cachedRequests: 0, failures: [], seconds: 0 };
  const providerId = opts.provider.id();
  const extra: Record<string, unknown> = {};
  if (opts.sampling.top_k !== undefined) extra.top_k = opts.sampling.top_k;
  if (opts.sampling.repetition_penalty !== undefined) extra.repetition_penalty = opts.sampling.repetition_penalty;

  const emit = (record: GenerationRecord): void => {
    stats.samples++;
    opts.onRecord?.(record);
    queue.push(record);
  };

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
  const ask = async (req: GenerationRequest): Promise<GenerationResult> => {
    if (req.n <= maxN) return askOne(req);
    const parts: GenerationRequest[] = [];
    for (let j = 0, left = req.n; left > 0; j++, left -= maxN) {
      parts.push({ ...req, n: Math.min(maxN, left), seed: (req.seed ?? 0) + j * SPLIT_SEED_STRIDE });
    }
    const results = await Promise.all(parts.map(askOne));
    return {
      texts: results.flatMap((r) => r.texts),
      finishReasons: results.flatMap((r) => r.finishReasons),
      usage: {
        promptTokens: results.reduce((s, r) => s + r.usage.promptTokens, 0),
        completionTokens: results.reduce((s, r) => s + r.usage.completionTokens, 0),
      },
      // The parts ran side by side: the answer took as long as the slowest.
      latencyMs: Math.max(...results.map((r) => r.latencyMs)),
      cached: results.every((r) => r.cached),
    };
  };

  const sampling = (seed: number, n: number): GenerationRecord["sampling"] => ({
    temperature: opts.sampling.temperature,
    top_p: opts.sampling.top_p,
    ...(opts.sampling.top_k !== undefined ? { top_k: opts.sampling.top_k } : {}),
    ...(opts.sampling.repetition_penalty !== undefined ? { repetition_penalty: opts.sampling.repetition_penalty } : {}),
    max_tokens: opts.sampling.max_tokens,
    seed,
    n,
  });

  /** The request fields every style shares. */
  const baseRequest = (n: number, seed: number, more: Record<string, unknown> = {}): Omit<GenerationRequest, "prompt" | "messages"> => {
    const all = { ...extra, ...more };
    return {
      n,
      temperature: opts.sampling.temperature,
      top_p: opts.sampling.top_p,
      max_tokens: opts.sampling.max_tokens,
      seed,
      ...(Object.keys(all).length > 0 ? { extra: all } : {}),
    };
  };

  const pseudoOptions = { tests: opts.prompt.tests };

  /** The request for the next step of a pseudocode path. */
  const stepRequest = (task: PromptTask, previous: string[], n: number, seed: number): GenerationRequest => {
    const step = previous.length + 1;
    if (opts.api === "chat") {
      const { messages, extra: chatExtra } = buildStepMessages(task, previous, step, pseudoOptions);
      return { messages, stop: [...PSEUDOCODE_STOP], ...baseRequest(n, seed, chatExtra) };
    }
    return { prompt: buildStepPrompt(task, previous, step, pseudoOptions), stop: [...PSEUDOCODE_STOP], ...baseRequest(n, seed) };
  };

  /** The vanilla request: MBPP's prompt in completion mode, a conversation in chat mode. */
  const vanillaRequest = (task: PromptTask, n: number, seed: number): GenerationRequest => {
    const vanilla = { shots: opts.prompt.shots, tests: opts.prompt.tests };
    if (opts.api === "chat") return { messages: buildVanillaChat(task, vanilla).messages, ...baseRequest(n, seed) };
    const { prompt, stop } = buildVanillaPrompt(task, vanilla);
    return { prompt, stop, ...baseRequest(n, seed) };
  };

  const usageOf = (results: GenerationResult[], perRequest: number): GenerationRecord["usage"] => ({
    prompt_tokens: results.reduce((s, r) => s + r.usage.promptTokens, 0),
    completion_tokens: results.reduce((s, r) => s + r.usage.completionTokens, 0),
    requests: results.length,
    samples_per_request: perRequest,
  });

  /** Records for the texts of one vanilla request. */
  const vanillaRecords = (task: PromptTask, result: GenerationResult, seed: number, slots: { index: number; role: GenerationRecord["role"]; path?: number; final?: number }[]): GenerationRecord[] =>
    slots.map((slot, i) => {
      const text = result.texts[i] ?? "";
      const code = parseVanillaOutput(text, task);
      return {
        task_id: task.taskId,
        sample_index: slot.index,
        solution: code.code,
        style: "vanilla",
        role: slot.role,
        ...(slot.path !== undefined ? { path: slot.path } : {}),
        ...(slot.final !== undefined ? { final: slot.final } : {}),
        code_source: code.source,
        ...choiceFields(result, i, seed, slots.length),
      };
    });

  /** What a record of one choice (of `n` in one request) keeps of that request: the answer, sampling, usage. */
  const choiceFields = (result: GenerationResult, i: number, seed: number, n: number) => ({
    raw: [result.texts[i] ?? ""],
    finish_reasons: [result.finishReasons[i] ?? null],
    sampling: sampling(seed, n),
    usage: usageOf([result], n),
    latency_ms: result.latencyMs,
    cached: result.cached,
    model: providerId,
  });

  /** One pseudocode path, generated step by step. */
  const pseudocodePath = async (task: PromptTask, index: number, role: "sample" | "path", seed: number): Promise<GenerationRecord> => {
    const results: GenerationResult[] = [];
    const steps: string[] = [];
    const path = await generateStepwise(
      task,
      async () => {
        const result = await ask(stepRequest(task, steps, 1, seed));
        results.push(result);
        const text = result.texts[0] ?? "";
        // generateStepwise parses the same text the same way; the copy builds the next chat request.
        steps.push(parseStep(text));
        return text;
      },
      { ...pseudoOptions, maxSteps: opts.prompt.maxSteps },
    );
    return {
      task_id: task.taskId,
      sample_index: index,
      solution: path.program ?? "",
      style: "pseudocode",
      role,
      ...(role === "path" ? { path: index } : {}),
      steps: path.steps,
      raw: results.map((r) => r.texts[0] ?? ""),
      code_source: path.stoppedBy === "terminal" ? "terminal_step" : "step_limit",
      finish_reasons: results.map((r) => r.finishReasons[0] ?? null),
      sampling: sampling(seed, 1),
      usage: usageOf(results, 1),
      latency_ms: results.reduce((s, r) => s + r.latencyMs, 0),
      cached: results.every((r) => r.cached),
      model: providerId,
    };
  };

  /** Final steps sampled from a pseudocode path's prefix (the steps before its code step). */
  const pseudocodeFinals = (task: PromptTask, path: GenerationRecord, result: GenerationResult, seed: number, slots: { index: number; final: number }[]): GenerationRecord[] => {
    const steps = path.steps ?? [];
    const prefix = steps.slice(0, Math.max(0, steps.findIndex(isTerminalStep)));
    return slots.map((slot, i) => {
      const text = result.texts[i] ?? "";
      const step = parseStep(text);
      const terminal = isTerminalStep(step);
      return {
        task_id: task.taskId,
        sample_index: slot.index,
        // A final step that writes no code does not reach a program: it fails, as the paper's terminal test has it.
        solution: terminal ? (programFromSteps([step]) ?? "") : "",
        style: "pseudocode",
        role: "final",
        path: path.path ?? 0,
        final: slot.final,
        steps: [...prefix, step],
        code_source: terminal ? "terminal_step" : "no_code",
        ...choiceFields(result, i, seed, slots.length),
      };
    });
  };

  type Unit = { task: PromptTask; run: () => Promise<void>; what: string };
  const units: Unit[] = [];
  const has = (task: PromptTask, index: number): boolean => existing.has(sampleKey(task.taskId, index));
  const { plan } = opts;
  for (const task of opts.tasks) {
    if (plan.purpose === "pass1") {
      if (opts.style === "vanilla") {
        const missing = Array.from({ length: plan.n }, (_, i) => i).filter((i) => !has(task, i));
        if (missing.length === 0) continue;
        units.push({
          task,
          what: `samples 0-${plan.n - 1}`,
          run: async () => {
            // One request draws all n: the server batches them and shares the prompt's prefill.
            const result = await ask(vanillaRequest(task, plan.n, opts.sampling.seed));
            const records = vanillaRecords(task, result, opts.sampling.seed, Array.from({ length: plan.n }, (_, i) => ({ index: i, role: "sample" as const })));
            for (const r of records) if (missing.includes(r.sample_index)) emit(r);
          },
        });
      } else {
        for (let i = 0; i < plan.n; i++) {
          if (has(task, i)) continue;
          units.push({ task, what: `sample ${i}`, run: async () => emit(await pseudocodePath(task, i, "sample", opts.sampling.seed + i)) });
        }
      }
      continue;
    }
    const { paths: P, finals: M } = plan;
    for (let p = 0; p < P; p++) {
      const finalSlots = Array.from({ length: M }, (_, m) => ({ index: P + p * M + m, final: m }));
      if (has(task, p) && finalSlots.every((s) => has(task, s.index))) continue;
      units.push({
        task,
        what: `path ${p} and its finals`,
        run: async () => {
          const pathSeed = opts.sampling.seed + p;
          const finalsSeed = opts.sampling.seed + P + p;
          let path = existing.get(sampleKey(task.taskId, p));
          if (path === undefined) {
            if (opts.style === "vanilla") {
              const result = await ask(vanillaRequest(task, 1, pathSeed));
              path = vanillaRecords(task, result, pathSeed, [{ index: p, role: "path", path: p }])[0];
            } else {
              path = await pseudocodePath(task, p, "path", pathSeed);
            }
            if (path === undefined) throw new Error("internal: no path record");
            emit(path);
          }
          const missing = finalSlots.filter((s) => !has(task, s.index));
          if (missing.length === 0) return;
          if (opts.style === "vanilla") {
            // Vanilla's prefix is the prompt: the finals are fresh answers to it.
            const result = await ask(vanillaRequest(task, M, finalsSeed));
            const records = vanillaRecords(task, result, finalsSeed, finalSlots.map((s) => ({ index: s.index, role: "final" as const, path: p, final: s.final })));
            for (const r of records) if (missing.some((s) => s.index === r.sample_index)) emit(r);
            return;
          }
          const steps = path.steps ?? [];
          // A path that never wrote code has no final step to resample; it is not correct either.
          if (!steps.some(isTerminalStep)) return;
          const prefix = steps.slice(0, steps.findIndex(isTerminalStep));
          const result = await ask(stepRequest(task, prefix, M, finalsSeed));
          for (const r of pseudocodeFinals(task, path, result, finalsSeed, finalSlots)) {
            if (missing.some((s) => s.index === r.sample_index)) emit(r);
          }
        },
      });
    }
  }

  const concurrency = Math.max(1, opts.concurrency ?? 8);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < units.length && !opts.signal?.aborted) {
      const unit = units[next++];
      if (unit === undefined) return;
      try {
        await unit.run();
      } catch (err) {
        if (!(err instanceof RequestFailed)) throw err;
        stats.failures.push({ taskId: unit.task.taskId, what: unit.what, error: err.error });
      }
    }
  };
  const done = Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, units.length)) }, worker)).then(
    () => {
      stats.seconds = (performance.now() - started) / 1000;
      queue.close();
      return stats;
    },
    (err: unknown) => {
      // Stop handing out work: the fault (server gone, bad key) would fail every unit left.
      next = units.length;
      queue.fail(err);
      throw err;
    },
  );
  // The consumer sees the fault through the stream; a caller that only iterates must not crash the process.
  done.catch(() => undefined);
  return { samples: queue, done };
}

/** Generates everything and hands each record to `onSample` as it is made. */
export async function generateSamples(opts: GenerateOptions, onSample: (record: GenerationRecord) => void): Promise<GenerationStats> {
  const generation = startGeneration(opts);
  for await (const record of generation.samples) onSample(record);
  return generation.done;
}

/** An unbounded single-consumer queue that is also an async iterable. */
interface Queue<T> extends AsyncIterable<T> {
  push(item: T): void;
  close(): void;
  fail(err: unknown): void;
}

function createQueue<T>(): Queue<T> {
  let items: T[] = [];
  let head = 0;
  let closed = false;
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(item) {
      items.push(item);
      signal();
    },
    close() {
      closed = true;
      signal();
    },
    fail(err) {
      failure = { err };
      signal();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failure) throw failure.err;
        if (head < items.length) {
          const item = items[head++] as T;
          // Drop consumed items now and then, so a long run does not keep them all.
          if (head > 1024 && head * 2 > items.length) {
            items = items.slice(head);
            head = 0;
          }
          yield item;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
