import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { sampleKey } from "./results-store.js";

/**
 * The samples JSONL that `verdict generate` and `verdict run` write. Each line is a sample
 * `verdict eval` can score (`task_id` + `solution`) and keeps how it was made: the raw
 * answers, the reasoning steps, the prompt style, the sampling parameters and token usage.
 */

export const PROMPT_STYLES = ["vanilla", "pseudocode"] as const;

/** A prompt style (src/prompts/). */
export type PromptStyle = (typeof PROMPT_STYLES)[number];

/**
 * `sample`: one of n samples for Pass@1. `path`: a reasoning path sampled for ASPR.
 * `final`: a final (code) step sampled from a path's prefix, for ASPR.
 */
export const SAMPLE_ROLES = ["sample", "path", "final"] as const;

/** What a sample is for. */
export type SampleRole = (typeof SAMPLE_ROLES)[number];

export const sampleRecordSchema = z.looseObject({
  task_id: z.string().min(1),
  /** Fixed by the sampling plan (not by arrival order), so a resumed run fills the same slots. */
  sample_index: z.int().nonnegative(),
  /** The whole program ("" when the answer held no code). */
  solution: z.string(),
  style: z.enum(PROMPT_STYLES),
  role: z.enum(SAMPLE_ROLES),
  /** For `path` and `final`: which path. */
  path: z.int().nonnegative().optional(),
  /** For `final`: which final step of its path. */
  final: z.int().nonnegative().optional(),
  /** Pseudocode: the parsed steps (for a final: its path's prefix, then the final step). */
  steps: z.array(z.string()).optional(),
  /** The model's answers that made this sample, verbatim, in order (one per step for a pseudocode path). */
  raw: z.array(z.string()),
  /** Where the program came from: an extraction source for vanilla; `terminal_step`, `no_code` or `step_limit` for pseudocode. */
  code_source: z.string(),
  finish_reasons: z.array(z.string().nullable()),
  sampling: z.looseObject({
    temperature: z.number(),
    top_p: z.number(),
    top_k: z.number().optional(),
    repetition_penalty: z.number().optional(),
    max_tokens: z.int(),
    seed: z.int(),
    /** Samples drawn by the request (n). */
    n: z.int().positive(),
  }),
  /** Tokens of the requests that made this sample; a request that drew several samples is counted once per sample it made, so divide by samples_per_request to sum. */
  usage: z.object({
    prompt_tokens: z.int().nonnegative(),
    completion_tokens: z.int().nonnegative(),
    requests: z.int().nonnegative(),
    samples_per_request: z.int().positive(),
  }),
  latency_ms: z.number().nonnegative(),
  /** Every answer came from the response cache or a recording. */
  cached: z.boolean(),
  /** The provider that answered (API, model and base URL). */
  model: z.string(),
});

/** One line of a generated samples file. */
export type SampleRecord = z.infer<typeof sampleRecordSchema>;

/** A samples file open for appending. */
export interface SamplesFile {
  readonly path: string;
  /** Records already in the file (a resumed run), by `task_id#sample_index`. */
  readonly existing: Map<string, SampleRecord>;
  /** Appends one record with a single write, so a kill can tear only the last line. */
  append(record: SampleRecord): void;
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
export function readSampleRecords(path: string): { records: SampleRecord[]; repairedBytes: number } {
  if (!existsSync(path)) return { records: [], repairedBytes: 0 };
  const text = readFileSync(path, "utf8");
  const bySlot = new Map<string, SampleRecord>();
  let offset = 0;
  let lineNo = 0;
  while (offset < text.length) {
    const nl = text.indexOf("\n", offset);
    lineNo++;
    if (nl === -1) {
      const keep = Buffer.byteLength(text.slice(0, offset));
      const dropped = Buffer.byteLength(text) - keep;
      truncateSync(path, keep);
      return { records: [...bySlot.values()], repairedBytes: dropped };
    }
    const line = text.slice(offset, nl);
    offset = nl + 1;
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new InputError("corrupt sample line (not JSON); fix or delete it to resume", path, lineNo);
    }
    const parsed = sampleRecordSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`not a generated sample: ${issue ? `${issue.path.join(".") || "(line)"}: ${issue.message}` : "invalid"}`, path, lineNo);
    }
    bySlot.set(sampleKey(parsed.data.task_id, parsed.data.sample_index), parsed.data);
  }
  return { records: [...bySlot.values()], repairedBytes: 0 };
}

/** Opens (or creates) a samples file for appending; what it already holds is loaded for a resume. */
export function openSamplesFile(path: string): SamplesFile {
  mkdirSync(dirname(path), { recursive: true });
  const { records } = readSampleRecords(path);
  const existing = new Map(records.map((r) => [sampleKey(r.task_id, r.sample_index), r]));
  let fd: number | undefined = openSync(path, "a");
  const all = new Map(existing);
  const close = (): void => {
    if (fd === undefined) return;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      fd = undefined;
    }
  };
  return {
    path,
    existing,
    append(record) {
      if (fd === undefined) throw new Error(`internal: samples file ${path} is closed`);
      writeSync(fd, `${JSON.stringify(record)}\n`);
      all.set(sampleKey(record.task_id, record.sample_index), record);
    },
    finalize(taskOrder) {
      close();
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
    close,
  };
}
