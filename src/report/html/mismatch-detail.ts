/** The two sides of a wrong answer, as shown in reports. */
export interface Mismatch {
  /** The expected value's repr, or what was asked for ("a truthy value", "the same set as {1, 2}"). */
  expected: string;
  /** The repr of what the program returned. */
  actual: string;
}

const PREFIX = "expected ";
const SEPARATOR = " got ";
const OPENERS = "([{";
const CLOSERS = ")]}";

/**
 * Splits a judge detail of the form "expected X got Y" into its two sides. The split is at the
 * first " got " outside any string literal and bracket of X, so a repr that itself holds
 * " got " stays whole; when X was clipped mid-literal, the first " got " is used instead.
 * Any other detail (an exception, a limit) is not a mismatch: null.
 */
export function splitMismatch(detail: string): Mismatch | null {
  if (!detail.startsWith(PREFIX)) return null;
  const body = detail.slice(PREFIX.length);
  const at = topLevelSeparator(body) ?? body.indexOf(SEPARATOR);
  if (at < 0) return null;
  return { expected: body.slice(0, at), actual: body.slice(at + SEPARATOR.length) };
}

/** Index of the first SEPARATOR at bracket depth 0 outside Python string literals, or null. */
function topLevelSeparator(text: string): number | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote !== null) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (OPENERS.includes(ch)) depth++;
    else if (CLOSERS.includes(ch)) depth = Math.max(0, depth - 1);
    else if (depth === 0 && text.startsWith(SEPARATOR, i)) return i;
  }
  return null;
}
