/**
 * A program's identity (`program_sha256` in verdicts, and the verdict cache's key): the sha256
 * of exactly the text the sandbox runs.
 *
 * A samples file may spell a lone surrogate ("\ud800" in its JSON). It is carried as it is:
 * the job frame sends it escaped, so Python receives that code point (and cannot compile a
 * program holding it: `syntax_error`, as in EvalPlus). Hashing the string as UTF-8 would make
 * it U+FFFD and give "# \ud800" and "# \ufffd" one identity; so the text is hashed as Python's
 * `str.encode("utf-8", "surrogatepass")` would write it (WTF-8), which for every well-formed
 * program is its plain UTF-8, and no two different programs share.
 */
import { sha256 } from "../util/hash.js";
import { hasLoneSurrogate } from "./codec.js";

/** The program's code points as UTF-8, a surrogate code point written like any other (WTF-8). */
export function programBytes(program: string): Buffer {
  if (!hasLoneSurrogate(program)) return Buffer.from(program, "utf8");
  const out: number[] = [];
  for (const ch of program) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Buffer.from(out);
}

/** sha256 (hex) of the program exactly as the sandbox receives it (see programBytes). */
export function programDigest(program: string): string {
  return sha256(programBytes(program));
}
