import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { InputError, VerdictError } from "../../core/index.js";
import type { BenchmarkSpec } from "../../core/index.js";
import { programDigest } from "../../judge/program-identity.js";
import { loadSamples } from "../../judge/samples.js";
import type { RunDir } from "../run-dir.js";
import { RUN_FILES, sampleKey, sampleLineSchema } from "../../runner/run-format.js";

/** What a report can show of one sample besides its verdict. */
export interface SampleRecord {
  program?: string;
  stdout?: string;
  stderr?: string;
}

/** The records found for a run, and what the reader had to say about them. */
export interface SampleRecords {
  records: Map<string, SampleRecord>;
  /** Where the programs came from: "samples.jsonl", the samples file, "reference", or null. */
  programsFrom: string | null;
  notes: string[];
}

/**
 * Finds the programs (and captured output) of a run's samples: `<run>/samples.jsonl` when the
 * run kept one; else, with the benchmark loaded, the run's samples source (the reference
 * solutions, or the samples file when it is still there). Only a program whose sha256 is the
 * verdict's program_sha256 is kept: a report never shows code that was not what was judged.
 */
export async function readSampleRecords(run: RunDir, spec: BenchmarkSpec | null): Promise<SampleRecords> {
  const judged = new Map(run.verdicts.map((v) => [sampleKey(v.task_id, v.sample_index), v.program_sha256]));
  const notes: string[] = [];
  const file = join(run.dir, RUN_FILES.samples);
  let records = new Map<string, SampleRecord>();
  let programsFrom: string | null = null;
  if (await isFile(file)) {
    records = await readSamplesJsonl(file);
    programsFrom = "samples.jsonl";
  } else if (spec !== null) {
    const source = run.manifest.samples_source;
    if (source === "reference" || (await isFile(source))) {
      try {
        const loaded = await loadSamples(source, spec);
        if (source !== "reference" && run.manifest.samples_sha256 && loaded.sha256 !== run.manifest.samples_sha256) {
          notes.push(`programs are not shown: ${source} has changed since the run`);
        } else {
          for (const s of loaded.samples) records.set(sampleKey(s.taskId, s.sampleIndex), { program: s.program });
          programsFrom = source;
        }
      } catch (err) {
        if (!(err instanceof VerdictError)) throw err;
        notes.push(`programs are not shown: ${err.message}`);
      }
    }
  }
  let mismatched = 0;
  for (const [key, record] of records) {
    const expected = judged.get(key);
    if (record.program === undefined) continue;
    if (expected === undefined || programDigest(record.program) !== expected) {
      if (expected !== undefined) mismatched++;
      delete record.program;
    }
  }
  if (mismatched > 0) {
    const where = programsFrom === "reference" ? "the reference solutions" : programsFrom;
    notes.push(`${mismatched} program(s) in ${where} differ from what was judged and are not shown`);
  }
  if (programsFrom === null && notes.length === 0) notes.push("programs are not shown: the run directory has no samples.jsonl");
  return { records, programsFrom, notes };
}

/** Reads samples.jsonl line by line; a later line for the same sample replaces an earlier one (a resumed run). */
async function readSamplesJsonl(file: string): Promise<Map<string, SampleRecord>> {
  const records = new Map<string, SampleRecord>();
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let lineNo = 0;
  // A crash mid-append tears only the last line, so a bad line is an error only when more follow.
  let torn: number | null = null;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === "") continue;
    if (torn !== null) throw new InputError("invalid JSON", file, torn);
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      torn = lineNo;
      continue;
    }
    const parsed = sampleLineSchema.safeParse(json);
    if (!parsed.success) throw new InputError(`not a sample record: ${parsed.error.issues[0]?.message ?? "invalid"}`, file, lineNo);
    const { task_id, sample_index, program, stdout, stderr } = parsed.data;
    const record: SampleRecord = {};
    if (program !== undefined) record.program = program;
    if (stdout !== undefined) record.stdout = stdout;
    if (stderr !== undefined) record.stderr = stderr;
    records.set(sampleKey(String(task_id), sample_index), record);
  }
  return records;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
