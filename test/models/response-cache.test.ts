import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOpenAICompatibleProvider } from "../../src/models/openai-compatible.js";
import type { GenerationRequest } from "../../src/models/provider.js";
import { defaultResponseCacheDir, responseCacheKey, withCache } from "../../src/models/response-cache.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";

let server: OpenAITestServer;
let dir: string;

beforeEach(async () => {
  server = await startOpenAITestServer();
  dir = await mkdtemp(join(tmpdir(), "verdict-cache-"));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const http = (model = "m") => createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model, api: "completions", retries: 0 });
const request: GenerationRequest = { prompt: "def add(a, b):\n", n: 2, temperature: 0.8, top_p: 0.95, max_tokens: 64, stop: ["\n\n"], seed: 1, extra: { top_k: 40 } };

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("withCache", () => {
  it("asks the server once; the second call, and a rerun with a new wrapper, read the disk", async () => {
    const first = await withCache(http(), { dir }).complete(request);
    const cache = withCache(http(), { dir });
    const second = await cache.complete(request);
    expect(server.requests).toHaveLength(1);
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.texts).toEqual(first.texts);
    expect(second.usage).toEqual(first.usage);
    expect(cache.stats()).toEqual({ hits: 1, misses: 0 });
  });

  it("keys on the request, the model and the base URL, not on field order", async () => {
    const cache = withCache(http(), { dir });
    await cache.complete(request);
    const reordered: GenerationRequest = { seed: 1, extra: { top_k: 40 }, max_tokens: 64, top_p: 0.95, temperature: 0.8, n: 2, stop: ["\n\n"], prompt: "def add(a, b):\n" };
    await cache.complete(reordered);
    expect(server.requests).toHaveLength(1);
    await cache.complete({ ...request, seed: 2 });
    await cache.complete({ ...request, extra: { top_k: 20 } });
    await withCache(http("other-model"), { dir }).complete(request);
    expect(server.requests).toHaveLength(4);
    expect(responseCacheKey("a", request)).toBe(responseCacheKey("a", reordered));
    expect(responseCacheKey("a", request)).not.toBe(responseCacheKey("b", request));
  });

  it("shares one call between identical requests in flight", async () => {
    server.respond(() => ({ kind: "answer", texts: ["a", "b"], delayMs: 40 }));
    const cache = withCache(http(), { dir });
    const results = await Promise.all([cache.complete(request), cache.complete(request), cache.complete(request)]);
    expect(server.requests).toHaveLength(1);
    expect(results.map((r) => r.cached)).toEqual([false, true, true]);
  });

  it("does not store error results, so a rerun asks again", async () => {
    server.respond((req) => (req.seq === 1 ? { kind: "status", status: 503 } : { kind: "answer", texts: ["x", "y"] }));
    const first = await withCache(http(), { dir }).complete(request);
    expect(first.error?.status).toBe(503);
    const second = await withCache(http(), { dir }).complete(request);
    expect(second.texts).toEqual(["x", "y"]);
    expect(server.requests).toHaveLength(2);
  });

  it("writes whole files under responses/<2 hex>/<sha256>.json and leaves no temp files", async () => {
    const cache = withCache(http(), { dir });
    await Promise.all([0, 1, 2, 3].map((seed) => cache.complete({ ...request, seed })));
    const files = await filesUnder(dir);
    expect(files).toHaveLength(4);
    for (const file of files) {
      expect(file).toMatch(/\/([0-9a-f]{2})\/\1[0-9a-f]{62}\.json$/);
      const entry = JSON.parse(await readFile(file, "utf8")) as { provider: string; request: GenerationRequest };
      expect(entry.provider).toBe(`openai-compatible/completions:m@${server.baseUrl}`);
      expect(entry.request.prompt).toBe(request.prompt);
    }
  });

  it("treats an unreadable or mismatched entry as a miss and rewrites it", async () => {
    const cache = withCache(http(), { dir });
    await cache.complete(request);
    const [file] = await filesUnder(dir);
    if (!file) throw new Error("no cache file");
    await writeFile(file, "{ truncated");
    const again = await withCache(http(), { dir }).complete(request);
    expect(again.cached).toBe(false);
    expect(server.requests).toHaveLength(2);
    const entry = JSON.parse(await readFile(file, "utf8")) as { request: GenerationRequest };
    expect(entry.request.seed).toBe(1);
  });

  it("passes everything through when disabled", async () => {
    const cache = withCache(http(), { dir, enabled: false });
    await cache.complete(request);
    await cache.complete(request);
    expect(server.requests).toHaveLength(2);
    expect(await filesUnder(dir)).toHaveLength(0);
  });

  it("lives under $VERDICT_CACHE_DIR/responses, or ~/.cache/verdict/responses", () => {
    expect(defaultResponseCacheDir({ VERDICT_CACHE_DIR: "/data/cache" })).toBe("/data/cache/responses");
    expect(defaultResponseCacheDir({})).toMatch(/\.cache\/verdict\/responses$/);
  });
});
