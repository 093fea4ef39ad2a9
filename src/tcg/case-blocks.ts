/**
 * Finds the test cases in a TCG model's answer, as text: nothing here reads values (that is
 * py-literal.ts) and nothing is evaluated.
 *
 * Where cases are looked for, in order (the first that yields any case wins):
 * 1. fenced blocks whose info string is `case` (the paper's format), closed or not;
 * 2. any other fenced block holding an `# input:` marker line;
 * 3. the bare text, for a model that wrote the markers without fences.
 * Inside a block, an `# input:` line starts a case and an `# output:` line ends its input;
 * either marker may carry its text on the same line (`# input: 1, 2`), and a block may hold
 * several cases. A fence line ends a case's text; in bare text so does a blank line after the
 * output. Markers are matched case-insensitively with any number of `#`s and an optional colon.
 */
import { findFences } from "../prompts/extract-code.js";
import { normalizeNewlines } from "../prompts/prompt-task.js";

/** One case as written: its input and output text (trimmed) and what was wrong with its shape. */
export interface CaseText {
  input: string;
  output: string;
  /** Set when the case cannot be read whatever its text: no output marker, an unclosed fence, ... */
  problem?: string;
}

const INPUT_MARKER = /^\s*#+\s*input\b\s*:?[ \t]*(.*)$/i;
const OUTPUT_MARKER = /^\s*#+\s*output\b\s*:?[ \t]*(.*)$/i;

interface Section {
  lines: string[];
  /** The answer ended inside this block: its last case may be cut short. */
  truncated: boolean;
  /** Bare text: an output ends at a blank line or a fence. */
  bare: boolean;
}

/** Splits one block (or the bare text) into cases. */
function casesIn(section: Section): CaseText[] {
  const cases: CaseText[] = [];
  let current: { input: string[]; output: string[] | undefined; orphan?: boolean } | undefined;
  let outputDone = false;
  const finish = (): void => {
    if (current === undefined) return;
    const c: CaseText = { input: current.input.join("\n").trim(), output: (current.output ?? []).join("\n").trim() };
    if (current.output === undefined) c.problem = "no `# output:` line";
    // An output with no input of its own: a case nobody can run.
    if (current.orphan) c.problem = "an `# output:` line without an `# input:` line";
    cases.push(c);
    current = undefined;
  };
  for (const line of section.lines) {
    const input = INPUT_MARKER.exec(line);
    const output = input ? null : OUTPUT_MARKER.exec(line);
    if (input) {
      finish();
      current = { input: [input[1] ?? ""], output: undefined };
      outputDone = false;
    } else if (output) {
      if (current === undefined || current.output !== undefined) {
        finish();
        current = { input: [], output: [output[1] ?? ""], orphan: true };
        outputDone = false;
      } else {
        current.output = [output[1] ?? ""];
      }
    } else if (current !== undefined && !outputDone) {
      // A fence line is never part of a value (a block the model opened without closing the
      // last one); in bare text a blank line ends the output too, before any prose after it.
      const fence = /^\s*(```|~~~)/.test(line);
      if (fence || (section.bare && current.output !== undefined && line.trim() === "")) {
        outputDone = true;
        continue;
      }
      (current.output ?? current.input).push(line);
    }
  }
  finish();
  if (section.truncated && cases.length > 0) {
    const last = cases[cases.length - 1] as CaseText;
    last.problem ??= "the answer ended before the block was closed";
  }
  return cases;
}

/** The test cases of a TCG answer, in the order written (see the module comment for the rules). */
export function parseCaseBlocks(answer: string): CaseText[] {
  // Reasoning models think aloud first; cases drafted while thinking are not the answer.
  const text = normalizeNewlines(answer).replace(/<think>[\s\S]*?<\/think>/g, "");
  const fences = findFences(text);
  const hasInput = (body: string): boolean => body.split("\n").some((l) => INPUT_MARKER.test(l));
  const tiers: Section[][] = [
    fences.filter((f) => f.lang === "case").map((f) => ({ lines: f.body.split("\n"), truncated: !f.closed, bare: false })),
    fences.filter((f) => f.lang !== "case" && hasInput(f.body)).map((f) => ({ lines: f.body.split("\n"), truncated: !f.closed, bare: false })),
    [{ lines: text.split("\n"), truncated: false, bare: true }],
  ];
  for (const sections of tiers) {
    const cases = sections.flatMap(casesIn);
    if (cases.length > 0) return cases;
  }
  return [];
}
