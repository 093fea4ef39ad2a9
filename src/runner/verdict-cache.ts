import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SampleVerdict } from "../core/verdict.js";

/** What a cached verdict keeps: everything but the sample's identity. */
export type CachedVerdict = Omit<SampleVerdict, "task_id" | "sample_index" | "cached">;

/**
 * Verdicts keyed by sha256 of (program, tests with expectations, image, limits, hash seed):
 * identical work is judged once. One small file per key, written atomically.
 */
export interface VerdictCache {
  get(key: string): CachedVerdict | undefined;
  put(key: string, v: CachedVerdict): void;
}

/** A verdict cache under `dir`; `enabled: false` gives one that never hits and never writes. */
export function createVerdictCache(dir: string, enabled: boolean): VerdictCache {
  const pathOf = (key: string) => join(dir, key.slice(0, 2), `${key}.json`);
  return {
    get(key) {
      if (!enabled) return undefined;
      try {
        return JSON.parse(readFileSync(pathOf(key), "utf8")) as CachedVerdict;
      } catch {
        return undefined;
      }
    },
    put(key, v) {
      if (!enabled) return;
      const path = pathOf(key);
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(v));
      renameSync(tmp, path);
    },
  };
}
