/**
 * Training data for the TCG model, in TRL's formats (REFERENCE.md, "Trainer formats"):
 * SFT rows `{prompt, completion}` and DPO rows `{prompt, chosen, rejected}`, where the
 * completions exclude the prompt. The prompt is the TCG completion prompt of the task
 * (instruction, problem, code, and the Test Part line, src/prompts/tcg.ts), so prompt +
 * completion is the paper's SFT text. A completion is K cases in the paper's block format,
 * written as the model wrote them; a task's valid cases are taken K at a time in file order
 * (the last chunk may hold fewer).
 */
import type { SftRow } from "../training/trl-rows.js";
import { renderCases } from "../prompts/tcg.js";
import type { TestsRow } from "./tests-file.js";

export { dpoRowSchema, sftRowSchema, type DpoRow, type SftRow } from "../training/trl-rows.js";

/** What the exports read: a run's tests.jsonl rows, each task's prompt, and the cases per completion. */
export interface TrainingSource {
  rows: readonly TestsRow[];
  /** The TCG completion prompt of a task (buildTcgPrompt(...).prompt); undefined leaves the task out. */
  promptFor: (taskId: string) => string | undefined;
  /** Cases per completion: the K the prompt asks for. */
  casesPerCompletion: number;
}

/** One task's rows, in file order, with its prompt. */
export interface TaskRows {
  taskId: string;
  prompt: string;
  rows: TestsRow[];
}

/** The source's rows by task (first-appearance order), leaving out tasks without a prompt; counts those. */
export function rowsByTask(source: TrainingSource): { tasks: TaskRows[]; withoutPrompt: number } {
  const byTask = new Map<string, TestsRow[]>();
  for (const row of source.rows) {
    const list = byTask.get(row.task_id) ?? [];
    list.push(row);
    byTask.set(row.task_id, list);
  }
  const tasks: TaskRows[] = [];
  let withoutPrompt = 0;
  for (const [taskId, rows] of byTask) {
    const prompt = source.promptFor(taskId);
    if (prompt === undefined) withoutPrompt++;
    else tasks.push({ taskId, prompt, rows });
  }
  return { tasks, withoutPrompt };
}

/** Consecutive chunks of `size` (the last may be shorter). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows as a completion: the paper's case blocks, texts as the model wrote them. */
export function completionOf(rows: readonly Pick<TestsRow, "input_text" | "output_text">[]): string {
  return renderCases(rows.map((r) => ({ input: r.input_text, output: r.output_text })));
}

/** SFT rows from valid cases: one per chunk of K valid cases of a task. */
export function buildSftRows(source: TrainingSource): { rows: SftRow[]; counts: Record<string, number> } {
  const { tasks, withoutPrompt } = rowsByTask(source);
  const rows: SftRow[] = [];
  let cases = 0;
  let tasksUsed = 0;
  for (const task of tasks) {
    const valid = task.rows.filter((r) => r.validity === "valid");
    if (valid.length > 0) tasksUsed++;
    cases += valid.length;
    for (const group of chunks(valid, source.casesPerCompletion)) rows.push({ prompt: task.prompt, completion: completionOf(group) });
  }
  return { rows, counts: { rows: rows.length, tasks: tasksUsed, valid_cases: cases, tasks_without_prompt: withoutPrompt } };
}
