import { z } from "zod";
import { InputError } from "../core/errors.js";
import type { BenchmarkSpec, TaskSpec, TestSpec } from "../core/task.js";
import { type BenchmarkConfig, describeIssues, loadBenchmarkConfig, splitRange } from "./benchmark-config.js";
import { resolveDataFile } from "./data.js";
import { type JsonlLine, parseJsonLine, readJsonlLines } from "./jsonl.js";
import type { BenchmarkLoadOptions } from "./load-options.js";

/** One row of mbpp.jsonl (and of a custom benchmark in MBPP's schema). */
export const mbppRowSchema = z.object({
  task_id: z.union([z.int().nonnegative(), z.string().min(1)]),
  text: z.string(),
  code: z.string(),
  test_list: z.array(z.string().min(1)).min(1),
  test_setup_code: z.string(),
  challenge_test_list: z.array(z.string().min(1)).optional(),
});

/** A validated MBPP row. */
export type MbppRow = z.infer<typeof mbppRowSchema>;

/** MBPP's code uses CRLF line endings; programs and setup code are handled with LF. */
export function normalizeNewlines(code: string): string {
  return code.replace(/\r\n?/g, "\n");
}

/** One test per assert line: the assert is decomposed later, so nothing is expected yet. */
export function assertTests(asserts: string[], group: string): TestSpec[] {
  return asserts.map((src, i) => ({
    id: `${group}/${i}`,
    group,
    input: { kind: "assert", src: normalizeNewlines(src) },
    expect: null,
    display: src.trim(),
  }));
}

/** An MBPP row as a task spec; challenge asserts are added only when asked. */
export function mbppRowToTask(row: MbppRow, challenge: boolean): TaskSpec {
  const tests = assertTests(row.test_list, "test");
  if (challenge && row.challenge_test_list) tests.push(...assertTests(row.challenge_test_list, "challenge"));
  return {
    taskId: String(row.task_id),
    text: row.text,
    prompt: "",
    reference: normalizeNewlines(row.code),
    setup: normalizeNewlines(row.test_setup_code),
    tests,
  };
}

/** Validates one JSONL line against MBPP's schema; errors name the file, line and field. */
export function parseMbppRow(path: string, line: JsonlLine): MbppRow {
  const result = mbppRowSchema.safeParse(parseJsonLine(path, line));
  if (!result.success) throw new InputError(`not an MBPP task: ${describeIssues(result.error)}`, path, line.line);
  return result.data;
}

/** Whether a numeric task id falls in a split's inclusive range (null: every task). */
export function inSplit(taskNumber: number, range: [number, number] | null): boolean {
  return range === null || (taskNumber >= range[0] && taskNumber <= range[1]);
}

/** Loads original MBPP (974 tasks, 3 asserts each) for one split. */
export async function loadMbpp(opts: BenchmarkLoadOptions = {}, config?: BenchmarkConfig): Promise<BenchmarkSpec> {
  const cfg = config ?? (await loadBenchmarkConfig("mbpp"));
  const split = opts.split ?? cfg.splits.default;
  const range = splitRange(cfg, split);
  const source = cfg.data[0];
  if (!source) throw new InputError(`${cfg.name} has no data file`);
  const data = await resolveDataFile(source.file, { source, dataDir: opts.dataDir });
  const challenge = opts.challenge ?? false;
  const tasks: TaskSpec[] = [];
  for (const line of await readJsonlLines(data.path)) {
    const row = parseMbppRow(data.path, line);
    if (inSplit(Number(row.task_id), range)) tasks.push(mbppRowToTask(row, challenge));
  }
  return {
    name: cfg.name,
    split,
    dataSha256: { [data.name]: data.sha256 },
    tasks,
    groups: challenge ? [...cfg.groups, "challenge"] : [...cfg.groups],
  };
}
