import { findFences } from "./extract-code.js";
import { normalizeNewlines, testsForPrompt, type PromptTask, type TestsInPrompt } from "./prompt-task.js";

/**
 * The pseudocode style of o1-Coder (arXiv 2412.00154, §3.2 and Figure 4): the model reasons in
 * steps, each taking one action: (1) define the algorithm's structure in pseudocode,
 * (2) refine part of it, (3) generate the Python code, which is the final step.
 *
 * Steps use the markers of the paper's public code: a step is rendered as
 * `<Step_Begin>\n### Step {n}: {text}<Step_End>\n\n`, the prompt for step n ends in
 * `<Step_Begin>\n### Step {n}:`, and generation stops at `<Step_End>`. A step is terminal
 * when it holds a ```python fence; the program is that step's first ```python block.
 */

export const STEP_BEGIN = "<Step_Begin>";
export const STEP_END = "<Step_End>";

/** Generation of one step stops at its end marker. */
export const PSEUDOCODE_STOP = [STEP_END];

/** Steps allowed before a path that never wrote code is given up (the paper's MCTS depth limit). */
export const DEFAULT_MAX_STEPS = 5;

export const PSEUDOCODE_INSTRUCTION = [
  "You are an expert Python programmer. Solve the task by reasoning in steps that build and refine pseudocode, then write the code.",
  "Each step takes exactly one of these actions:",
  "- Action 1: Define the algorithm's structure in pseudocode: the core functions with their inputs and outputs, without implementation detail.",
  "- Action 2: Refine part of the pseudocode: spell out the exact steps, conditions and logic. Take this action as often as needed.",
  "- Action 3: Generate Python code from the refined pseudocode. This is always the final step.",
  `Write each step between ${STEP_BEGIN} and ${STEP_END}, starting with "### Step N:", a short title and the action taken.`,
  'Steps taking Action 1 or 2 give "#### Goal:" and "#### Pseudocode:" (in a ```pseudo block); the final step gives',
  '"#### Python Code:" with the complete solution in a ```python block.',
].join("\n");

/** The worked example shown before the task: a task outside MBPP, solved in the step format. */
export const PSEUDOCODE_EXAMPLE: { task: PromptTask; steps: string[] } = {
  task: {
    taskId: "example",
    text: "Write a function to return the running maximum of a list of numbers.",
    tests: [
      "assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]",
      "assert running_max([]) == []",
      "assert running_max([-2, -5, -1]) == [-2, -2, -1]",
    ],
    entryPoint: "running_max",
  },
  steps: [
    [
      "Define the structure (Action 1)",
      "#### Goal:",
      "Outline a function that turns a list into the list of its prefix maxima.",
      "#### Pseudocode:",
      "```pseudo",
      "Function running_max(numbers):",
      "    Input: a list of numbers",
      "    Output: a list of the same length whose item i is the largest of numbers[0..i]",
      "    Walk through numbers, keeping the largest value seen so far",
      "```",
    ].join("\n"),
    [
      "Refine the walk (Action 2)",
      "#### Goal:",
      "Spell out how the largest value so far is kept, including for an empty list.",
      "#### Pseudocode:",
      "```pseudo",
      "Function running_max(numbers):",
      "    result = empty list",
      "    best = none",
      "    For each x in numbers:",
      "        If best is none or x > best:",
      "            best = x",
      "        Append best to result",
      "    Return result",
      "```",
    ].join("\n"),
    [
      "Generate the Python code (Action 3)",
      "#### Python Code:",
      "```python",
      "def running_max(numbers):",
      "    result = []",
      "    best = None",
      "    for x in numbers:",
      "        if best is None or x > best:",
      "            best = x",
      "        result.append(best)",
      "    return result",
      "```",
    ].join("\n"),
  ],
};

/** How the pseudocode prompt is built. */
export interface PseudocodeOptions {
  /** Which asserts to show (default "all"). */
  tests?: TestsInPrompt;
  /** Replaces PSEUDOCODE_INSTRUCTION. */
  instruction?: string;
  /** Worked examples (default: PSEUDOCODE_EXAMPLE); [] for none. */
  examples?: { task: PromptTask; steps: string[] }[];
}

/** One finished step as it appears in a prompt (the public code's `concat_ost_steps`). */
export function formatStep(n: number, text: string): string {
  return `${STEP_BEGIN}\n### Step ${n}: ${text}${STEP_END}\n\n`;
}

/** The task section: `### Task:`, the text, and the asserts shown. */
export function pseudocodeTaskSection(task: PromptTask, tests: TestsInPrompt = "all"): string {
  const shown = testsForPrompt(task, tests);
  const testPart = shown.length > 0 ? `Your code should pass these tests:\n\n${shown.join("\n")}\n` : "";
  return `### Task:\n${normalizeNewlines(task.text).trim()}\n${testPart}\n`;
}

/** Everything before the task's first step: instruction, worked examples, the task. */
export function pseudocodeHeader(task: PromptTask, options: PseudocodeOptions = {}): string {
  const tests = options.tests ?? "all";
  const examples = (options.examples ?? [PSEUDOCODE_EXAMPLE])
    .map((ex) => `### Example\n\n${pseudocodeTaskSection(ex.task, tests)}${ex.steps.map((s, i) => formatStep(i + 1, s)).join("")}`)
    .join("");
  return `${options.instruction ?? PSEUDOCODE_INSTRUCTION}\n\n${examples}${pseudocodeTaskSection(task, tests)}`;
}

