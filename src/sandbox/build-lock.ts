import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SetupError } from "../core/errors.js";
import { processAlive, readFileIfAny } from "../util/process-files.js";

/** The build cache directory, the same one build.sh uses. */
function cacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), ".cache");
  return process.env.VERDICT_CACHE_DIR || join(xdg, "verdict");
}

/** How long to wait for another process's build of the same recipe. */
const BUILD_LOCK_WAIT_MS = 20 * 60_000;

/**
 * Runs `fn` holding the lock `name` (one per recipe: building `what`) (a directory holding the owner's pid) shared by every
 * verdict process on this machine; a lock whose owner died is taken over.
 */
export async function withBuildLock<T>(name: string, what: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  mkdirSync(cacheDir(), { recursive: true });
  const lock = join(cacheDir(), `${name}.lock`);
  const deadline = Date.now() + BUILD_LOCK_WAIT_MS;
  let announced = false;
  while (true) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number.parseInt(readFileIfAny(join(lock, "pid")), 10);
    if (Number.isInteger(owner) && !processAlive(owner)) {
      // Renaming first means only one waiter removes a given stale lock.
      const stale = `${lock}.stale-${process.pid}`;
      try {
        renameSync(lock, stale);
        rmSync(stale, { recursive: true, force: true });
      } catch {
        // Another waiter took it over first; go round again.
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new SetupError(`timed out waiting for another build of ${what} (lock ${lock})`);
    }
    if (!announced) log(`waiting for another verdict process building ${what}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
