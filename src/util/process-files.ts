import { readFileSync } from "node:fs";

/** A file's text, or "" when it cannot be read (it does not exist, or not yet). */
export function readFileIfAny(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Whether a process with this pid exists on this machine (lock files name their holder's pid). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it just is not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
