import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError, SetupError } from "../core/errors.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { openJsonlAppender, readJsonlFile, type JsonlAppender } from "../util/jsonl-file.js";
import { processAlive, readFileIfAny } from "../util/process-files.js";
import { manifestSchema, parseRunFile, readRunJson, RUN_FILES, SAMPLE_OUTPUT_CHARS, sampleKey, verdictSchema, type SampleLine } from "./run-format.js";

/** Writes a run directory: manifest.json, summary.json and an append-only verdicts.jsonl. */
export interface ResultsStore {
  readonly dir: string;
  /** Verdicts already on disk (from a resumed run), by `task_id#sample_index`. */
  readonly existing: Map<string, SampleVerdict>;
  /** Bytes of a torn last line cut off when the store was opened (0 when there was none). */
  readonly repairedBytes: number;
  /** Verdict lines on disk, those of a resumed run included. */
  readonly count: number;
  append(v: SampleVerdict): void;
  /** Keeps a judged sample's program and captured output (samples.jsonl), for reports. */
  appendSample(s: SampleLine): void;
  writeManifest(m: RunManifest): void;
  writeSummary(s: RunSummary): void;
  /** Flushes verdicts.jsonl to disk and releases the run directory; safe to call twice. */
  close(): void;
}

export { RUN_FILES, SAMPLE_OUTPUT_CHARS, sampleKey };

/** Errors that mean the disk, not verdict, refused a write. */
const DISK_ERRORS = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS"]);

/** Write a JSON file atomically (temp file, fsync, rename), so a crash never leaves half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeAll(fd, Buffer.from(JSON.stringify(value, null, 2) + "\n"));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // A write the disk refused must not leave its temp file behind (nor hold the space it took).
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw diskError(err, path);
  }
}

/** The manifest of a run directory, or undefined when it has none (yet). */
export function readManifest(dir: string): RunManifest | undefined {
  const path = join(dir, RUN_FILES.manifest);
  const json = readRunJson(path, "run manifest");
  return json === undefined ? undefined : parseRunFile(manifestSchema, json, "manifest", path);
}

/**
 * Read verdicts.jsonl of an earlier (possibly killed) run. A torn last line — what a kill
 * mid-write leaves — is cut off and reported; a corrupt line elsewhere, or a sample that has
 * two lines, is an error naming the line.
 */
export function readVerdicts(path: string): { verdicts: SampleVerdict[]; repairedBytes: number } {
  // A torn last line (no newline: the last write was torn) is dropped; its sample is judged again.
  const { lines, tornBytes } = readJsonlFile(path, { repair: true });
  const verdicts: SampleVerdict[] = [];
  const firstLine = new Map<string, number>();
  for (const { line: lineNo, text: line } of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InputError(
        `corrupt verdict line (not JSON: ${JSON.stringify(line.slice(0, 60))}); delete that line to judge its sample again, then resume`,
        path,
        lineNo,
      );
    }
    const verdict = verdictSchema.safeParse(parsed);
    if (!verdict.success) {
      throw new InputError("corrupt verdict line (missing task_id, sample_index or status); delete that line, then resume", path, lineNo);
    }
    const key = sampleKey(verdict.data.task_id, verdict.data.sample_index);
    const earlier = firstLine.get(key);
    if (earlier !== undefined) {
      throw new InputError(`a second verdict for sample ${key} (the first is on line ${earlier}); delete one, then resume`, path, lineNo);
    }
    firstLine.set(key, lineNo);
    verdicts.push(verdict.data);
  }
  return { verdicts, repairedBytes: tornBytes };
}

/**
 * Open (or create) a run directory for writing; existing verdicts are loaded for a resume.
 * The directory is locked to this process until close(), so two processes never append to one run.
 */
