import { InputError, SetupError } from "../core/errors.js";
import { DEFAULT_BACKOFF, fullJitterDelay, parseRetryAfter, type BackoffOptions } from "./backoff.js";
import pLimit from "p-limit";
import pRetry from "p-retry";
import type { GenerationError, GenerationRequest, GenerationResult, Provider } from "./provider.js";

/** Which OpenAI endpoint to call: `/completions` (raw prompt) or `/chat/completions` (messages). */
export type OpenAIApi = "completions" | "chat";

/** Settings of an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, Ollama, OpenAI itself). */
export interface OpenAICompatibleOptions {
  /** The API root, e.g. http://127.0.0.1:8000/v1 (the endpoint path is appended). */
  baseUrl: string;
  model: string;
  api: OpenAIApi;
  /** Name of the environment variable holding the API key; no Authorization header when unset or empty. */
  apiKeyEnv?: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Per-attempt limit in ms, reading the whole answer included (default 300000). */
  timeoutMs?: number;
  /** Retries after the first attempt for 408/425/429/5xx, timeouts and broken connections (default 4). */
  retries?: number;
  backoff?: Partial<BackoffOptions>;
  fetch?: typeof fetch;
  /** Where apiKeyEnv is looked up (default process.env). */
  env?: Record<string, string | undefined>;
  /** Waits between attempts (tests pass a recorder instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). */
  random?: () => number;
}

/** Fields the provider sets itself; `extra` may not override them. */
const RESERVED_FIELDS = new Set(["model", "prompt", "messages", "n", "temperature", "top_p", "max_tokens", "stop", "seed", "stream"]);

/** Statuses worth another try: the server is busy, restarting or briefly broken. */
const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** Connection errors that mean nobody is listening, as opposed to a connection that broke. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

type Attempt =
  | { kind: "done"; result: GenerationResult }
  | { kind: "failed"; error: GenerationError; retryable: boolean; retryAfterMs?: number; unreachable?: boolean };

/** Creates a provider that talks to an OpenAI-compatible HTTP server. (A factory: its length is the provider's methods, which share the endpoint, limiter and retry settings it closes over.) */
export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions): Provider {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const endpoint = `${baseUrl}/${options.api === "chat" ? "chat/completions" : "completions"}`;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const retries = options.retries ?? 4;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const doFetch = options.fetch ?? globalThis.fetch;
  const env = options.env ?? process.env;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const limit = pLimit(options.concurrency ?? 8);
  const providerId = `openai-compatible/${options.api}:${options.model}@${baseUrl}`;

  const headers = (): Record<string, string> => {
    const out: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    const key = options.apiKeyEnv ? env[options.apiKeyEnv] : undefined;
    if (key) out.authorization = `Bearer ${key}`;
    return out;
  };

  const attempt = async (body: string): Promise<Attempt> => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      const response = await doFetch(endpoint, { method: "POST", headers: headers(), body, signal: controller.signal });
      // The body is read under the same deadline: a server can stall after sending headers.
      const text = await response.text();
      if (response.ok) return parseAnswer(text, options.api);
      const message = errorMessage(text);
      if (response.status === 401 || response.status === 403) {
        const hint = options.apiKeyEnv ? ` (key from $${options.apiKeyEnv}${env[options.apiKeyEnv] ? "" : ", which is unset"})` : " (set apiKeyEnv to send a key)";
        throw new SetupError(`${endpoint} refused the request with HTTP ${response.status}${hint}: ${message}`);
      }
      if (response.status === 404) {
        throw new SetupError(`${endpoint} answered HTTP 404 for model ${JSON.stringify(options.model)}; check the base URL (it usually ends in /v1) and the served model name: ${message}`);
      }
      const retryable = RETRYABLE_STATUS.has(response.status) || response.status >= 500;
      return {
        kind: "failed",
        error: { kind: "http", status: response.status, message },
        retryable,
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      };
    } catch (err) {
      if (err instanceof SetupError) throw err;
      if (timedOut) return { kind: "failed", error: { kind: "timeout", message: `no complete answer within ${timeoutMs} ms` }, retryable: true };
      const code = errorCode(err);
      return {
        kind: "failed",
        error: { kind: "network", message: `${describe(err)}${code ? ` (${code})` : ""}` },
        retryable: true,
        unreachable: code !== undefined && UNREACHABLE_CODES.has(code),
      };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    id: () => providerId,
    async complete(req: GenerationRequest): Promise<GenerationResult> {
      const body = JSON.stringify(requestBody(req, options.model, options.api));
      return limit(async () => {
        const started = performance.now();
        let attempts = 0;
        try {
          const result = await pRetry(
            async () => {
              attempts++;
              const outcome = await attempt(body);
              if (outcome.kind === "done") return outcome.result;
              throw new FailedAttempt(outcome);
            },
            {
              retries,
              // The wait is ours (full jitter, or the server's Retry-After), taken in onFailedAttempt.
              minTimeout: 0,
              maxTimeout: 0,
              shouldRetry: ({ error }) => error instanceof FailedAttempt && error.outcome.retryable,
              onFailedAttempt: async ({ error, retriesLeft }) => {
                if (!(error instanceof FailedAttempt) || !error.outcome.retryable || retriesLeft === 0) return;
                const { retryAfterMs } = error.outcome;
                await sleep(retryAfterMs !== undefined ? Math.min(retryAfterMs, backoff.retryAfterMaxMs) : fullJitterDelay(attempts - 1, backoff, random));
              },
            },
          );
          return { ...result, latencyMs: Math.round(performance.now() - started), attempts };
        } catch (err) {
          if (!(err instanceof FailedAttempt)) throw err;
          if (err.outcome.unreachable) throw new SetupError(`no model server answers at ${endpoint} after ${attempts} attempts: ${err.outcome.error.message}`);
          const latencyMs = Math.round(performance.now() - started);
          return { texts: [], finishReasons: [], usage: { promptTokens: 0, completionTokens: 0 }, latencyMs, cached: false, attempts, error: err.outcome.error };
        }
      });
    },
  };
}

