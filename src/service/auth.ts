import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { InputError } from "../core/errors.js";

/**
 * Whether an Authorization header carries `Bearer <token>`. Both sides are hashed first, so the
 * comparison takes the same time whatever the header holds, its length included.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  const given = createHash("sha256").update(m?.[1] ?? "").digest();
  const wanted = createHash("sha256").update(token).digest();
  // timingSafeEqual runs in full even when no token was given; `m` is checked after it.
  return timingSafeEqual(given, wanted) && m !== null;
}

/**
 * The service token: from a file (first line, trimmed) when given, else from the environment
 * variable. A file or variable that is set but empty is an error, never "no auth".
 */
export function loadToken(opts: { file?: string; env: string; environment?: NodeJS.ProcessEnv }): string | undefined {
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (e) {
      throw new InputError(`cannot read the token file: ${(e as Error).message}`, opts.file);
    }
    const token = (text.split("\n")[0] ?? "").trim();
    if (token === "") throw new InputError("the token file is empty", opts.file);
    return token;
  }
  const value = (opts.environment ?? process.env)[opts.env];
  if (value === undefined) return undefined;
  if (value.trim() === "") throw new InputError(`${opts.env} is set but empty`);
  return value.trim();
}