export function openResultsStore(dir: string): ResultsStore {
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockRunDir(dir);
  const verdictsPath = join(dir, RUN_FILES.verdicts);
  let verdictLines: JsonlAppender;
  let sampleLines: JsonlAppender;
  let existing: Map<string, SampleVerdict>;
  let repairedBytes: number;
  try {
    const read = readVerdicts(verdictsPath);
    repairedBytes = read.repairedBytes;
    existing = new Map(read.verdicts.map((v) => [sampleKey(v.task_id, v.sample_index), v]));
    verdictLines = openJsonlAppender(verdictsPath);
    sampleLines = openJsonlAppender(join(dir, RUN_FILES.samples));
  } catch (err) {
    releaseLock();
    throw err;
  }
  let count = existing.size;
  let closed = false;
  return {
    dir,
    existing,
    repairedBytes,
    get count() {
      return count;
    },
    append(v) {
      if (closed) throw new Error(`internal: results store ${dir} is closed`);
      try {
        verdictLines.append(v);
      } catch (err) {
        throw diskError(err, verdictsPath, `the ${count} verdict line(s) before it are intact`);
      }
      count += 1;
    },
    appendSample(s) {
      if (closed) throw new Error(`internal: results store ${dir} is closed`);
      const cap = (t: string | undefined) => (t ? t.slice(0, SAMPLE_OUTPUT_CHARS) : undefined);
      try {
        sampleLines.append({ ...s, stdout: cap(s.stdout), stderr: cap(s.stderr) });
      } catch (err) {
        // Reports skip nothing: the full disk's partial line was cut back, so every line stays whole.
        throw diskError(err, join(dir, RUN_FILES.samples));
      }
    },
    writeManifest(m) {
      writeJsonAtomic(join(dir, RUN_FILES.manifest), m);
    },
    writeSummary(s) {
      writeJsonAtomic(join(dir, RUN_FILES.summary), s);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        verdictLines.close();
      } finally {
        sampleLines.close();
        releaseLock();
      }
    },
  };
}

/** Writes every byte, looping over short writes (a nearly full disk takes part of a buffer). */
function writeAll(fd: number, buf: Buffer): void {
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
}

/** A disk error (full, quota, read-only) as a SetupError that says what survived and what to do. */
function diskError(err: unknown, path: string, intact?: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined || !DISK_ERRORS.has(code)) return err as Error;
  const why = code === "ENOSPC" || code === "EDQUOT" ? "the results disk is full" : "the results disk refused a write";
  return new SetupError(
    `${why}: cannot write ${path} (${code}: ${(err as Error).message.replace(/^[A-Z]+: /, "")})` +
      `${intact ? `; ${intact}` : ""}; free some space first`,
    { cause: err },
  );
}

/**
 * Takes `run.lock` in the run directory, holding this process's pid; returns its release. A
 * lock whose process is gone (killed) is taken over; one held by a live process is a SetupError.
 */
export function lockRunDir(dir: string): () => void {
  const path = join(dir, RUN_FILES.lock);
  const me = `${process.pid} ${hostname()}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, me, { flag: "wx" });
      return () => {
        try {
          if (readFileSync(path, "utf8") === me) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw diskError(err, path);
    }
    const [pidText, host] = readFileIfAny(path).trim().split(" ");
    const pid = Number(pidText);
    if (host === hostname() && Number.isInteger(pid) && pid > 0 && holderAlive(pid)) {
      throw new SetupError(
        `run directory ${dir} is in use by process ${pid}; wait for it to finish (or stop it), then resume`,
      );
    }
    if (host !== undefined && host !== hostname()) {
      throw new SetupError(`run directory ${dir} is locked by process ${pid} on ${host}; if that run is gone, delete ${path}`);
    }
    // The owner is gone (killed): its lock is stale.
    try {
      unlinkSync(path);
    } catch {
      // Another process took it over first; the next attempt tells.
    }
  }
  throw new SetupError(`cannot lock run directory ${dir} (${path} keeps reappearing)`);
}

/** Whether the lock's holder is alive; this very process counts (a second store on one run is a bug, not a takeover). */
function holderAlive(pid: number): boolean {
  return pid === process.pid || processAlive(pid);
}