/** An attempt that failed, carried through p-retry so its retry decision and wait are the provider's. */
class FailedAttempt extends Error {
  constructor(readonly outcome: Extract<Attempt, { kind: "failed" }>) {
    super(outcome.error.message);
  }
}

/** The JSON body for one request: the API's own fields first, then the server-specific extras. */
export function requestBody(req: GenerationRequest, model: string, api: OpenAIApi): Record<string, unknown> {
  if (api === "completions" && (req.prompt === undefined || req.messages !== undefined)) {
    throw new InputError("the completions API takes a prompt and no messages");
  }
  if (api === "chat" && (req.messages === undefined || req.prompt !== undefined)) {
    throw new InputError("the chat API takes messages and no prompt");
  }
  const body: Record<string, unknown> = { model };
  if (api === "completions") body.prompt = req.prompt;
  else body.messages = req.messages;
  body.n = req.n;
  body.temperature = req.temperature;
  body.top_p = req.top_p;
  body.max_tokens = req.max_tokens;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  for (const [key, value] of Object.entries(req.extra ?? {})) {
    if (RESERVED_FIELDS.has(key)) throw new InputError(`extra sampling field ${JSON.stringify(key)} would override a field the provider sets`);
    if (value !== undefined) body[key] = value;
  }
  return body;
}

function parseAnswer(text: string, api: OpenAIApi): Attempt {
  const invalid = (why: string): Attempt => ({
    kind: "failed",
    error: { kind: "invalid_response", message: `${why}: ${text.slice(0, 300)}` },
    retryable: false,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return invalid("the answer is not JSON");
  }
  if (!isRecord(json) || !Array.isArray(json.choices)) return invalid("the answer has no choices");
  const choices: { index: number; text: string; finish: string | null }[] = [];
  for (const [position, choice] of json.choices.entries()) {
    if (!isRecord(choice)) return invalid("a choice is not an object");
    let content: unknown;
    if (api === "chat") {
      if (!isRecord(choice.message)) return invalid("a chat choice has no message");
      // A null content is a legitimate empty answer (e.g. the model stopped at once).
      content = choice.message.content ?? "";
    } else {
      content = choice.text;
    }
    if (typeof content !== "string") return invalid("a choice has no text");
    choices.push({
      index: typeof choice.index === "number" ? choice.index : position,
      text: content,
      finish: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
    });
  }
  choices.sort((a, b) => a.index - b.index);
  const usage = isRecord(json.usage) ? json.usage : {};
  return {
    kind: "done",
    result: {
      texts: choices.map((c) => c.text),
      finishReasons: choices.map((c) => c.finish),
      usage: { promptTokens: intOr0(usage.prompt_tokens), completionTokens: intOr0(usage.completion_tokens) },
      latencyMs: 0,
      cached: false,
      raw: json,
    },
  };
}

/** The server's own words about an error, from the shapes OpenAI, vLLM and FastAPI use. */
function errorMessage(text: string): string {
  try {
    const json: unknown = JSON.parse(text);
    if (isRecord(json)) {
      if (isRecord(json.error) && typeof json.error.message === "string") return json.error.message;
      if (typeof json.message === "string") return json.message;
      if (typeof json.error === "string") return json.error;
      if (json.detail !== undefined) return typeof json.detail === "string" ? json.detail : JSON.stringify(json.detail);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500) || "(empty body)";
}

function errorCode(err: unknown): string | undefined {
  // undici wraps socket errors: TypeError("fetch failed") with the system error as its cause.
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function intOr0(value: unknown): number {
  return typeof value === "number" && Number.isInteger(value) ? value : 0;
}
