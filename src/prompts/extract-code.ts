import { normalizeNewlines } from "./prompt-task.js";

/** A fenced block found in model output. */
export interface CodeFence {
  /** The info string's first word, lower-cased ("" when none). */
  lang: string;
  /** The lines between the fences, dedented by the opening fence's indent. */
  body: string;
  /** False when the output ended before a closing fence (max_tokens, or a stop string inside the block). */
  closed: boolean;
}

/** Where extracted code came from: a closed fence, a fence never closed, unfenced code, or nothing code-like. */
export type CodeSource = "fence" | "open_fence" | "plain" | "none";

/** The program found in a model's output. */
export interface ExtractedCode {
  code: string;
  source: CodeSource;
}

/** Hints that make extraction pick the right block. */
export interface ExtractOptions {
  /** The function the tests call: a block defining it wins over other blocks. */
  entryPoint?: string;
  /** The prompt sent: an echo of it in the output is cut away. */
  prompt?: string;
}

const PYTHON_LANGS = new Set(["python", "py", "python3", "py3", "ipython", "pycon"]);

/** Finds fenced blocks (``` or ~~~, any info string), including one the output never closed. */
export function findFences(text: string): CodeFence[] {
  const fences: CodeFence[] = [];
  let open: { marker: string; indent: number; lang: string; lines: string[] } | undefined;
  for (const line of normalizeNewlines(text).split("\n")) {
    if (!open) {
      const m = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (m) open = { indent: (m[1] ?? "").length, marker: m[2] ?? "```", lang: (m[3] ?? "").toLowerCase(), lines: [] };
      continue;
    }
    const trimmed = line.trim();
    const char = open.marker[0] ?? "`";
    if (trimmed.length >= open.marker.length && [...trimmed].every((c) => c === char)) {
      fences.push(done(open, true));
      open = undefined;
    } else if (line.trimEnd().endsWith(open.marker) && trimmed.length > open.marker.length) {
      // Some models close the fence on the code's last line: `return x```.
      open.lines.push(line.trimEnd().slice(0, -open.marker.length));
      fences.push(done(open, true));
      open = undefined;
    } else {
      open.lines.push(line);
    }
  }
  if (open) fences.push(done(open, false));
  return fences;
}

/**
 * Extracts the program from a model's output, whatever shape it came in: fenced (with or
 * without a language, closed or not), with prose around it, after an echo of the prompt,
 * in MBPP's [BEGIN] ... [DONE] format, or as bare code. With several candidates, the one
 * that defines the entry point wins, then the first that defines any function or class.
 */
export function extractCode(output: string, options: ExtractOptions = {}): ExtractedCode {
  let text = normalizeNewlines(output);
  // Reasoning models think aloud first; code drafted while thinking is not the answer.
  text = text.replace(/<think>[\s\S]*?<\/think>/g, "");
  if (options.prompt) {
    const echo = normalizeNewlines(options.prompt).trim();
    const at = echo === "" ? -1 : text.lastIndexOf(echo);
    if (at >= 0) text = text.slice(at + echo.length);
  }
  // In MBPP's format [DONE] ends the answer; a model that keeps going invents a new task after it.
  const doneAt = text.indexOf("[DONE]");
  if (doneAt >= 0) text = text.slice(0, doneAt);
  const beginAt = text.lastIndexOf("[BEGIN]");
  if (beginAt >= 0) text = text.slice(beginAt + "[BEGIN]".length);

  const fences = findFences(text).filter((f) => PYTHON_LANGS.has(f.lang) || (f.lang === "" && looksLikePython(f.body)));
  const fence = choose(fences, (f) => f.body, options.entryPoint);
  if (fence) return { code: finish(fence.body), source: fence.closed ? "fence" : "open_fence" };

  const chunk = choose(plainChunks(text), (c) => c, options.entryPoint);
  if (chunk !== undefined) return { code: finish(chunk), source: "plain" };
  return { code: "", source: "none" };
}

