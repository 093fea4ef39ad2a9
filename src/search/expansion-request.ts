import type { OpenAIApi } from "../models/openai-compatible.js";
import { buildStepMessages, continueSteps, pseudocodeHeader, PSEUDOCODE_STOP, type PseudocodeOptions } from "../prompts/pseudocode.js";
import type { ExpansionRequest } from "./policy.js";
import type { SearchSettings } from "./search-config.js";
import type { SearchTask } from "./search-task.js";

/**
 * Builds the expansion requests of one task. The completions prompt is the pseudocode prompt
 * (instruction, worked example, task), then the path's steps, each
 * `<Step_Begin>\n### Step k: …<Step_End>\n\n`, ending in `<Step_Begin>\n### Step n:`, with
 * generation stopping at `<Step_End>`. The header is built once per task and every prompt of
 * the task starts with it, and a child's prompt starts with its parent's steps: that shared
 * prefix is what vLLM's `--enable-prefix-caching` reuses. Chat models get the same text as
 * messages, the path as an assistant message the server continues.
 */
export interface ExpansionRequests {
  /** The header every prompt of the task starts with (also the prompt the exports write). */
  header: string;
  /** The request for the next step after `steps`, for the node `nodeId`. */
  request(nodeId: number, steps: readonly string[]): ExpansionRequest;
}

/** Request seeds of expansion node `id` are `seed + id`: distinct within a task, so the response cache never folds two expansions. */
export function expansionSeed(settings: Pick<SearchSettings, "seed">, nodeId: number): number {
  return settings.seed + nodeId;
}

/** The sampling part of a step request: the OpenAI fields plus the vLLM / SGLang extras. */
export function stepSampling(
  settings: SearchSettings,
  n: number,
  seed: number,
  extra: Record<string, unknown> = {},
): Omit<ExpansionRequest, "requestId" | "prompt" | "messages"> {
  const extras: Record<string, unknown> = { ...extra };
  if (settings.top_k !== undefined) extras.top_k = settings.top_k;
  if (settings.repetition_penalty !== undefined) extras.repetition_penalty = settings.repetition_penalty;
  return { n, temperature: settings.temperature, top_p: settings.top_p, max_tokens: settings.max_tokens, stop: [...PSEUDOCODE_STOP], seed, extra: extras };
}

/** The request builder of one task. With PUCT the request asks for logprobs (the prior). */
export function createExpansionRequests(task: SearchTask, settings: SearchSettings, api: OpenAIApi, prompt: PseudocodeOptions = {}): ExpansionRequests {
  const header = pseudocodeHeader(task.prompt, prompt);
  const logprobs: Record<string, unknown> = settings.selection === "puct" ? { logprobs: api === "chat" ? true : 1 } : {};
  return {
    header,
    request(nodeId, steps) {
      const requestId = `${task.taskId}#${nodeId}`;
      const seed = expansionSeed(settings, nodeId);
      if (api === "completions") {
        return { requestId, prompt: continueSteps(header, steps, steps.length + 1), ...stepSampling(settings, settings.n, seed, logprobs) };
      }
      const chat = buildStepMessages(task.prompt, [...steps], steps.length + 1, prompt);
      return { requestId, messages: chat.messages, ...stepSampling(settings, settings.n, seed, { ...chat.extra, ...logprobs }) };
    },
  };
}
