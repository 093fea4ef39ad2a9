import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { InputError, SetupError } from "../core/errors.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/verdict.js";
import { processAlive, readFileIfAny } from "../util/process-files.js";

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
  appendSample(s: SampleRecord): void;
  writeManifest(m: RunManifest): void;
  writeSummary(s: RunSummary): void;
  /** Flushes verdicts.jsonl to disk and releases the run directory; safe to call twice. */
  close(): void;
}

/** The file names inside a run directory. */
export const RUN_FILES = {
  manifest: "manifest.json",
  summary: "summary.json",
  verdicts: "verdicts.jsonl",
  /** One line per judged sample: its program and the start of its stdout/stderr (the last line for a sample wins). */
  samples: "samples.jsonl",
  /** The `verdict eval` options, so `--resume <dir>` alone continues the run. */
  evalOptions: "eval-options.json",
  /** Held by the one process writing the run; a killed process leaves it, and a resume takes it over. */
  lock: "run.lock",
} as const;

/** One line of samples.jsonl. */
export interface SampleRecord {
  task_id: string;
  sample_index: number;
  program: string;
  stdout?: string;
  stderr?: string;
}

/** How much of a sample's stdout and stderr samples.jsonl keeps. */
export const SAMPLE_OUTPUT_CHARS = 4096;

/** How often appended verdicts are forced to disk: bounds what a machine crash (not a process kill) can lose. */
const FSYNC_INTERVAL_MS = 1000;

/** Errors that mean the disk, not verdict, refused a write. */
const DISK_ERRORS = new Set(["ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS"]);

/** The key that identifies a sample across runs and resumes. */
export function sampleKey(taskId: string, sampleIndex: number): string {
  return `${taskId}#${sampleIndex}`;
}

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
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as RunManifest;
  } catch (err) {
    throw new InputError(`unreadable run manifest: ${(err as Error).message}`, path);
  }
}

/**
 * Read verdicts.jsonl of an earlier (possibly killed) run. A torn last line — what a kill
 * mid-write leaves — is cut off and reported; a corrupt line elsewhere, or a sample that has
 * two lines, is an error naming the line.
 */
export function readVerdicts(path: string): { verdicts: SampleVerdict[]; repairedBytes: number } {
  if (!existsSync(path)) return { verdicts: [], repairedBytes: 0 };
  const bytes = readFileSync(path);
  const verdicts: SampleVerdict[] = [];
  const firstLine = new Map<string, number>();
  let offset = 0;
  let lineNo = 0;
  while (offset < bytes.length) {
    const nl = bytes.indexOf(0x0a, offset);
    lineNo += 1;
    if (nl === -1) {
      // No newline: the last write was torn. Drop it; the sample is judged again.
      truncateSync(path, offset);
      return { verdicts, repairedBytes: bytes.length - offset };
    }
    const line = bytes.subarray(offset, nl).toString("utf8");
    offset = nl + 1;
    if (line.trim() === "") continue;
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
    if (!isVerdict(parsed)) {
      throw new InputError("corrupt verdict line (missing task_id, sample_index or status); delete that line, then resume", path, lineNo);
    }
    const key = sampleKey(parsed.task_id, parsed.sample_index);
    const earlier = firstLine.get(key);
    if (earlier !== undefined) {
      throw new InputError(`a second verdict for sample ${key} (the first is on line ${earlier}); delete one, then resume`, path, lineNo);
    }
    firstLine.set(key, lineNo);
    verdicts.push(parsed);
  }
  return { verdicts, repairedBytes: 0 };
}

function isVerdict(v: unknown): v is SampleVerdict {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.task_id === "string" &&
    typeof o.sample_index === "number" &&
    Number.isInteger(o.sample_index) &&
    typeof o.status === "string" &&
    Array.isArray(o.tests)
  );
}

/**
 * Open (or create) a run directory for writing; existing verdicts are loaded for a resume.
 * The directory is locked to this process until close(), so two processes never append to one run.
 */
export function openResultsStore(dir: string): ResultsStore {
  mkdirSync(dir, { recursive: true });
  const releaseLock = lockRunDir(dir);
  const verdictsPath = join(dir, RUN_FILES.verdicts);
  let fd: number;
  let samplesFd: number;
  let existing: Map<string, SampleVerdict>;
  let repairedBytes: number;
  try {
    const read = readVerdicts(verdictsPath);
    repairedBytes = read.repairedBytes;
    existing = new Map(read.verdicts.map((v) => [sampleKey(v.task_id, v.sample_index), v]));
    fd = openSync(verdictsPath, "a");
    samplesFd = openSync(join(dir, RUN_FILES.samples), "a");
  } catch (err) {
    releaseLock();
    throw err;
  }
  // Where the last complete line ends: a write the disk cuts short is cut back to here.
  let size = fstatSync(fd).size;
  let samplesSize = fstatSync(samplesFd).size;
  let count = existing.size;
  let lastSync = Date.now();
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
      const line = Buffer.from(JSON.stringify(v) + "\n");
      try {
        writeAll(fd, line);
      } catch (err) {
        // Disk full mid-line: cut the partial line off, so every line on disk stays whole JSON.
        try {
          ftruncateSync(fd, size);
        } catch {
          // Nothing more can be done here; a resume cuts a torn last line off anyway.
        }
        throw diskError(err, verdictsPath, `the ${count} verdict line(s) before it are intact`);
      }
      size += line.length;
      count += 1;
      if (Date.now() - lastSync >= FSYNC_INTERVAL_MS) {
        lastSync = Date.now();
        try {
          fsyncSync(fd);
        } catch (err) {
          throw diskError(err, verdictsPath, `the ${count} verdict line(s) written may not all be on disk`);
        }
      }
    },
    appendSample(s) {
      if (closed) throw new Error(`internal: results store ${dir} is closed`);
      const cap = (t: string | undefined) => (t ? t.slice(0, SAMPLE_OUTPUT_CHARS) : undefined);
      const line = Buffer.from(JSON.stringify({ ...s, stdout: cap(s.stdout), stderr: cap(s.stderr) }) + "\n");
      try {
        writeAll(samplesFd, line);
      } catch (err) {
        // As for verdicts: a line the full disk cut short is cut off, so every line stays whole.
        try {
          ftruncateSync(samplesFd, samplesSize);
        } catch {
          // Reports skip a line they cannot parse; nothing more to do here.
        }
        throw diskError(err, join(dir, RUN_FILES.samples));
      }
      samplesSize += line.length;
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
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        closeSync(samplesFd);
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
 * Takes `run.lock` in the run directory, holding this process's pid. A lock whose process is
 * gone (killed) is taken over; one held by a live process is a SetupError.
 */
function lockRunDir(dir: string): () => void {
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
