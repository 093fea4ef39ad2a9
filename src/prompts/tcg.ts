import { InputError } from "../core/errors.js";
import { entryPointOf, normalizeNewlines, type PromptTask } from "./prompt-task.js";
import type { ChatPrompt, CompletionPrompt } from "./vanilla.js";

/**
 * The Test Case Generator prompt of o1-Coder (arXiv 2412.00154, Figure 3), as its public code
 * writes it (src/TestCaseGenerate/tcg_test.py): `### Instruction`, `### Problem`, `### Code
 * Part` with the reference solution in a ```python fence, `### Test Part` with
 * `[Generate K test cases here to validate the code.]`; the model answers with case blocks
 *
 *     ```case
 *     # input:
 *     <input>
 *     # output:
 *     <output>
 *     ```
 *
 * The public code prints TACO's tags between `### Code Part` and the fence; MBPP has none, so
 * that line is left out. The completion prompt ends with a line break after the Test Part line,
 * so prompt + answer is exactly the training text of the paper's SFT data.
 */

/** The paper's instruction, word for word. */
export const TCG_INSTRUCTION =
  "Please complete the task in the code part and generate some test case in the test part that can be used to test the quality of the generated code.";

/** Cases asked for per request (the paper's 3). */
export const DEFAULT_TCG_CASES = 3;

/** Longest case block kept, fences included (the paper's code drops longer ones). */
export const DEFAULT_MAX_CASE_CHARS = 100;

/** A completion stops at the paper model's end-of-turn token, or where a base model starts a new section. */
export const TCG_STOP = ["<|EOT|>", "\n### "];

export const TCG_SYSTEM_PROMPT = "You are an expert Python programmer who writes test cases for code.";

/** How the TCG prompt is built. */
export interface TcgPromptOptions {
  /** Test cases asked for (default 3). */
  cases?: number;
  /**
   * Adds a description of the case format to the completion prompt (the chat form always has
   * one): an untuned model needs it; a model trained on the paper's format does not.
   */
  formatHint?: boolean;
  /** The case-size cap to state in the format description (default 100). */
  maxCaseChars?: number;
}

/** The Test Part line: `[Generate K test cases here to validate the code.]`. */
export function tcgTestPartLine(cases: number): string {
  return `[Generate ${cases} test case${cases === 1 ? "" : "s"} here to validate the code.]`;
}

/** One case in the paper's format; the TCG's size cap is measured on exactly this text. */
export function renderCaseBlock(input: string, output: string): string {
  return `\`\`\`case\n# input:\n${input.trim()}\n# output:\n${output.trim()}\n\`\`\`\n`;
}

/** Several cases as the model should answer them (the paper's `"".join(blocks).strip()`). */
export function renderCases(cases: readonly { input: string; output: string }[]): string {
  return cases.map((c) => renderCaseBlock(c.input, c.output)).join("").trim();
}

/** How to write a case for a task's entry point: the description both forms can show. */
export function tcgFormatDescription(task: PromptTask, cases: number, maxCaseChars: number = DEFAULT_MAX_CASE_CHARS): string {
  const fn = entryPointOf(task);
  const call = fn ? `\`${fn}\`` : "the function";
  return [
    `Write ${cases} test case${cases === 1 ? "" : "s"}, each in its own block:`,
    "```case",
    "# input:",
    `<the arguments of ${call}, written as between the parentheses of a call, e.g. [1, 2], 'a'>`,
    "# output:",
    `<the value ${call} returns for them, as a Python literal>`,
    "```",
    `Use Python literals only (numbers, strings, lists, tuples, dicts, sets, True, False, None). Keep each block within ${maxCaseChars} characters.`,
  ].join("\n");
}

function requireCode(task: PromptTask): string {
  if (!task.code) throw new InputError(`task ${task.taskId} has no reference solution, which the TCG prompt shows`);
  return normalizeNewlines(task.code).trimEnd();
}

function casesOf(options: TcgPromptOptions): number {
  const cases = options.cases ?? DEFAULT_TCG_CASES;
  if (!Number.isInteger(cases) || cases < 1) throw new InputError(`tcg cases must be a positive integer, got ${cases}`);
  return cases;
}

/** Instruction, problem and code: the part of the prompt every request of a task shares (and the DPO/SFT prompt). */
export function tcgPromptBody(task: PromptTask): string {
  return `### Instruction\n${TCG_INSTRUCTION}\n### Problem\n${normalizeNewlines(task.text).trim()}\n### Code Part\n\`\`\`python\n${requireCode(task)}\n\`\`\`\n`;
}

/** The completion prompt: body, then `### Test Part` and its line, ending in a line break. */
export function buildTcgPrompt(task: PromptTask, options: TcgPromptOptions = {}): CompletionPrompt {
  const cases = casesOf(options);
  const hint = options.formatHint ? `${tcgFormatDescription(task, cases, options.maxCaseChars)}\n` : "";
  return { prompt: `${tcgPromptBody(task)}### Test Part\n${hint}${tcgTestPartLine(cases)}\n`, stop: [...TCG_STOP] };
}

/** The chat form: a system message with the case format, and the paper's prompt as the user's message. */
export function buildTcgChat(task: PromptTask, options: TcgPromptOptions = {}): ChatPrompt {
  const cases = casesOf(options);
  return {
    messages: [
      { role: "system", content: `${TCG_SYSTEM_PROMPT}\n${tcgFormatDescription(task, cases, options.maxCaseChars)}` },
      { role: "user", content: `${tcgPromptBody(task)}### Test Part\n${tcgTestPartLine(cases)}` },
    ],
  };
}
