import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { canonicalHash, canonicalJson } from "./canonical-json.js";
import { generationResultSchema, type GenerationRequest, type GenerationResult, type Provider } from "./provider.js";

/** Where the cache lives and whether to use it. */
export interface ResponseCacheOptions {
  /** The responses directory (default: $VERDICT_CACHE_DIR/responses, or ~/.cache/verdict/responses). */
  dir?: string;
  /** false: pass every request through and store nothing. */
  enabled?: boolean;
}

/** A provider behind the response cache, with counters for reports. */
export interface CachedProvider extends Provider {
  /** Requests answered from disk, and requests sent to the provider. */
  stats(): { hits: number; misses: number };
}

/** One cache file: the key's inputs are kept so an entry can be checked and read by a person. */
interface CacheEntry {
  provider: string;
  request: GenerationRequest;
  result: GenerationResult;
}

/** The default responses directory for an environment. */
export function defaultResponseCacheDir(env: Record<string, string | undefined> = process.env): string {
  const root = env.VERDICT_CACHE_DIR || join(homedir(), ".cache", "verdict");
  return join(root, "responses");
}

/** The cache key of a request to a provider: sha256 of the canonical JSON of both. */
export function responseCacheKey(providerId: string, req: GenerationRequest): string {
  return canonicalHash({ provider: providerId, request: req });
}

/**
 * Wraps a provider so that each distinct (provider id, request) is asked once: answers are
 * stored on disk and a rerun reads them back. Identical requests in flight at the same time
 * share one call. Error results are not stored, so a rerun retries them.
 */
export function withCache(provider: Provider, options: ResponseCacheOptions = {}): CachedProvider {
  const enabled = options.enabled ?? true;
  const dir = options.dir ?? defaultResponseCacheDir();
  const inFlight = new Map<string, Promise<GenerationResult>>();
  let hits = 0;
  let misses = 0;

  const fileFor = (key: string): string => join(dir, key.slice(0, 2), `${key}.json`);

  const lookup = async (key: string, providerId: string, req: GenerationRequest): Promise<GenerationResult | undefined> => {
    let text: string;
    try {
      text = await readFile(fileFor(key), "utf8");
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      const entry = JSON.parse(text) as Partial<CacheEntry>;
      // Guards against a file edited by hand or copied from elsewhere: it must answer exactly this request.
      if (entry.provider !== providerId || canonicalJson(entry.request) !== canonicalJson(req)) return undefined;
      return generationResultSchema.parse(entry.result);
    } catch {
      return undefined;
    }
  };

  const store = async (key: string, entry: CacheEntry): Promise<void> => {
    const file = fileFor(key);
    await mkdir(dirname(file), { recursive: true });
    // Write then rename: a reader never sees a half-written entry, even if this process dies mid-write.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  };

  const complete = async (req: GenerationRequest): Promise<GenerationResult> => {
    const providerId = provider.id();
    const key = responseCacheKey(providerId, req);
    const cached = await lookup(key, providerId, req);
    if (cached) {
      hits++;
      return { ...cached, cached: true };
    }
    misses++;
    const result = await provider.complete(req);
    if (!result.error && !result.cached) await store(key, { provider: providerId, request: req, result });
    return result;
  };

  return {
    id: () => provider.id(),
    stats: () => ({ hits, misses }),
    complete(req: GenerationRequest): Promise<GenerationResult> {
      if (!enabled) {
        misses++;
        return provider.complete(req);
      }
      const key = responseCacheKey(provider.id(), req);
      const pending = inFlight.get(key);
      if (pending) {
        hits++;
        return pending.then((result) => (result.error ? result : { ...result, cached: true }));
      }
      const promise = complete(req).finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },
  };
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
}