/** The completion prompt for step n: the header, steps 1..n-1, then `<Step_Begin>\n### Step {n}:`. */
export function buildStepPrompt(task: PromptTask, previousSteps: string[], n: number, options: PseudocodeOptions = {}): string {
  return continueSteps(pseudocodeHeader(task, options), previousSteps, n);
}

/**
 * The step-n prompt from a header built once (pseudocodeHeader): a search asks for steps of many
 * paths of one task, and every such prompt shares the header as its prefix (server prefix caching).
 */
export function continueSteps(header: string, previousSteps: readonly string[], n: number): string {
  if (n !== previousSteps.length + 1) throw new RangeError(`step ${n} cannot follow ${previousSteps.length} steps`);
  return `${header}${previousSteps.map((s, i) => formatStep(i + 1, s)).join("")}${STEP_BEGIN}\n### Step ${n}:`;
}

/**
 * The chat form of the step-n prompt for instruct models: instruction and examples as the
 * system message, the task as the user's, and the steps so far as an assistant message the
 * model continues. `extra` holds the fields vLLM needs to continue a message rather than
 * start a new one.
 */
export function buildStepMessages(
  task: PromptTask,
  previousSteps: string[],
  n: number,
  options: PseudocodeOptions = {},
): { messages: { role: "system" | "user" | "assistant"; content: string }[]; extra: Record<string, unknown> } {
  if (n !== previousSteps.length + 1) throw new RangeError(`step ${n} cannot follow ${previousSteps.length} steps`);
  const tests = options.tests ?? "all";
  const withoutTask = pseudocodeHeader(task, options).slice(0, -pseudocodeTaskSection(task, tests).length).trimEnd();
  return {
    messages: [
      { role: "system", content: withoutTask },
      { role: "user", content: pseudocodeTaskSection(task, tests).trimEnd() },
      { role: "assistant", content: `${previousSteps.map((s, i) => formatStep(i + 1, s)).join("")}${STEP_BEGIN}\n### Step ${n}:` },
    ],
    extra: { continue_final_message: true, add_generation_prompt: false },
  };
}

/**
 * Cleans one generated step: drops what follows a `<Step_End>` or a new `<Step_Begin>` (a
 * server that returns the stop string, or a model that runs on) and a repeated `### Step n:`.
 */
export function parseStep(raw: string): string {
  let text = normalizeNewlines(raw);
  for (const marker of [STEP_END, STEP_BEGIN]) {
    const at = text.indexOf(marker);
    if (at >= 0) text = text.slice(0, at);
  }
  return text.trim().replace(/^###\s*Step\s*\d+\s*:\s*/i, "");
}

/** A step is terminal when it holds a ```python fence (the public code's test, case-insensitive). */
export function isTerminalStep(step: string): boolean {
  return step.toLowerCase().includes("```python");
}

/** The action a step says it takes, from its "(Action N)" label; undefined when it names none. */
export function stepAction(step: string): 1 | 2 | 3 | undefined {
  const m = /\bAction\s*([123])\b/i.exec(step.split("\n")[0] ?? "");
  return m ? (Number(m[1]) as 1 | 2 | 3) : undefined;
}

/** The program of a path: the first ```python block of its first terminal step; null when no step is terminal. */
export function programFromSteps(steps: string[]): string | null {
  const terminal = steps.find(isTerminalStep);
  if (terminal === undefined) return null;
  const block = findFences(terminal).find((f) => f.lang === "python");
  let body: string;
  if (block) body = block.body;
  else {
    // The fence opened mid-line ("#### Python Code: ```python"): take what follows it, to a closing fence.
    const at = terminal.toLowerCase().indexOf("```python");
    const rest = terminal.slice(at + "```python".length);
    const end = rest.indexOf("```");
    body = end >= 0 ? rest.slice(0, end) : rest;
  }
  body = body.replace(/^\s*\n/, "").trimEnd();
  return body === "" ? "" : `${body}\n`;
}

/** A path generated one step at a time. */
export interface StepwiseResult {
  steps: string[];
  /** The program of the terminal step; null when the step limit came first. */
  program: string | null;
  stoppedBy: "terminal" | "step_limit";
}

/**
 * Generates one reasoning path: asks for step 1, 2, ... until a step is terminal or
 * `maxSteps` steps were taken. `generate` sends a step prompt to the model and returns its text.
 */
export async function generateStepwise(
  task: PromptTask,
  generate: (prompt: string, n: number) => Promise<string>,
  options: PseudocodeOptions & { maxSteps?: number } = {},
): Promise<StepwiseResult> {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const steps: string[] = [];
  for (let n = 1; n <= maxSteps; n++) {
    const step = parseStep(await generate(buildStepPrompt(task, steps, n, options), n));
    steps.push(step);
    if (isTerminalStep(step)) return { steps, program: programFromSteps(steps), stoppedBy: "terminal" };
  }
  return { steps, program: null, stoppedBy: "step_limit" };
}
