import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { SampleVerdict } from "../core/verdict.js";

/** Writes a run directory: manifest.json, summary.json and an append-only verdicts.jsonl. */
export interface ResultsStore {
  readonly dir: string;
  /** Verdicts already on disk (from a resumed run), by `task_id#sample_index`. */
  readonly existing: Map<string, SampleVerdict>;
  append(v: SampleVerdict): void;
  writeManifest(m: RunManifest): void;
  writeSummary(s: RunSummary): void;
  close(): void;
}

/** The key that identifies a sample across runs and resumes. */
export function sampleKey(taskId: string, sampleIndex: number): string {
  return `${taskId}#${sampleIndex}`;
}

/** Write a JSON file atomically (temp file, fsync, rename), so a crash never leaves half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Read verdicts.jsonl of an earlier (possibly killed) run. A torn last line — what a kill
 * mid-write leaves — is cut off and reported; a corrupt line elsewhere is an error naming it.
 */
export function readVerdicts(path: string): { verdicts: SampleVerdict[]; repairedBytes: number } {
  if (!existsSync(path)) return { verdicts: [], repairedBytes: 0 };
  const text = readFileSync(path, "utf8");
  const verdicts: SampleVerdict[] = [];
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf("\n", offset);
    lineNo += 1;
    if (nl === -1) {
      // No newline: the last write was torn. Drop it; the sample is judged again.
      const keep = Buffer.byteLength(text.slice(0, offset));
      const dropped = Buffer.byteLength(text) - keep;
      truncateSync(path, keep);
      return { verdicts, repairedBytes: dropped };
    }
    const line = text.slice(offset, nl);
    offset = nl + 1;
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new InputError("corrupt verdict line (not JSON); fix or delete it to resume", path, lineNo);
    }
    if (!isVerdict(parsed)) {
      throw new InputError("corrupt verdict line (missing task_id, sample_index or status)", path, lineNo);
    }
    verdicts.push(parsed);
  }
  return { verdicts, repairedBytes: 0 };
}

function isVerdict(v: unknown): v is SampleVerdict {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.task_id === "string" && typeof o.sample_index === "number" && typeof o.status === "string";
}

/** Open (or create) a run directory for writing; existing verdicts are loaded for a resume. */
export function openResultsStore(dir: string): ResultsStore {
  mkdirSync(dir, { recursive: true });
  const verdictsPath = join(dir, "verdicts.jsonl");
  const { verdicts } = readVerdicts(verdictsPath);
  const existing = new Map(verdicts.map((v) => [sampleKey(v.task_id, v.sample_index), v]));
  const fd = openSync(verdictsPath, "a");
  let closed = false;
  return {
    dir,
    existing,
    append(v) {
      // One write call per line: a kill can tear only the last line, which a resume repairs.
      writeSync(fd, JSON.stringify(v) + "\n");
    },
    writeManifest(m) {
      writeJsonAtomic(join(dir, "manifest.json"), m);
    },
    writeSummary(s) {
      writeJsonAtomic(join(dir, "summary.json"), s);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
