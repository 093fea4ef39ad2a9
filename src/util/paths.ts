import { homedir } from "node:os";
import { join } from "node:path";

/** verdict's cache directory: $VERDICT_CACHE_DIR, else $XDG_CACHE_HOME/verdict, else ~/.cache/verdict. */
export function cacheDir(...parts: string[]): string {
  const base =
    process.env.VERDICT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "verdict");
  return join(base, ...parts);
}
