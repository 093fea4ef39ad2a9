import { readFile } from "node:fs/promises";
import { InputError } from "../core/errors.js";
import type { Sample } from "../core/sample.js";
import type { TaskSpec } from "../core/task.js";
import { sha256 } from "../util/hash.js";

/** What loadSamples needs of a benchmark (a BenchmarkSpec or a resolved Benchmark). */
export interface SampleTarget {
  tasks: Pick<TaskSpec, "taskId" | "prompt" | "reference">[];
}

/** Samples read from a file (or the reference solutions), and the tasks left without any. */
export interface LoadedSamples {
  /** In benchmark task order; within a task, in file order (sampleIndex 0, 1, …). */
  samples: Sample[];
  /** Task ids of the benchmark with no sample, in benchmark order. The caller decides what that means. */
  missing: string[];
  /** The samples file, or "reference". */
  source: string;
  /** sha256 of the samples file's bytes (absent for "reference"). */
  sha256?: string;
}

/**
 * Loads the programs to judge. `pathOrReference` is:
 * - "reference": each task's reference solution, one sample per task;
 * - a JSONL file, one sample per line: `task_id` (`"Mbpp/2"`, `"2"` and `2` all name MBPP task 2)
 *   and `solution` (a whole program) or `completion` (appended to the task's prompt, as EvalPlus
 *   does; `solution` wins when both are there); several lines per task are samples 0, 1, … in file order;
 * - a bigcode-evaluation-harness generations file: a JSON list, in task order, of lists of programs.
 * A malformed line, a line with neither field or an unknown task id is an InputError naming the file and line.
 */
export async function loadSamples(pathOrReference: string, benchmark: SampleTarget): Promise<LoadedSamples> {
  if (pathOrReference === "reference") {
    return {
      samples: benchmark.tasks.map((t) => ({ taskId: t.taskId, sampleIndex: 0, program: t.reference })),
      missing: [],
      source: "reference",
    };
  }
  const path = pathOrReference;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InputError(`cannot read samples: ${(err as Error).message}`, path);
  }
  const text = bytes.toString("utf8");
  const programs = text.trimStart().startsWith("[")
    ? readBigcodeList(path, text, benchmark)
    : readJsonl(path, text, benchmark);
  const samples: Sample[] = [];
  const missing: string[] = [];
  benchmark.tasks.forEach((task, i) => {
    const list = programs[i] ?? [];
    if (list.length === 0) missing.push(task.taskId);
    list.forEach((program, sampleIndex) => samples.push({ taskId: task.taskId, sampleIndex, program }));
  });
  return { samples, missing, source: path, sha256: sha256(bytes) };
}

/** "Mbpp/2", "mbpp/2", "2" and "002" name the same task; any other id only itself. */
function idKey(id: string): string {
  const m = /^(?:mbpp\/)?0*(\d+)$/i.exec(id.trim());
  return m ? `#${m[1]}` : `=${id}`;
}

/** Programs per task position, read from JSONL. */
function readJsonl(path: string, text: string, benchmark: SampleTarget): string[][] {
  const index = new Map<string, number>();
  benchmark.tasks.forEach((task, i) => index.set(idKey(task.taskId), i));
  const programs: string[][] = benchmark.tasks.map(() => []);
  text.split("\n").forEach((raw, lineIndex) => {
    const line = lineIndex + 1;
    if (raw.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new InputError(`not valid JSON: ${(err as Error).message}`, path, line);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new InputError("a sample must be a JSON object", path, line);
    }
    const fields = record as Record<string, unknown>;
    const id = fields.task_id;
    if (typeof id !== "string" && !(typeof id === "number" && Number.isInteger(id))) {
      throw new InputError("task_id: missing or not a string or integer", path, line);
    }
    const at = index.get(idKey(String(id)));
    if (at === undefined) throw new InputError(`task_id: ${JSON.stringify(id)} is not a task of this benchmark`, path, line);
    const { solution, completion } = fields;
    let program: string;
    if (typeof solution === "string") program = solution;
    else if (typeof completion === "string") program = (benchmark.tasks[at]?.prompt ?? "") + completion;
    else if (solution !== undefined || completion !== undefined) {
      throw new InputError(`${solution !== undefined ? "solution" : "completion"}: not a string`, path, line);
    } else throw new InputError('neither "solution" nor "completion" is given', path, line);
    programs[at]?.push(program);
  });
  return programs;
}

/** Programs per task position, from bigcode-evaluation-harness's generations JSON. */
function readBigcodeList(path: string, text: string, benchmark: SampleTarget): string[][] {
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, path);
  }
  if (!Array.isArray(data)) throw new InputError("expected a JSON list of lists of programs", path);
  if (data.length > benchmark.tasks.length) {
    throw new InputError(
      `${data.length} task entries, but the benchmark has ${benchmark.tasks.length} tasks (the list must follow its task order)`,
      path,
    );
  }
  return data.map((entry: unknown, i) => {
    if (!Array.isArray(entry) || !entry.every((p) => typeof p === "string")) {
      throw new InputError(`entry ${i} (task ${benchmark.tasks[i]?.taskId}): expected a list of program strings`, path);
    }
    return entry as string[];
  });
}
