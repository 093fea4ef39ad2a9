import { InputError } from "../core/errors.js";
import { extractCode, type ExtractedCode } from "./extract-code.js";
import { entryPointOf, normalizeNewlines, testsForPrompt, type PromptTask, type TestsInPrompt } from "./prompt-task.js";

/**
 * The vanilla style: the task, straight to code. The completion form is MBPP's standard
 * prompt (Austin et al. 2021); the chat form asks for the code in a ```python fence.
 */

/** MBPP's prompt split (task ids 1-10) provides the standard 3-shot examples: tasks 2, 3 and 4. */
export const MBPP_FEW_SHOT_TASK_IDS = ["2", "3", "4"] as const;

/** The completion form stops where the few-shot examples end each answer. */
export const VANILLA_STOP = ["[DONE]"];

export const VANILLA_SYSTEM_PROMPT = "You are an expert Python programmer.";

/** How the vanilla prompt is built. */
export interface VanillaOptions {
  /** Worked examples shown before the task (each needs `code`); none = 0-shot. */
  shots?: PromptTask[];
  /** Which asserts to show, for the task and the examples alike (default "all"). */
  tests?: TestsInPrompt;
}

/** A completion-API prompt and where generation must stop. */
export interface CompletionPrompt {
  prompt: string;
  stop: string[];
}

/** A chat-API conversation. */
export interface ChatPrompt {
  messages: { role: "system" | "user" | "assistant"; content: string }[];
}

/** Picks the few-shot examples (by default MBPP's 2, 3, 4) from loaded tasks, in the given id order. */
export function selectFewShot(tasks: PromptTask[], ids: readonly string[] = MBPP_FEW_SHOT_TASK_IDS): PromptTask[] {
  return ids.map((id) => {
    const task = tasks.find((t) => t.taskId === id);
    if (!task) throw new InputError(`few-shot task ${id} is not among the loaded tasks (load MBPP's prompt split, task ids 1-10)`);
    if (!task.code) throw new InputError(`few-shot task ${id} has no reference code`);
    return task;
  });
}

/** MBPP's task statement: `You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n{tests}\n`. */
export function mbppTaskStatement(task: PromptTask, tests: TestsInPrompt = "all"): string {
  const text = normalizeNewlines(task.text).trim();
  const shown = testsForPrompt(task, tests);
  if (shown.length === 0) {
    const name = entryPointOf(task);
    return `You are an expert Python programmer, and here is your task: ${text}${name ? ` The function should be named ${name}.` : ""}\n`;
  }
  return `You are an expert Python programmer, and here is your task: ${text} Your code should pass these tests:\n\n${shown.join("\n")}\n`;
}

/** The completion prompt: each example as statement + `[BEGIN]\n{code}\n[DONE]\n`, then the task's statement and `[BEGIN]\n`. */
export function buildVanillaPrompt(task: PromptTask, options: VanillaOptions = {}): CompletionPrompt {
  const tests = options.tests ?? "all";
  const shots = (options.shots ?? []).map((shot) => `${mbppTaskStatement(shot, tests)}[BEGIN]\n${shotCode(shot)}\n[DONE]\n`);
  return { prompt: `${shots.join("")}${mbppTaskStatement(task, tests)}[BEGIN]\n`, stop: [...VANILLA_STOP] };
}

/** The chat form: a system message, the examples as user/assistant turns, then the task. */
export function buildVanillaChat(task: PromptTask, options: VanillaOptions = {}): ChatPrompt {
  const tests = options.tests ?? "all";
  const ask = (t: PromptTask): string =>
    `${mbppTaskStatement(t, tests).replace(/^You are an expert Python programmer, and here is your task: /, "Here is your task: ")}\n` +
    "Write the complete Python code in a single ```python code block.";
  const messages: ChatPrompt["messages"] = [{ role: "system", content: VANILLA_SYSTEM_PROMPT }];
  for (const shot of options.shots ?? []) {
    messages.push({ role: "user", content: ask(shot) }, { role: "assistant", content: `\`\`\`python\n${shotCode(shot)}\n\`\`\`` });
  }
  messages.push({ role: "user", content: ask(task) });
  return { messages };
}

/** The program in a vanilla answer (either form): the output's code, preferring a block that defines the entry point. */
export function parseVanillaOutput(output: string, task: PromptTask): ExtractedCode {
  const entryPoint = entryPointOf(task);
  return extractCode(output, entryPoint ? { entryPoint } : {});
}

function shotCode(shot: PromptTask): string {
  if (!shot.code) throw new InputError(`few-shot task ${shot.taskId} has no reference code`);
  return normalizeNewlines(shot.code).trimEnd();
}
