import { z } from "zod";

/**
 * The policy-model contract: one request in, n texts out. Every provider (an HTTP client,
 * a replay of recorded outputs, a cache in front of either) implements it.
 *
 * Expected failures (a request that still fails after its retries, a prompt the server
 * rejects) come back as a result with `error` set and no texts, so a run can record them
 * and go on. Faults that would fail every request (server unreachable, bad credentials,
 * unknown model) throw.
 */

export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});

/** One message of a chat conversation. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const generationRequestSchema = z.object({
  /** The raw prompt (completions API). */
  prompt: z.string().optional(),
  /** The conversation (chat API). */
  messages: z.array(chatMessageSchema).optional(),
  /** Samples to draw for this prompt. */
  n: z.number().int().positive(),
  temperature: z.number(),
  top_p: z.number(),
  max_tokens: z.number().int().positive(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  /** Server-specific sampling fields sent as they are (vLLM/SGLang: top_k, repetition_penalty, ...). */
  extra: z.record(z.string(), z.unknown()).optional(),
});

/** What to ask the model. Field names follow the OpenAI API so they read the same in logs and recordings. */
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

export const generationErrorSchema = z.object({
  /** `http`: the server answered with an error status; `timeout`: no answer in time; `network`: the connection broke; `invalid_response`: an answer that is not the API's shape. */
  kind: z.enum(["http", "timeout", "network", "invalid_response"]),
  status: z.number().int().optional(),
  message: z.string(),
});

/** Why a request produced no texts. */
export type GenerationError = z.infer<typeof generationErrorSchema>;

/** A failed request as people read it: the server's status first when it answered one ("HTTP 500: CUDA out of memory"). */
export function describeGenerationError(e: GenerationError): string {
  return e.kind === "http" && e.status !== undefined ? `HTTP ${e.status}: ${e.message}` : e.message;
}

export const generationResultSchema = z.object({
  /** One text per sample, in the server's choice order. Empty when `error` is set. */
  texts: z.array(z.string()),
  /** Per text: "stop", "length", ... (null when the server did not say). */
  finishReasons: z.array(z.string().nullable()),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }),
  /** Wall-clock ms from the first attempt to the answer, retries included (not the wait for a concurrency slot). */
  latencyMs: z.number(),
  /** True when no model was asked (served from the response cache or a recording). */
  cached: z.boolean(),
  /** HTTP attempts made (1 when the first one answered). */
  attempts: z.number().int().optional(),
  error: generationErrorSchema.optional(),
  /** The server's response body, for debugging. */
  raw: z.unknown().optional(),
});

/** What the model answered. */
export type GenerationResult = z.infer<typeof generationResultSchema>;

/** A source of model outputs. */
export interface Provider {
  /**
   * Identifies everything besides the request that decides the answer (for an HTTP provider:
   * API, model and base URL). The response cache keys on it, so two providers that could
   * answer differently must never share an id.
   */
  id(): string;
  /** Draws `req.n` samples. Resolves with an error result for expected failures; throws only for faults. */
  complete(req: GenerationRequest): Promise<GenerationResult>;
}
