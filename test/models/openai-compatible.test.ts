import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InputError, SetupError } from "../../src/core/errors.js";
import { createOpenAICompatibleProvider, type OpenAICompatibleOptions } from "../../src/models/openai-compatible.js";
import type { GenerationRequest } from "../../src/models/provider.js";
import { buildStepPrompt, PSEUDOCODE_STOP } from "../../src/prompts/pseudocode.js";
import { buildVanillaChat, buildVanillaPrompt } from "../../src/prompts/vanilla.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

const task = {
  taskId: "11",
  text: "Write a python function to remove first and last occurrence of a given character from the string.",
  tests: ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"'],
};

/** The paper's public sampling defaults. */
const sampling = { n: 2, temperature: 0.8, top_p: 0.95, max_tokens: 512, extra: { top_k: 40, repetition_penalty: 1.1 } };

let server: OpenAITestServer;
let sleeps: number[];

beforeEach(async () => {
  server = await startOpenAITestServer();
  sleeps = [];
});
afterEach(async () => {
  await server.close();
});

function provider(overrides: Partial<OpenAICompatibleOptions> = {}) {
  return createOpenAICompatibleProvider({
    baseUrl: server.baseUrl,
    model: "Qwen/Qwen2.5-Coder-7B",
    api: "completions",
    concurrency: 4,
    timeoutMs: 2_000,
    retries: 3,
    backoff: { baseMs: 100, maxMs: 1_000 },
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
}

const completionRequest = (extra: Partial<GenerationRequest> = {}): GenerationRequest => ({ prompt: "p", n: 1, temperature: 0, top_p: 1, max_tokens: 16, ...extra });

describe("request bodies", () => {
  it("sends a vanilla completion with MBPP's markers, the [DONE] stop and every sampling field", async () => {
    const { prompt, stop } = buildVanillaPrompt(task);
    const result = await provider().complete({ prompt, stop, seed: 7, ...sampling });
    expect(result.error).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe("/v1/completions");
    expect(server.requests[0]?.body).toMatchInlineSnapshot(`
      {
        "max_tokens": 512,
        "model": "Qwen/Qwen2.5-Coder-7B",
        "n": 2,
        "prompt": "You are an expert Python programmer, and here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:

      assert remove_Occ("hello","l") == "heo"
      assert remove_Occ("abcda","a") == "bcd"
      [BEGIN]
      ",
        "repetition_penalty": 1.1,
        "seed": 7,
        "stop": [
          "[DONE]",
        ],
        "temperature": 0.8,
        "top_k": 40,
        "top_p": 0.95,
      }
    `);
  });

  it("sends a pseudocode step ending in the step header and stopping at <Step_End>", async () => {
    const prompt = buildStepPrompt(task, ["Define the structure (Action 1)\n#### Goal:\nRemove two characters."], 2);
    await provider().complete({ prompt, stop: PSEUDOCODE_STOP, ...sampling, n: 3 });
    const body = server.requests[0]?.body ?? {};
    const sent = String(body.prompt);
    expect({ ...body, prompt: `…${sent.slice(-160)}` }).toMatchInlineSnapshot(`
      {
        "max_tokens": 512,
        "model": "Qwen/Qwen2.5-Coder-7B",
        "n": 3,
        "prompt": "…remove_Occ("abcda","a") == "bcd"

      <Step_Begin>
      ### Step 1: Define the structure (Action 1)
      #### Goal:
      Remove two characters.<Step_End>

      <Step_Begin>
      ### Step 2:",
        "repetition_penalty": 1.1,
        "stop": [
          "<Step_End>",
        ],
        "temperature": 0.8,
        "top_k": 40,
        "top_p": 0.95,
      }
    `);
  });

  it("sends chat messages to /chat/completions and reads message contents", async () => {
    server.respond(() => ({ kind: "answer", texts: ["```python\ndef remove_Occ(s, ch):\n    return s\n```"] }));
    const { messages } = buildVanillaChat(task);
    const result = await provider({ api: "chat", model: "Qwen/Qwen2.5-7B-Instruct" }).complete({ messages, n: 1, temperature: 0, top_p: 1, max_tokens: 256 });
    expect(result.texts).toEqual(["```python\ndef remove_Occ(s, ch):\n    return s\n```"]);
    expect(server.requests[0]?.path).toBe("/v1/chat/completions");
    expect(server.requests[0]?.body).toMatchInlineSnapshot(`
      {
        "max_tokens": 256,
        "messages": [
          {
            "content": "You are an expert Python programmer.",
            "role": "system",
          },
          {
            "content": "Here is your task: Write a python function to remove first and last occurrence of a given character from the string. Your code should pass these tests:

      assert remove_Occ("hello","l") == "heo"
      assert remove_Occ("abcda","a") == "bcd"

      Write the complete Python code in a single \`\`\`python code block.",
            "role": "user",
          },
        ],
        "model": "Qwen/Qwen2.5-7B-Instruct",
        "n": 1,
        "temperature": 0,
        "top_p": 1,
      }
    `);
  });

  it("sends a bearer token from the named environment variable, and none when it is unset", async () => {
    await provider({ apiKeyEnv: "TEST_KEY", env: { TEST_KEY: "sk-test" } }).complete(completionRequest());
    await provider({ apiKeyEnv: "TEST_KEY", env: {} }).complete(completionRequest());
    expect(server.requests[0]?.headers.authorization).toBe("Bearer sk-test");
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });

  it("refuses requests that do not fit the API and extras that would override its fields", async () => {
    await expect(provider().complete({ messages: [{ role: "user", content: "x" }], n: 1, temperature: 0, top_p: 1, max_tokens: 8 })).rejects.toThrow(InputError);
    await expect(provider({ api: "chat" }).complete(completionRequest())).rejects.toThrow(InputError);
    await expect(provider().complete(completionRequest({ extra: { max_tokens: 9 } }))).rejects.toThrow(/override/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("answers", () => {
  it("records texts in choice order, finish reasons, usage, latency and attempts", async () => {
    server.respond(() => ({
      kind: "raw",
      status: 200,
      body: JSON.stringify({
        choices: [
          { index: 1, text: "second", finish_reason: "length" },
          { index: 0, text: "first", finish_reason: "stop" },
        ],
        usage: { prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 },
      }),
      delayMs: 60,
    }));
    const result = await provider().complete(completionRequest({ n: 2 }));
    expect(result.texts).toEqual(["first", "second"]);
    expect(result.finishReasons).toEqual(["stop", "length"]);
    expect(result.usage).toEqual({ promptTokens: 31, completionTokens: 12 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(55);
    expect(result.attempts).toBe(1);
    expect(result.cached).toBe(false);
  });

  it("reports an answer that is not the API's shape as invalid_response, without retrying", async () => {
    server.respond(() => ({ kind: "raw", status: 200, body: "<html>proxy error</html>" }));
    const result = await provider().complete(completionRequest());
    expect(result.error).toMatchObject({ kind: "invalid_response" });
    expect(result.texts).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});

describe("retries", () => {
  it("retries 429 and honours Retry-After", async () => {
    server.respond((req) => (req.seq <= 2 ? { kind: "status", status: 429, headers: { "retry-after": req.seq === 1 ? "2" : "0" } } : { kind: "answer", texts: ["ok"] }));
    const result = await provider().complete(completionRequest());
    expect(result.texts).toEqual(["ok"]);
    expect(result.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([2000, 0]);
  });

  it("reads Retry-After given as an HTTP date", async () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    server.respond((req) => (req.seq === 1 ? { kind: "status", status: 503, headers: { "retry-after": at } } : { kind: "answer", texts: ["ok"] }));
    await provider().complete(completionRequest());
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(2_500);
    expect(sleeps[0]).toBeLessThanOrEqual(5_000);
  });

  it("backs off exponentially with full jitter on 5xx, then returns the failure as data", async () => {
    server.respond(() => ({ kind: "status", status: 500, message: "CUDA out of memory" }));
    const result = await provider().complete(completionRequest());
    // random() = 0.5 of min(1000, 100 * 2^retry)
    expect(sleeps).toEqual([50, 100, 200]);
    expect(server.requests).toHaveLength(4);
    expect(result).toMatchObject({ texts: [], attempts: 4, error: { kind: "http", status: 500, message: "CUDA out of memory" } });
  });

  it("caps the computed delay at maxMs", async () => {
    server.respond(() => ({ kind: "status", status: 502 }));
    await provider({ retries: 5, random: () => 0.999 }).complete(completionRequest());
    expect(sleeps).toEqual([99, 199, 399, 799, 999]);
  });

  it("does not retry a request the server rejects", async () => {
    server.respond(() => ({ kind: "status", status: 400, message: "This model's maximum context length is 4096 tokens" }));
    const result = await provider().complete(completionRequest());
    expect(server.requests).toHaveLength(1);
    expect(result.error).toEqual({ kind: "http", status: 400, message: "This model's maximum context length is 4096 tokens" });
  });

  it("retries a connection reset", async () => {
    server.respond((req) => (req.seq === 1 ? { kind: "reset" } : { kind: "answer", texts: ["after reset"] }));
    const result = await provider().complete(completionRequest());
    expect(result.texts).toEqual(["after reset"]);
    expect(result.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it("reports a connection that keeps breaking as a network error", async () => {
    server.respond(() => ({ kind: "reset" }));
    const result = await provider({ retries: 2 }).complete(completionRequest());
    expect(server.requests).toHaveLength(3);
    expect(result.error?.kind).toBe("network");
  });

  it("waits for real between attempts when no sleep is injected", async () => {
    server.respond((req) => (req.seq === 1 ? { kind: "status", status: 503 } : { kind: "answer", texts: ["ok"] }));
    const p = createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "m", api: "completions", backoff: { baseMs: 20 }, random: () => 0.99 });
    const result = await p.complete(completionRequest());
    expect(result.texts).toEqual(["ok"]);
    expect(result.latencyMs).toBeGreaterThanOrEqual(18);
  });
});

describe("timeouts", () => {
  it("gives up on an attempt after timeoutMs and retries it", async () => {
    server.respond((req) => (req.seq === 1 ? { kind: "answer", texts: ["slow"], delayMs: 400 } : { kind: "answer", texts: ["fast"] }));
    const result = await provider({ timeoutMs: 80 }).complete(completionRequest());
    expect(result.texts).toEqual(["fast"]);
    expect(result.attempts).toBe(2);
  });

  it("counts reading a stalled body against the deadline", async () => {
    server.respond(() => ({ kind: "stall", delayMs: 400 }));
    const started = Date.now();
    const result = await provider({ timeoutMs: 80, retries: 1 }).complete(completionRequest());
    expect(result.error).toEqual({ kind: "timeout", message: "no complete answer within 80 ms" });
    expect(result.attempts).toBe(2);
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe("faults", () => {
  it("throws SetupError for rejected credentials", async () => {
    server.respond(() => ({ kind: "status", status: 401, message: "invalid api key" }));
    await expect(provider({ apiKeyEnv: "TEST_KEY", env: {} }).complete(completionRequest())).rejects.toThrow(/HTTP 401 \(key from \$TEST_KEY, which is unset\): invalid api key/);
    expect(server.requests).toHaveLength(1);
  });

  it("throws SetupError for an unknown model or a wrong base URL", async () => {
    server.respond(() => ({ kind: "status", status: 404, message: "The model `nope` does not exist." }));
    await expect(provider({ model: "nope" }).complete(completionRequest())).rejects.toThrow(SetupError);
    const wrongRoot = createOpenAICompatibleProvider({ baseUrl: server.baseUrl.replace(/\/v1$/, ""), model: "m", api: "completions" });
    await expect(wrongRoot.complete(completionRequest())).rejects.toThrow(/usually ends in \/v1/);
  });

  it("throws SetupError when nothing listens, after retrying", async () => {
    const gone = await startOpenAITestServer();
    const baseUrl = gone.baseUrl;
    await gone.close();
    await expect(provider({ baseUrl, retries: 2 }).complete(completionRequest())).rejects.toThrow(/no model server answers .* after 3 attempts.*ECONNREFUSED/);
    expect(sleeps).toHaveLength(2);
  });
});

describe("concurrency", () => {
  it.each([1, 2, 5])("keeps at most %i requests in flight", async (limit) => {
    server.respond(() => ({ kind: "answer", texts: ["x"], delayMs: 30 }));
    const p = provider({ concurrency: limit });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => p.complete(completionRequest({ prompt: `p${i}` }))));
    expect(results.every((r) => r.texts[0] === "x")).toBe(true);
    expect(server.requests).toHaveLength(8);
    expect(server.maxInFlight).toBe(limit);
  });
});
