import type { GenerationResult } from "../models/provider.js";
import type { PromptStyle } from "../prompts/prompt-style.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import type { FinalSlot } from "../prompts/sample-slots.js";
import type { GenerationRecord } from "../runner/run-format.js";

/**
 * The records of generations.jsonl: what each drawn sample keeps of the requests that made it
 * (the answers verbatim, finish reasons, sampling, token usage, latency), built the same way
 * for every prompt style.
 */

/** Sampling parameters of one generation (the OpenAI fields plus vLLM/SGLang extras). */
export interface SamplingSettings {
  temperature: number;
  top_p: number;
  top_k?: number;
  repetition_penalty?: number;
  max_tokens: number;
  /** The first seed (see src/prompts/sample-slots.ts). */
  seed: number;
}

/** A slot an answer fills: its index, role, and (ASPR) its path and final. */
export interface AnswerSlot {
  index: number;
  role: GenerationRecord["role"];
  path?: number;
  final?: number;
}

/** Builds the records of one generation (a style, its sampling, the provider that answers). */
export interface RecordMaker {
  /** Records for the texts of one request of an answer-shaped style, one per slot. */
  answers(task: PromptTask, result: GenerationResult, seed: number, slots: readonly AnswerSlot[]): GenerationRecord[];
  /** The record of one step-by-step path. */
  path(task: PromptTask, index: number, role: "sample" | "path", seed: number, steps: string[], results: GenerationResult[], terminal: boolean): GenerationRecord;
  /** Final steps sampled from a path's prefix (the steps before its code step), one per slot. */
  finals(task: PromptTask, path: GenerationRecord, prefix: string[], result: GenerationResult, seed: number, slots: readonly FinalSlot[]): GenerationRecord[];
}

/** A record maker for `style`'s samples with these settings, answered by `providerId`. */
export function createRecordMaker(style: PromptStyle, sampling: SamplingSettings, providerId: string): RecordMaker {
  const settings = (seed: number, n: number): GenerationRecord["sampling"] => ({
    temperature: sampling.temperature,
    top_p: sampling.top_p,
    ...(sampling.top_k !== undefined ? { top_k: sampling.top_k } : {}),
    ...(sampling.repetition_penalty !== undefined ? { repetition_penalty: sampling.repetition_penalty } : {}),
    max_tokens: sampling.max_tokens,
    seed,
    n,
  });
  const usageOf = (results: readonly GenerationResult[], perRequest: number): GenerationRecord["usage"] => ({
    prompt_tokens: results.reduce((s, r) => s + r.usage.promptTokens, 0),
    completion_tokens: results.reduce((s, r) => s + r.usage.completionTokens, 0),
    requests: results.length,
    samples_per_request: perRequest,
  });
  /** What a record of one choice (of `n` in one request) keeps of that request. */
  const choice = (result: GenerationResult, i: number, seed: number, n: number) => ({
    raw: [result.texts[i] ?? ""],
    finish_reasons: [result.finishReasons[i] ?? null],
    sampling: settings(seed, n),
    usage: usageOf([result], n),
    latency_ms: result.latencyMs,
    cached: result.cached,
    model: providerId,
  });
  const name = style.name as GenerationRecord["style"];
  return {
    answers: (task, result, seed, slots) =>
      slots.map((slot, i) => {
        const parsed = style.parse(result.texts[i] ?? "", task);
        return {
          task_id: task.taskId,
          sample_index: slot.index,
          solution: style.toProgram([parsed.text]) ?? "",
          style: name,
          role: slot.role,
          ...(slot.path !== undefined ? { path: slot.path } : {}),
          ...(slot.final !== undefined ? { final: slot.final } : {}),
          code_source: parsed.source,
          ...choice(result, i, seed, slots.length),
        };
      }),
    path: (task, index, role, seed, steps, results, terminal) => ({
      task_id: task.taskId,
      sample_index: index,
      solution: style.toProgram(steps) ?? "",
      style: name,
      role,
      ...(role === "path" ? { path: index } : {}),
      steps,
      raw: results.map((r) => r.texts[0] ?? ""),
      code_source: terminal ? "terminal_step" : "step_limit",
      finish_reasons: results.map((r) => r.finishReasons[0] ?? null),
      sampling: settings(seed, 1),
      usage: usageOf(results, 1),
      latency_ms: results.reduce((s, r) => s + r.latencyMs, 0),
      cached: results.every((r) => r.cached),
      model: providerId,
    }),
    finals: (task, path, prefix, result, seed, slots) =>
      slots.map((slot, i) => {
        const step = style.parse(result.texts[i] ?? "", task).text;
        const terminal = style.isTerminal?.(step) ?? true;
        return {
          task_id: task.taskId,
          sample_index: slot.index,
          // A final step that writes no code does not reach a program: it fails, as the paper's terminal test has it.
          solution: terminal ? (style.toProgram([step]) ?? "") : "",
          style: name,
          role: "final" as const,
          path: path.path ?? 0,
          final: slot.final,
          steps: [...prefix, step],
          code_source: terminal ? "terminal_step" : "no_code",
          ...choice(result, i, seed, slots.length),
        };
      }),
  };
}
