import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs";
import { spawn } from "node:child_process";
import { shellWord } from "../runner/cleanup.js";

/**
 * Command templates of the self-play loop (the trainer's, the restart server's): `{name}`
 * placeholders replaced by shell-quoted values, the same values set as upper-cased environment
 * variables, the output appended to a log file whose tail an error quotes.
 */

/** Replaces every `{name}` of `values` in `template` by its shell-quoted value; unknown `{...}` are left as they are. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? shellWord(values[name] ?? "") : whole));
}

/** The values as environment variables: `data_dir` → `DATA_DIR`. */
export function templateEnv(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toUpperCase(), v]));
}

/** The last `lines` lines of a log file ("" when it does not exist), read from its last 64 KiB. */
export function logTail(path: string, lines = 20): string {
  if (!existsSync(path)) return "";
  const size = statSync(path).size;
  const text = readFileSync(path).subarray(Math.max(0, size - 65_536)).toString("utf8");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** How a command ended. */
export interface CommandOutcome {
  command: string;
  exit_code: number | null;
  signal: string | null;
  timed_out: boolean;
  seconds: number;
  log: string;
}

/** Runs a filled template through the shell, its output appended to `log`; an expected failure (exit code, timeout) is data, not an error. */
export async function runLoggedCommand(command: string, o: { log: string; env: Record<string, string>; timeoutS?: number; signal?: AbortSignal; cwd?: string }): Promise<CommandOutcome> {
  const started = performance.now();
  const fd = openSync(o.log, "a");
  // In a process group of its own, so a timeout or an interrupt stops the trainer's children too.
  const child = spawn(command, { shell: true, detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, ...o.env }, ...(o.cwd !== undefined ? { cwd: o.cwd } : {}) });
  closeSync(fd);
  let timedOut = false;
  const stop = (): void => {
    for (const [signal, delay] of [["SIGTERM", 0], ["SIGKILL", 5_000]] as const) {
      setTimeout(() => {
        try {
          if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal);
        } catch {
          // Gone already.
        }
      }, delay).unref();
    }
  };
  const timer = o.timeoutS !== undefined ? setTimeout(() => ((timedOut = true), stop()), o.timeoutS * 1000) : undefined;
  o.signal?.addEventListener("abort", stop, { once: true });
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.once("error", () => resolve([null, null]));
      child.once("exit", (c, s) => resolve([c, s]));
    });
    return { command, exit_code: code, signal, timed_out: timedOut, seconds: (performance.now() - started) / 1000, log: o.log };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    o.signal?.removeEventListener("abort", stop);
  }
}
