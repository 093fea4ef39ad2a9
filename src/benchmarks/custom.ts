import { InputError } from "../core/errors.js";
import type { BenchmarkSpec, TaskSpec } from "../core/task.js";
import { sha256File } from "./data.js";
import { readJsonlLines } from "./jsonl.js";
import type { BenchmarkLoadOptions } from "./load-options.js";
import { mbppRowToTask, parseMbppRow } from "./mbpp.js";

/**
 * Loads a user's benchmark: a JSONL file in MBPP's schema (task_id, text, code, test_list,
 * test_setup_code; challenge_test_list optional), tested by its asserts like MBPP.
 * Every malformed line is an InputError naming the file, the line and the field.
 */
export async function loadCustomBenchmark(path: string, opts: BenchmarkLoadOptions = {}): Promise<BenchmarkSpec> {
  const split = opts.split ?? "all";
  if (split !== "all") throw new InputError(`a custom benchmark has only the split "all", not "${split}"`, path);
  const challenge = opts.challenge ?? false;
  const tasks: TaskSpec[] = [];
  const seen = new Map<string, number>();
  for (const line of await readJsonlLines(path)) {
    const task = mbppRowToTask(parseMbppRow(path, line), challenge);
    const first = seen.get(task.taskId);
    if (first !== undefined) {
      throw new InputError(`task_id: "${task.taskId}" already used on line ${first}`, path, line.line);
    }
    seen.set(task.taskId, line.line);
    tasks.push(task);
  }
  if (tasks.length === 0) throw new InputError("no tasks in file", path);
  return {
    name: path,
    split,
    dataSha256: { [path]: await sha256File(path) },
    tasks,
    groups: challenge ? ["test", "challenge"] : ["test"],
  };
}
