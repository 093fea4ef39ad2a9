import { buildStepMessages, buildStepPrompt, isTerminalStep, parseStep, programFromSteps, PSEUDOCODE_STOP } from "./pseudocode.js";
import type { PromptTask, TestsInPrompt } from "./prompt-task.js";
import { buildTcgChat, buildTcgPrompt, type TcgPromptOptions } from "./tcg.js";
import { buildVanillaChat, buildVanillaPrompt, parseVanillaOutput, type ChatPrompt } from "./vanilla.js";

/**
 * Prompt styles: how a task is asked, how an answer is read, and what program the answers make.
 * Generation (src/pipelines/generate.ts) knows styles only through this contract, so a new
 * style (the test-case generator's, an MCTS step expansion) is one more object here, never an
 * `if` on a style's name there. A style is `answer`-shaped (one answer is a sample) or
 * `steps`-shaped (a sample is a path of answers, one step each, until a step holds code).
 */

/** The sample styles a run can compare (the registry below holds one entry each). */
export const PROMPT_STYLE_NAMES = ["vanilla", "pseudocode"] as const;

/** The name of a sample style. */
export type PromptStyleName = (typeof PROMPT_STYLE_NAMES)[number];

/** Settings every style reads. */
export interface StyleSettings {
  api: "completions" | "chat";
  /** Worked examples (vanilla's 3-shot); [] for none. */
  shots: readonly PromptTask[];
  tests: TestsInPrompt;
}

/** What a style asks: a completion prompt or a conversation, its stop strings and server extras. */
export interface StyleRequest {
  prompt?: string;
  messages?: ChatPrompt["messages"];
  stop?: string[];
  extra?: Record<string, unknown>;
}

/** One answer as a style keeps it: the text it keeps (code, a step, cases) and where it came from. */
export interface ParsedAnswer {
  text: string;
  source: string;
}

/** A prompt style (see the module comment). */
export interface PromptStyle {
  readonly name: string;
  readonly unit: "answer" | "steps";
  /** The request for a task after the answers parsed so far (a path's steps; none for a whole answer). */
  request(task: PromptTask, settings: StyleSettings, previous: readonly string[]): StyleRequest;
  parse(text: string, task: PromptTask): ParsedAnswer;
  /** The program a sample's parsed answers make; null when none holds code. */
  toProgram(parsed: readonly string[]): string | null;
  /** Steps only: whether a parsed step ends its path (it holds the code). */
  isTerminal?(parsed: string): boolean;
}

/** MBPP's vanilla prompt: one answer, its code extracted. */
export const vanillaStyle: PromptStyle = {
  name: "vanilla",
  unit: "answer",
  request(task, s) {
    const options = { shots: [...s.shots], tests: s.tests };
    if (s.api === "chat") return { messages: buildVanillaChat(task, options).messages };
    return buildVanillaPrompt(task, options);
  },
  parse(text, task) {
    const code = parseVanillaOutput(text, task);
    return { text: code.code, source: code.source };
  },
  toProgram: (parsed) => parsed[0] ?? null,
};

/** o1-Coder's pseudocode: a path of steps (3 actions), the last one writing the program. */
export const pseudocodeStyle: PromptStyle = {
  name: "pseudocode",
  unit: "steps",
  request(task, s, previous) {
    const step = previous.length + 1;
    const options = { tests: s.tests };
    if (s.api === "chat") {
      const { messages, extra } = buildStepMessages(task, [...previous], step, options);
      return { messages, stop: [...PSEUDOCODE_STOP], extra };
    }
    return { prompt: buildStepPrompt(task, [...previous], step, options), stop: [...PSEUDOCODE_STOP] };
  },
  parse(text) {
    const step = parseStep(text);
    return { text: step, source: isTerminalStep(step) ? "terminal_step" : "step" };
  },
  toProgram: (parsed) => programFromSteps([...parsed]),
  isTerminal: isTerminalStep,
};

/** The test-case generator's prompt (src/prompts/tcg.ts): one answer of case blocks, which make no program. */
export function tcgStyle(options: TcgPromptOptions = {}): PromptStyle {
  return {
    name: "tcg",
    unit: "answer",
    request: (task, s) => (s.api === "chat" ? { messages: buildTcgChat(task, options).messages } : buildTcgPrompt(task, options)),
    parse: (text) => ({ text, source: "cases" }),
    toProgram: () => null,
  };
}

/** The sample styles, by name. */
export const PROMPT_STYLES = {
  vanilla: vanillaStyle,
  pseudocode: pseudocodeStyle,
} satisfies Record<PromptStyleName, PromptStyle>;
