import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { openJsonlAppender, readJsonlFile } from "../util/jsonl-file.js";
import { generationRecordSchema, sampleKey, type GenerationRecord } from "./run-format.js";

/**
 * The samples JSONL that `verdict generate` and `verdict run` write. Each line is a sample
 * `verdict eval` can score (`task_id` + `solution`) and keeps how it was made: the raw
 * answers, the reasoning steps, the prompt style, the sampling parameters and token usage.
 */

/** A samples file open for appending. */
export interface SamplesFile {
  readonly path: string;
  /** Records already in the file (a resumed run), by `task_id#sample_index`. */
  readonly existing: Map<string, GenerationRecord>;
  /** Appends one record with a single write, so a kill can tear only the last line. */
  append(record: GenerationRecord): void;
  /**
   * Rewrites the file in canonical order (task order, then sample index) and closes it. Lines
   * then follow the sampling plan, so `verdict eval`'s per-task file order matches sample_index.
   */
  finalize(taskOrder: readonly string[]): void;
  close(): void;
}

/**
 * Reads a samples file written by verdict. A torn last line (a kill mid-write) is cut off; a bad
 * line elsewhere is an InputError naming it. A second record for a slot replaces the first.
 */
export function readSampleRecords(path: string): { records: GenerationRecord[]; repairedBytes: number } {
  const { lines, tornBytes } = readJsonlFile(path, { repair: true });
  const bySlot = new Map<string, GenerationRecord>();
  for (const { line, text } of lines) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError("corrupt sample line (not JSON); fix or delete it to resume", path, line);
    }
    const parsed = generationRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`not a generated sample: ${issue ? `${issue.path.join(".") || "(line)"}: ${issue.message}` : "invalid"}`, path, line);
    }
    bySlot.set(sampleKey(parsed.data.task_id, parsed.data.sample_index), parsed.data);
  }
  return { records: [...bySlot.values()], repairedBytes: tornBytes };
}

/** Opens (or creates) a samples file for appending; what it already holds is loaded for a resume. */
export function openSamplesFile(path: string): SamplesFile {
  const { records } = readSampleRecords(path);
  const existing = new Map(records.map((r) => [sampleKey(r.task_id, r.sample_index), r]));
  const lines = openJsonlAppender(path);
  const all = new Map(existing);
  return {
    path,
    existing,
    append(record) {
      lines.append(record);
      all.set(sampleKey(record.task_id, record.sample_index), record);
    },
    finalize(taskOrder) {
      lines.close();
      const rank = new Map(taskOrder.map((id, i) => [id, i]));
      const sorted = [...all.values()].sort(
        (a, b) => (rank.get(a.task_id) ?? Infinity) - (rank.get(b.task_id) ?? Infinity) || a.sample_index - b.sample_index,
      );
      const tmp = `${path}.tmp-${process.pid}`;
      const out = openSync(tmp, "w");
      try {
        writeSync(out, sorted.map((r) => `${JSON.stringify(r)}\n`).join(""));
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      renameSync(tmp, path);
    },
    close: () => lines.close(),
  };
}
