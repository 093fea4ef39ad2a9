/** What a prompt style needs to know about a task; benchmark loaders map their tasks to it. */
export interface PromptTask {
  taskId: string;
  /** The natural-language task. */
  text: string;
  /** Assert statements, e.g. "assert add(1, 2) == 3". */
  tests: string[];
  /** The function the tests call, when the benchmark names it. */
  entryPoint?: string;
  /** A reference solution; few-shot examples need one. */
  code?: string;
}

/** Which of a task's asserts the prompt shows: all (MBPP's standard prompt), the first (EvalPlus's), or none. */
export type TestsInPrompt = "all" | "first" | "none";

/** The asserts a prompt shows, one per line, with Windows line ends and stray trailing spaces removed. */
export function testsForPrompt(task: PromptTask, which: TestsInPrompt): string[] {
  const tests = task.tests.map((t) => normalizeNewlines(t).trim());
  if (which === "none") return [];
  return which === "first" ? tests.slice(0, 1) : tests;
}

/** Names wrapped around the call in MBPP asserts, never the entry point itself. */
const WRAPPERS = new Set(["assert", "not", "set", "sorted", "list", "tuple", "abs", "round", "len", "str", "int", "float", "isclose", "math", "frozenset", "dict"]);

/** The function a task's tests call: entryPoint when given, else the first non-wrapper call in the first assert. */
export function entryPointOf(task: PromptTask): string | undefined {
  if (task.entryPoint) return task.entryPoint;
  const first = task.tests[0];
  if (first === undefined) return undefined;
  for (const match of first.matchAll(/([A-Za-z_][\w.]*)\s*\(/g)) {
    const name = match[1] ?? "";
    const last = name.split(".").pop() ?? name;
    if (!WRAPPERS.has(last)) return last;
  }
  return undefined;
}

/** Turns CRLF and CR line ends into LF (MBPP's reference code uses CRLF). */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}
