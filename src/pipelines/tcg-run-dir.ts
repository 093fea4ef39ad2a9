import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { RunManifest } from "../core/run.js";
import { canonicalJson } from "../models/canonical-json.js";
import { lockRunDir, readManifest, writeJsonAtomic } from "../runner/results-store.js";
import { readTestsFile, TESTS_FILE, type TestsRow } from "../tcg/tests-file.js";
import { writeWhole } from "../training/trl-rows.js";
import { openJsonlAppender, readJsonlFile, type JsonlAppender } from "../util/jsonl-file.js";

/**
 * The run directory of `verdict tcg` (README, "Generating tests (TCG)"). Besides the files of
 * any run (manifest.json, summary.json, and, written whole at the end, verdicts.jsonl and
 * samples.jsonl: the reference judged on each model's generated tests), it holds:
 *
 * - `requests.jsonl`: one line per answered request (task, model, request index, seed, the
 *   answer verbatim, usage), appended as each answer arrives: a resume never asks again;
 * - `tests.jsonl` (src/tcg/tests-file.ts): the validated cases of a (model, task), appended in
 *   one write once the reference has run them: a resume never validates them again;
 * - `programs.jsonl` and `mutants.jsonl`: what the quality measures judged (written whole);
 * - `exports/`: the TRL SFT and DPO files with their manifests.
 *
 * A kill can tear only the last line of an appended file; opening the directory for a resume
 * cuts it off, and drops a (model, task) whose rows a torn write left incomplete.
 */

/** File names of a TCG run directory, beyond a run's own. */
export const TCG_FILES = {
  requests: "requests.jsonl",
  tests: TESTS_FILE,
  programs: "programs.jsonl",
  mutants: "mutants.jsonl",
  exports: "exports",
} as const;

/** One line of requests.jsonl: an answered request. */
export const requestRecordSchema = z.looseObject({
  task_id: z.string().min(1),
  model: z.string().min(1),
  request: z.int().nonnegative(),
  seed: z.int(),
  text: z.string(),
  finish_reason: z.string().nullable(),
  usage: z.object({ prompt_tokens: z.int().nonnegative(), completion_tokens: z.int().nonnegative() }),
  latency_ms: z.number().nonnegative(),
  cached: z.boolean(),
});

/** One line of requests.jsonl. */
export type RequestRecord = z.infer<typeof requestRecordSchema>;

/** The key of a (model, task) unit, and of one of its requests. */
export const unitKey = (model: string, taskId: string): string => JSON.stringify([model, taskId]);
export const requestKey = (model: string, taskId: string, request: number): string => JSON.stringify([model, taskId, request]);

/** What a TCG run fixes: a resume with a config that differs in any of it is refused. */
export interface TcgIdentity {
  benchmark: string;
  split: string;
  task_ids: string[];
  settings: unknown;
  models: { name: string; model: string; api: string }[];
}

/** A TCG run directory open for writing (locked to this process). */
export interface TcgRunDir {
  readonly dir: string;
  /** Answered requests on disk, by requestKey. */
  readonly requests: Map<string, RequestRecord>;
  /** Validated rows on disk, by unitKey (each unit's rows are whole). */
  readonly validated: Map<string, TestsRow[]>;
  /** The manifest of the run being resumed, if any. */
  readonly previous: RunManifest | undefined;
  appendRequest(r: RequestRecord): void;
  /** Appends one unit's rows in one write. */
  appendRows(model: string, taskId: string, rows: readonly TestsRow[]): void;
  writeJson(name: string, value: unknown): void;
  /** Writes a JSONL file whole (temp file, rename). */
  writeLines(name: string, rows: readonly unknown[]): void;
  close(): void;
}

/**
 * Opens a TCG run directory: a new one must not hold a run already; a resumed one must, made by
 * the same identity. `expectedRows(model, taskId)` says how many rows a unit's requests on disk
 * make, so a unit cut short by a torn write is dropped (validated again).
 */
