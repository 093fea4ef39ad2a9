import { readFile } from "node:fs/promises";
import { InputError } from "../core/errors.js";

/** One non-blank line of a JSONL file, with its 1-based line number. */
export interface JsonlLine {
  line: number;
  text: string;
}

/** The non-blank lines of a JSONL file (CRLF tolerated); a missing file is an InputError naming it. */
export async function readJsonlLines(path: string): Promise<JsonlLine[]> {
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, path);
  }
  const lines: JsonlLine[] = [];
  content.split("\n").forEach((raw, i) => {
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text.trim() !== "") lines.push({ line: i + 1, text });
  });
  return lines;
}

/** `JSON.parse` of one line; a syntax error is an InputError naming the file and line. */
export function parseJsonLine(path: string, { line, text }: JsonlLine): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, path, line);
  }
}
