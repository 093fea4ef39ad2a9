import type { OpenAIApi } from "../models/openai-compatible.js";
import type { GenerationRequest, Provider } from "../models/provider.js";

/**
 * The model side of the search: one expansion is one completions request for `n` candidate
 * next steps. The request is an OpenAI request (prompt or messages, n, sampling, stop, seed),
 * so the real policy is a thin wrapper of a Provider and a test double can read it the way a
 * server would.
 */

/** One expansion request: the OpenAI fields plus an id the search logs it under. */
export interface ExpansionRequest extends GenerationRequest {
  /** `<task id>#<node id>`: stable across runs, so a log line names the request that made a node. */
  requestId: string;
}

/** One candidate step as the server returned it. */
export interface StepCandidate {
  /** The raw completion (markers and a repeated `### Step n:` are cleaned by the search). */
  text: string;
  /** Mean log-probability of its tokens, when the server returned logprobs (PUCT's prior). */
  meanLogprob?: number | null;
}

/** What one expansion request returned. */
export interface StepProposal {
  /** The candidates, in the server's order; empty when the request failed. */
  candidates: StepCandidate[];
  usage: { promptTokens: number; completionTokens: number };
  /** Why no candidates came back (after the provider's retries): the node becomes a dead end. */
  error?: string;
}

/** A source of candidate steps. */
export interface StepPolicy {
  /** What identifies the model behind it (recorded with the search). */
  id(): string;
  /** Samples `request.n` candidate steps. Resolves with `error` for expected failures; throws only for faults. */
  propose(request: ExpansionRequest): Promise<StepProposal>;
}

/**
 * The policy of an OpenAI-compatible server (or a replay or cache in front of one). Logprobs
 * come from the server's own answer (`choices[i].logprobs`), when the request asked for them.
 */
export function createProviderPolicy(provider: Provider, api: OpenAIApi): StepPolicy {
  return {
    id: () => provider.id(),
    async propose(request) {
      const { requestId: _requestId, ...req } = request;
      const result = await provider.complete(req);
      const usage = result.usage;
      if (result.error) return { candidates: [], usage, error: `${result.error.kind}: ${result.error.message}` };
      const logprobs = meanLogprobs(result.raw, api, result.texts.length);
      return { candidates: result.texts.map((text, i) => ({ text, meanLogprob: logprobs[i] ?? null })), usage };
    },
  };
}

/**
 * Mean token logprob of each choice of an OpenAI answer, in choice-index order (the order of
 * the provider's texts); null for a choice without logprobs. Completions answers carry
 * `logprobs.token_logprobs`, chat answers `logprobs.content[].logprob`.
 */
export function meanLogprobs(raw: unknown, api: OpenAIApi, count: number): (number | null)[] {
  const out: (number | null)[] = new Array<number | null>(count).fill(null);
  if (!isRecord(raw) || !Array.isArray(raw.choices)) return out;
  const choices = raw.choices
    .map((choice, position) => ({ choice, index: isRecord(choice) && typeof choice.index === "number" ? choice.index : position }))
    .sort((a, b) => a.index - b.index);
  choices.forEach(({ choice }, i) => {
    if (i >= count || !isRecord(choice) || !isRecord(choice.logprobs)) return;
    const values =
      api === "chat"
        ? Array.isArray(choice.logprobs.content)
          ? choice.logprobs.content.map((t) => (isRecord(t) ? t.logprob : undefined))
          : []
        : Array.isArray(choice.logprobs.token_logprobs)
          ? choice.logprobs.token_logprobs
          : [];
    // A server may send null for the first token (no context to score it against).
    const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    out[i] = finite.length === 0 ? null : finite.reduce((s, v) => s + v, 0) / finite.length;
  });
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A policy that stops waiting as soon as `signal` aborts: the request in flight is abandoned
 * (its answer, if any, is never logged) and the call rejects with the signal's reason, so an
 * interrupt does not wait for a slow model server. A resume asks again.
 */
export function abortablePolicy(policy: StepPolicy, signal: AbortSignal): StepPolicy {
  return {
    id: () => policy.id(),
    propose: (request) =>
      new Promise<StepProposal>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error);
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        policy
          .propose(request)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener("abort", onAbort));
      }),
  };
}