/** True when the text defines `name` at any indent (a function, an async function, a class or a lambda). */
export function definesName(code: string, name: string): boolean {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\s*(?:(?:async\\s+)?def\\s+${n}\\s*\\(|class\\s+${n}\\b|${n}\\s*=\\s*lambda\\b)`, "m").test(code);
}

function choose<T>(items: T[], code: (item: T) => string, entryPoint: string | undefined): T | undefined {
  if (entryPoint) {
    const defining = items.find((item) => definesName(code(item), entryPoint));
    if (defining !== undefined) return defining;
  }
  return items.find((item) => /^\s*(?:(?:async\s+)?def|class)\s+\w+/m.test(code(item))) ?? items[0];
}

function done(open: { indent: number; lines: string[]; lang: string }, closed: boolean): CodeFence {
  const strip = new RegExp(`^[ \\t]{0,${open.indent}}`);
  return { lang: open.lang, body: open.lines.map((l) => l.replace(strip, "")).join("\n"), closed };
}

function finish(code: string): string {
  const lines = code.split("\n");
  while (lines.length > 0 && (lines[0] ?? "").trim() === "") lines.shift();
  const body = lines.join("\n").trimEnd();
  return body === "" ? "" : `${dedent(body)}\n`;
}

function dedent(code: string): string {
  const lines = code.split("\n");
  const indent = (line: string): number => (/^[ \t]*/.exec(line)?.[0] ?? "").length;
  const cut = Math.min(...lines.filter((l) => l.trim() !== "").map(indent));
  if (!Number.isFinite(cut) || cut === 0) return code;
  return lines.map((l) => l.slice(Math.min(cut, indent(l)))).join("\n");
}

/** Statement starts that prose rarely has: keywords with their Python shape, assignments, calls. */
const TOP_LEVEL_CODE = [
  /^(?:async\s+)?def\s+\w+\s*\(/,
  /^class\s+\w+\s*[(:]/,
  /^import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*\s*$/,
  /^from\s+[\w.]+\s+import\s+/,
  /^(?:if|elif|while|with|for)\s.*:\s*(?:#.*)?$/,
  /^(?:else|try|finally)\s*:\s*(?:#.*)?$/,
  /^except\b.*:\s*(?:#.*)?$/,
  /^(?:return|raise|assert|del|global|nonlocal)\b(?!\s+(?:the|a|an|is|are|it|to|of)\b)/,
  /^(?:pass|break|continue)\s*(?:#.*)?$/,
  /^@[\w.]+/,
  /^#/,
  /^[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*)*\s*(?::\s*[\w[\], .|]+)?\s*(?:[-+*/%&|^@]|\/\/|\*\*|>>|<<)?=(?!=)/,
  /^[A-Za-z_][\w.]*\s*\(.*\)\s*(?:#.*)?$/,
  /^[)\]}]/,
  /^(?:"""|''')/,
];

function isTopLevelCode(line: string): boolean {
  return TOP_LEVEL_CODE.some((re) => re.test(line));
}

function looksLikePython(code: string): boolean {
  const lines = code.split("\n").filter((l) => l.trim() !== "");
  return lines.length > 0 && lines.some((l) => /^\s*(?:(?:async\s+)?def|class|import|from|return)\b/.test(l)) && isTopLevelCode((lines[0] ?? "").trim());
}

/**
 * Runs of unfenced code: from a line that starts a statement, through indented lines, blank
 * lines, open brackets and triple-quoted strings, up to the first line of prose or a fence.
 */
function plainChunks(text: string): string[] {
  const chunks: string[] = [];
  let current: string[] | undefined;
  let depth = 0;
  let inString = false;
  const close = (): void => {
    if (current) chunks.push(current.join("\n"));
    current = undefined;
    depth = 0;
    inString = false;
  };
  for (const line of text.split("\n")) {
    const continuing = current !== undefined && (depth > 0 || inString || line.trim() === "" || /^[ \t]/.test(line));
    if (!continuing) {
      if (/^\s*(`{3,}|~{3,})/.test(line) || !isTopLevelCode(line)) {
        close();
        continue;
      }
      current ??= [];
    }
    current?.push(line);
    if (current) {
      const quotes = (line.match(/"""|'''/g) ?? []).length;
      if (quotes % 2 === 1) inString = !inString;
      if (!inString) depth = Math.max(0, depth + bracketBalance(line));
    }
  }
  close();
  return chunks.map((c) => c.trimEnd()).filter((c) => c.trim() !== "");
}

function bracketBalance(line: string): number {
  // Strings and comments would throw the count off: drop them first.
  const code = line.replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'/g, "").replace(/#.*$/, "");
  let balance = 0;
  for (const c of code) {
    if (c === "(" || c === "[" || c === "{") balance++;
    else if (c === ")" || c === "]" || c === "}") balance--;
  }
  return balance;
}
