import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { runnerSources } from "../sandbox/image.js";

/** What a cached verdict keeps: everything but the sample's identity. */
export type CachedVerdict = Omit<SampleVerdict, "task_id" | "sample_index" | "cached">;

/**
 * Verdicts keyed by sha256 of (program, tests with expectations, image, limits, hash seed,
 * judge digest): identical work is judged once. One small file per key, written atomically.
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

/**
 * The source files whose code decides a verdict, as this process runs them (the `.js` of
 * dist/, or the `.ts` under a test runner): every module of the judge (codec, equality,
 * comparators, judge-sample), how a job is built and carried to the runner, and the runner (every module).
 */
export function judgeSources(): string[] {
  const self = fileURLToPath(import.meta.url);
  const ext = extname(self);
  const sibling = (rel: string): string => fileURLToPath(new URL(`${rel}${ext}`, import.meta.url));
  const judgeDir = fileURLToPath(new URL("../judge/", import.meta.url));
  const judge = readdirSync(judgeDir)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`))
    .map((f) => join(judgeDir, f));
  return [...judge, sibling("../session/job-builder"), sibling("../sandbox/wire"), sibling("../sandbox/runner-connection"), ...runnerSources()];
}

/**
 * sha256 over the sources' names and contents, in name order: any change to the code that
 * decides verdicts gives a new digest, so verdicts cached by an older judge are never reused.
 */
export function judgeDigest(sources: readonly string[]): string {
  const hash = createHash("sha256");
  const files = sources.map((path) => ({ name: basename(path), content: readFileSync(path) }));
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Buffer.compare(a.content, b.content)));
  for (const { name, content } of files) {
    // Name and length delimit each file, so moving bytes between files changes the digest.
    hash.update(`${name}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex");
}

let ownDigest: string | undefined;

/** The digest of this process's own judge (`judgeDigest(judgeSources())`), computed once. */
export function currentJudgeDigest(): string {
  ownDigest ??= judgeDigest(judgeSources());
  return ownDigest;
}