export async function openTcgRunDir(
  dir: string,
  resume: boolean,
  identity: TcgIdentity,
  expectedRows: (requests: Map<string, RequestRecord>, model: string, taskId: string) => number,
): Promise<TcgRunDir> {
  const previous = readManifest(dir);
  if (resume && previous === undefined) throw new InputError("not a TCG run directory (no manifest.json); nothing to resume", dir);
  if (!resume && existsSync(join(dir, TCG_FILES.requests))) throw new InputError("a TCG run is already there; resume it (--resume) or pick another directory", dir);
  if (previous !== undefined) {
    const before = (previous as unknown as { tcg?: { identity?: unknown } }).tcg?.identity;
    if (canonicalJson(before ?? null) !== canonicalJson(identity)) {
      throw new InputError("cannot resume: the run was made with a different config (benchmark, split, tasks, tcg settings or models differ); start a new run", join(dir, "manifest.json"));
    }
  }
  mkdirSync(dir, { recursive: true });
  const release = lockRunDir(dir);
  try {
    const requests = readRequests(join(dir, TCG_FILES.requests));
    const validated = await readValidated(join(dir, TCG_FILES.tests), (model, taskId) => expectedRows(requests, model, taskId));
    const requestLines = openJsonlAppender(join(dir, TCG_FILES.requests));
    const testLines = openJsonlAppender(join(dir, TCG_FILES.tests));
    return runDirOver(dir, previous, requests, validated, requestLines, testLines, release);
  } catch (err) {
    release();
    throw err;
  }
}

function runDirOver(
  dir: string,
  previous: RunManifest | undefined,
  requests: Map<string, RequestRecord>,
  validated: Map<string, TestsRow[]>,
  requestLines: JsonlAppender,
  testLines: JsonlAppender,
  release: () => void,
): TcgRunDir {
  let closed = false;
  return {
    dir,
    requests,
    validated,
    previous,
    appendRequest(r) {
      requestLines.append(r);
      requests.set(requestKey(r.model, r.task_id, r.request), r);
    },
    appendRows(model, taskId, rows) {
      if (rows.length > 0) testLines.append(...rows);
      validated.set(unitKey(model, taskId), [...rows]);
    },
    writeJson: (name, value) => writeJsonAtomic(join(dir, name), value),
    writeLines: (name, rows) => writeWhole(join(dir, name), rows.map((r) => `${JSON.stringify(r)}\n`).join("")),
    close() {
      if (closed) return;
      closed = true;
      try {
        requestLines.close();
        testLines.close();
      } finally {
        release();
      }
    },
  };
}

/** requests.jsonl, a torn last line cut off; a bad line is an InputError naming it. */
function readRequests(path: string): Map<string, RequestRecord> {
  const out = new Map<string, RequestRecord>();
  for (const { line, text } of readJsonlFile(path, { repair: true }).lines) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError("corrupt request line (not JSON); delete it to ask that request again, then resume", path, line);
    }
    const parsed = requestRecordSchema.safeParse(json);
    if (!parsed.success) throw new InputError(`not a request record: ${parsed.error.issues[0]?.path.join(".") ?? ""}: ${parsed.error.issues[0]?.message ?? ""}`, path, line);
    out.set(requestKey(parsed.data.model, parsed.data.task_id, parsed.data.request), parsed.data);
  }
  return out;
}

/**
 * tests.jsonl's rows by unit. Each unit was appended in one write, so only the last unit can be
 * short (a torn write cut its tail): it is dropped from the file and validated again.
 */
async function readValidated(path: string, expected: (model: string, taskId: string) => number): Promise<Map<string, TestsRow[]>> {
  const out = new Map<string, TestsRow[]>();
  if (!existsSync(path)) return out;
  const rows = await readTestsFile(path, { repair: true });
  const order: string[] = [];
  for (const { row } of rows) {
    const key = unitKey(row.origin.model, row.task_id);
    if (!out.has(key)) order.push(key);
    out.set(key, [...(out.get(key) ?? []), row]);
  }
  const last = order.at(-1);
  if (last === undefined) return out;
  const [model, taskId] = JSON.parse(last) as [string, string];
  const kept = out.get(last) ?? [];
  if (kept.length < expected(model, taskId)) {
    out.delete(last);
    const whole = rows.filter(({ row }) => unitKey(row.origin.model, row.task_id) !== last).map(({ row }) => `${JSON.stringify(row)}\n`);
    writeWhole(path, whole.join(""));
  }
  return out;
}
