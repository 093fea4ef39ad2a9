import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { InputError, SetupError } from "../core/errors.js";
import { cacheDir } from "../util/paths.js";
import { BENCHMARKS_DIR, type DataFileSource, loadBenchmarkConfig } from "./benchmark-config.js";

/** Where a data file was found. */
export type DataOrigin = "data-dir" | "cache" | "download";

/**
 * A data directory beside the checkout verdict runs from (`<checkout>/../shared/data`), as CI
 * and shared machines lay it out: found whichever way the CLI starts (`./verdict`, `npx
 * verdict`, `npm run bench`). For an installed package it is a path that does not exist.
 */
export const CHECKOUT_DATA_DIR = fileURLToPath(new URL("../../../shared/data", import.meta.url));

/** A local data directory and how it was chosen. */
export interface LocalDataDir {
  dir: string;
  from: "--data" | "VERDICT_DATA_DIR" | "beside the checkout";
}

/**
 * Where data files are looked for before the download cache, one rule for every command:
 * `--data DIR`, else `$VERDICT_DATA_DIR`, else the data directory beside the checkout when it
 * exists (`besideCheckout` defaults to CHECKOUT_DATA_DIR). `VERDICT_DATA_DIR=` (set, empty)
 * means no local directory at all: only the download cache.
 */
export function localDataDir(explicit?: string, besideCheckout: string = CHECKOUT_DATA_DIR): LocalDataDir | undefined {
  if (explicit !== undefined) return { dir: explicit, from: "--data" };
  const env = process.env.VERDICT_DATA_DIR;
  if (env !== undefined) return env === "" ? undefined : { dir: env, from: "VERDICT_DATA_DIR" };
  return existsSync(besideCheckout) ? { dir: besideCheckout, from: "beside the checkout" } : undefined;
}

/** A data file on local disk whose sha256 has been checked. */
export interface ResolvedDataFile {
  /** The data file's name, e.g. "mbpp/mbpp.jsonl". */
  name: string;
  path: string;
  sha256: string;
  origin: DataOrigin;
}

/** How to find data files; every field is optional. */
export interface ResolveDataOptions {
  /** `--data DIR`: a folder holding the files under their names (e.g. DIR/mbpp/mbpp.jsonl). */
  dataDir?: string;
  /** Where downloads go; default `$VERDICT_CACHE_DIR/data` or `${XDG_CACHE_HOME:-~/.cache}/verdict/data`. */
  cacheDir?: string;
  /** The file's URL and sha256; looked up in benchmarks/*.yaml when absent. */
  source?: DataFileSource;
  /** The data directory beside the checkout; default CHECKOUT_DATA_DIR (tests point it elsewhere). */
  besideCheckout?: string;
}

/**
 * Finds a benchmark data file: `--data DIR` first, then `$VERDICT_DATA_DIR`, then the data
 * directory beside the checkout, then the download cache (downloading from the canonical URL
 * when missing). A directory named by flag or variable must hold the file; the one beside the
 * checkout is used only when it does. Every file is checked against its sha256, wherever it
 * came from, so results always name the exact data they were computed on.
 */
export async function resolveDataFile(name: string, opts: ResolveDataOptions = {}): Promise<ResolvedDataFile> {
  const source = opts.source ?? (await findDataSource(name));
  const local = localDataDir(opts.dataDir, opts.besideCheckout);
  if (local !== undefined) {
    const path = join(local.dir, source.file);
    const present = await isFile(path);
    if (!present && local.from !== "beside the checkout") {
      throw new InputError(`data file ${source.file} not found in ${local.dir} (from ${local.from}); expected it at ${path}`);
    }
    if (present) {
      const actual = await sha256File(path);
      if (actual !== source.sha256) {
        throw new InputError(`wrong data file for ${source.file}: sha256 is ${actual}, expected ${source.sha256}`, path);
      }
      return { name: source.file, path, sha256: actual, origin: "data-dir" };
    }
  }

  const path = join(opts.cacheDir ?? cacheDir("data"), source.file);
  if (await isFile(path)) {
    const actual = await sha256File(path);
    if (actual === source.sha256) return { name: source.file, path, sha256: actual, origin: "cache" };
    // A cached file that no longer matches is stale or damaged: fetch it again.
    await rm(path, { force: true });
  }
  await download(source, path);
  return { name: source.file, path, sha256: source.sha256, origin: "download" };
}

/** sha256 of a file's bytes, as lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), hash);
  return hash.digest("hex");
}

/** Looks a data file up by name across every benchmark definition. */
export async function findDataSource(name: string, dir: string = BENCHMARKS_DIR): Promise<DataFileSource> {
  const known: string[] = [];
  const files = (await readdir(dir)).filter((f) => f.endsWith(".yaml")).sort();
  for (const file of files) {
    let config;
    try {
      config = await loadBenchmarkConfig(file.slice(0, -".yaml".length), dir);
    } catch {
      // Not every YAML file there is a benchmark definition (e.g. reproduction configs).
      continue;
    }
    for (const entry of config.data) {
      if (entry.file === name) return entry;
      known.push(entry.file);
    }
  }
  throw new InputError(`unknown data file "${name}"; known: ${known.join(", ") || "(none)"}`);
}

/** Downloads to a temporary file beside `path`, checks the sha256, then renames into place. */
async function download(source: DataFileSource, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
  let response: Response;
  try {
    response = await fetch(source.url, { signal: AbortSignal.timeout(300_000) });
  } catch (err) {
    throw new SetupError(
      `cannot download ${source.file} from ${source.url}: ${describeFetchError(err)}; ` +
        `without network access, point --data or VERDICT_DATA_DIR at a folder holding ${source.file}, or lay one out beside the checkout (${CHECKOUT_DATA_DIR})`,
    );
  }
  if (!response.ok || response.body === null) {
    throw new SetupError(`cannot download ${source.file} from ${source.url}: HTTP ${response.status}`);
  }
  const hash = createHash("sha256");
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  try {
    if (source.gzip) await pipeline(body, createGunzip(), hasher, createWriteStream(tmp));
    else await pipeline(body, hasher, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    throw new SetupError(`download of ${source.file} from ${source.url} failed: ${(err as Error).message}`);
  }
  const actual = hash.digest("hex");
  if (actual !== source.sha256) {
    await rm(tmp, { force: true });
    throw new SetupError(
      `sha256 mismatch for ${source.file} downloaded from ${source.url}: expected ${source.sha256}, got ${actual}`,
    );
  }
  await rename(tmp, path);
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { message?: string } }).cause?.message;
  return cause ?? (err as Error).message;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
