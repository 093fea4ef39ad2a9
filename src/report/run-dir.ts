import { createReadStream } from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { z } from "zod";
import { InputError } from "../core/index.js";
import type { RunManifest, RunSummary, SampleVerdict } from "../core/index.js";
import { manifestSchema, parseRunFile, RUN_FILES, sampleKey, summarySchema, verdictSchema } from "../runner/run-format.js";

/** A run directory as read from disk: results/<run-id>/. */
export interface RunDir {
  dir: string;
  manifest: RunManifest;
  /** null while the run has not finished (summary.json is written last). */
  summary: RunSummary | null;
  verdicts: SampleVerdict[];
  /** The last line of verdicts.jsonl was cut off by a crash mid-write and was left out. */
  partialLastLine: boolean;
}

/**
 * Reads and validates a run directory. Throws InputError naming the file (and line, for
 * verdicts.jsonl) when something is missing or malformed. summary.json and verdicts.jsonl may
 * be absent only while the manifest says the run has not completed.
 */
export async function readRunDir(dir: string): Promise<RunDir> {
  const manifest = await readRunManifest(dir);
  const complete = manifest.status === "complete";
  const summary = await readRunSummary(dir, manifest, complete);
  const { verdicts, partialLastLine } = await readRunVerdicts(dir, complete);
  return { dir, manifest, summary, verdicts, partialLastLine };
}

/** Reads and validates `<dir>/manifest.json` alone (cheap: listing runs needs no verdicts). */
export async function readRunManifest(dir: string): Promise<RunManifest> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new InputError("not a run directory (it does not exist or is not a directory)", dir);
  const file = join(dir, RUN_FILES.manifest);
  return parseWith(manifestSchema, await readJsonFile(file, true), file);
}

/** Reads and validates `<dir>/summary.json`, checking it belongs to the manifest's benchmark; null when absent and not required. */
export async function readRunSummary(dir: string, manifest: RunManifest, required: boolean): Promise<RunSummary | null> {
  const file = join(dir, RUN_FILES.summary);
  const json = await readJsonFile(file, required);
  if (json === undefined) return null;
  const summary: RunSummary = parseWith(summarySchema, json, file);
  if (summary.benchmark !== manifest.benchmark || summary.split !== manifest.split) {
    throw new InputError(
      `summary is for ${summary.benchmark}/${summary.split} but the manifest says ${manifest.benchmark}/${manifest.split}`,
      file,
    );
  }
  return summary;
}

/** Reads a JSON file; undefined when it is absent and not required. */
async function readJsonFile(file: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (isNotFound(err) && !required) return undefined;
    throw new InputError(isNotFound(err) ? "missing" : `unreadable: ${errorMessage(err)}`, file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`invalid JSON: ${errorMessage(err)}`, file);
  }
}

/**
 * Reads `<dir>/verdicts.jsonl` line by line (runs can be large), checking every line and that no
 * (task, sample) appears twice. Absent: no verdicts, unless required.
 */
export async function readRunVerdicts(
  dir: string,
  required: boolean,
): Promise<{ verdicts: SampleVerdict[]; partialLastLine: boolean }> {
  const file = join(dir, RUN_FILES.verdicts);
  const info = await stat(file).catch((err: unknown) => {
    if (isNotFound(err)) return null;
    throw new InputError(`unreadable: ${errorMessage(err)}`, file);
  });
  if (!info) {
    if (required) throw new InputError("missing", file);
    return { verdicts: [], partialLastLine: false };
  }
  // A crash mid-append leaves a last line without its newline; only an unfinished run may have one.
  const endsWithNewline = info.size === 0 || (await lastByte(file)) === 0x0a;

  const verdicts: SampleVerdict[] = [];
  const firstLine = new Map<string, number>();
  let lineNo = 0;
  let pending: { text: string; line: number } | null = null;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const text of lines) {
    lineNo++;
    if (pending) {
      verdicts.push(parseVerdictLine(pending.text, pending.line, file, firstLine));
      pending = null;
    }
    if (text.trim() === "") continue;
    pending = { text, line: lineNo };
  }
  let partialLastLine = false;
  if (pending) {
    try {
      verdicts.push(parseVerdictLine(pending.text, pending.line, file, firstLine));
    } catch (err) {
      if (required || endsWithNewline || !(err instanceof InputError)) throw err;
      partialLastLine = true;
    }
  }
  return { verdicts, partialLastLine };
}

/** Parses one verdicts.jsonl line, rejecting a second verdict for the same (task, sample). */
function parseVerdictLine(text: string, line: number, file: string, firstLine: Map<string, number>): SampleVerdict {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`invalid JSON: ${errorMessage(err)}`, file, line);
  }
  const verdict: SampleVerdict = parseWith(verdictSchema, json, file, line);
  const key = sampleKey(verdict.task_id, verdict.sample_index);
  const seen = firstLine.get(key);
  if (seen !== undefined) {
    throw new InputError(`second verdict for task ${verdict.task_id} sample ${verdict.sample_index} (first on line ${seen})`, file, line);
  }
  firstLine.set(key, line);
  return verdict;
}

/** Validates against a run file's schema, naming the file (and line) and the field when it does not match. */
function parseWith<T>(schema: z.ZodType<T>, value: unknown, file: string, line?: number): T {
  return parseRunFile(schema, value, describe(file), file, line);
}

function describe(file: string): string {
  if (file.endsWith("manifest.json")) return "manifest";
  if (file.endsWith("summary.json")) return "summary";
  return "verdict";
}

async function lastByte(file: string): Promise<number | undefined> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, size - 1);
    return buf[0];
  } finally {
    await handle.close();
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Where a run named on the command line lives: the path itself when it is a directory, else
 * `<resultsDir>/<name>` when that is one (so `verdict compare run-a run-b` works on run ids).
 */
export async function resolveRunDir(nameOrPath: string, resultsDir: string): Promise<string> {
  const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
  if (await isDir(nameOrPath)) return nameOrPath;
  const underResults = join(resultsDir, nameOrPath);
  if (await isDir(underResults)) return underResults;
  return nameOrPath;
}
