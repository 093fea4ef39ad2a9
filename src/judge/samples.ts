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
 *   does; `solution` wins when both are there); several lines per task are samples 0, 1, … in file
 *   order, unless a line gives its own `sample_index` (as `verdict generate` writes);
 * - a bigcode-evaluation-harness generations file: a JSON list, in task order, of lists of programs.
 * A malformed line, a line with neither field, an unknown task id or a second line for the same
 * (task, sample) is an InputError naming the file and line; so is a file with no sample at all.
 * Tasks without a sample are listed in `missing`; what that means is the caller's decision.
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
    const list = [...(programs[i] ?? new Map<number, string>())].sort(([a], [b]) => a - b);
    if (list.length === 0) missing.push(task.taskId);
    for (const [sampleIndex, program] of list) samples.push({ taskId: task.taskId, sampleIndex, program });
  });
  // An empty file would score nothing out of nothing; whatever was meant, it was not that.
  if (samples.length === 0) throw new InputError("no samples in the file", path);
  return { samples, missing, source: path, sha256: sha256(bytes) };
}

/** A samples file names a task the benchmark (its split) does not have; `taskId` as the file spells it. */
export class UnknownTaskError extends InputError {
  override name = "UnknownTaskError";
  constructor(
    readonly taskId: string,
    message: string,
    file: string,
    line: number,
  ) {
    super(message, file, line);
  }
}

/** "Mbpp/2", "mbpp/2", "2" and "002" name the same task; any other id only itself. */
export function idKey(id: string): string {
  const m = /^(?:mbpp\/)?0*(\d+)$/i.exec(id.trim());
  return m ? `#${m[1]}` : `=${id}`;
}

/** Programs per task position, by sample index, read from JSONL. */
function readJsonl(path: string, text: string, benchmark: SampleTarget): Map<number, string>[] {
  const index = new Map<string, number>();
  benchmark.tasks.forEach((task, i) => index.set(idKey(task.taskId), i));
  const programs: Map<number, string>[] = benchmark.tasks.map(() => new Map());
  /** Per task position: the line each sample index came from (for the duplicate error) and the lines seen. */
  const lineOf: Map<number, number>[] = benchmark.tasks.map(() => new Map());
  const linesSeen: number[] = benchmark.tasks.map(() => 0);
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
    if (at === undefined) throw new UnknownTaskError(String(id), `task_id: ${JSON.stringify(id)} is not a task of this benchmark`, path, line);
    const { solution, completion } = fields;
    let program: string;
    if (typeof solution === "string") program = solution;
    else if (typeof completion === "string") program = (benchmark.tasks[at]?.prompt ?? "") + completion;
    else if (solution !== undefined || completion !== undefined) {
      throw new InputError(`${solution !== undefined ? "solution" : "completion"}: not a string`, path, line);
    } else throw new InputError('neither "solution" nor "completion" is given', path, line);
    const given = fields.sample_index;
    if (given !== undefined && !(typeof given === "number" && Number.isInteger(given) && given >= 0)) {
      throw new InputError(`sample_index: ${JSON.stringify(given)} is not a non-negative integer`, path, line);
    }
    // Without its own index, a line is its task's next sample in file order.
    const sampleIndex = given ?? (linesSeen[at] ?? 0);
    linesSeen[at] = (linesSeen[at] ?? 0) + 1;
    const first = lineOf[at]?.get(sampleIndex);
    if (first !== undefined) {
      const taskId = benchmark.tasks[at]?.taskId ?? String(id);
      throw new InputError(`task ${taskId} sample ${sampleIndex} is given twice (first on line ${first})`, path, line);
    }
    lineOf[at]?.set(sampleIndex, line);
    programs[at]?.set(sampleIndex, program);
  });
  return programs;
}

/** Programs per task position, by sample index, from bigcode-evaluation-harness's generations JSON. */
function readBigcodeList(path: string, text: string, benchmark: SampleTarget): Map<number, string>[] {
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
    return new Map((entry as string[]).map((program, sampleIndex) => [sampleIndex, program]));
  });
}
