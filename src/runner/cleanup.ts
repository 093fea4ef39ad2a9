/**
 * What happens when a run is stopped from outside. SIGINT, SIGTERM and SIGHUP do not kill
 * verdict mid-write: they abort the run, which stops handing out jobs, removes its containers,
 * flushes verdicts.jsonl and marks the manifest `interrupted`, so `--resume` continues it.
 * A second signal, or a cleanup that hangs, exits at once (`verdict sandbox prune` then
 * removes what is left). SIGKILL cannot be caught: a resume repairs what it leaves.
 */
import { constants } from "node:os";
import { basename, resolve } from "node:path";
import { VerdictError } from "../core/errors.js";
import { RUN_LABEL } from "../sandbox/container-spec.js";
import { sha256 } from "../util/hash.js";
import { stderrLine } from "./progress.js";

/** The signals that stop a run cleanly. */
export const INTERRUPT_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** How long cleanup may take after a signal before the process exits regardless. */
const DEFAULT_GRACE_MS = 30_000;

/** A run stopped by a signal; what it judged is saved and it can be resumed. */
export class InterruptedError extends VerdictError {
  override name = "InterruptedError";
  /** The shell's convention for death by a signal: 128 + its number (130 for SIGINT). */
  readonly exitCode: number;
  constructor(
    readonly signal: NodeJS.Signals,
    message = `interrupted by ${signal}`,
  ) {
    super(message);
    this.exitCode = exitCodeOf(signal);
  }
}

/** Shell exit code for death by `signal`. */
export function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Signal handlers installed for one command; `signal` aborts on the first interrupt. */
export interface InterruptScope {
  /** Aborted, with an InterruptedError as its reason, when the first signal arrives. */
  readonly signal: AbortSignal;
  /** Removes the handlers (the command finished). */
  dispose(): void;
}

/** How `handleInterrupts` reports and how long it waits. */
export interface InterruptOptions {
  log?: (line: string) => void;
  /** Cleanup time allowed after the first signal before a forced exit. */
  graceMs?: number;
  /** Exits the process; replaceable so a test can see the forced path without dying. */
  exit?: (code: number) => void;
}

/**
 * Installs handlers for SIGINT, SIGTERM and SIGHUP: the first signal aborts `signal`, so the
 * command stops and cleans up; a second signal, or `graceMs` without finishing, exits at once.
 */
export function handleInterrupts(opts: InterruptOptions = {}): InterruptScope {
  const log = opts.log ?? stderrLine;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let watchdog: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      log(`verdict: second ${signal}: exiting now; containers may be left: run \`verdict sandbox prune\``);
      exit(exitCodeOf(signal));
      return;
    }
    log(`verdict: ${signal}: stopping the run (removing containers, saving verdicts); send it again to quit at once`);
    controller.abort(new InterruptedError(signal));
    // Unref'd: a cleanup that finishes lets the process exit without waiting for this timer.
    watchdog = setTimeout(() => {
      log(`verdict: cleanup did not finish within ${(opts.graceMs ?? DEFAULT_GRACE_MS) / 1000} s; exiting; run \`verdict sandbox prune\``);
      exit(exitCodeOf(signal));
    }, opts.graceMs ?? DEFAULT_GRACE_MS);
    watchdog.unref();
  };
  for (const s of INTERRUPT_SIGNALS) process.on(s, onSignal);
  return {
    signal: controller.signal,
    dispose() {
      for (const s of INTERRUPT_SIGNALS) process.off(s, onSignal);
      clearTimeout(watchdog);
    },
  };
}

/** The InterruptedError an aborted signal carries, or a generic one. */
export function interruptReason(signal: AbortSignal): InterruptedError {
  const reason: unknown = signal.reason;
  return reason instanceof InterruptedError ? reason : new InterruptedError("SIGINT", "interrupted");
}

/**
 * The `verdict.run` label of a run's containers: the run id plus a hash of its directory, so
 * two runs that share a directory name (`--out run`) never share containers, and a resume of
 * the same directory finds what a killed process left behind.
 */
export function runLabel(runDir: string): string {
  const dir = resolve(runDir);
  return `${basename(dir)}-${sha256(dir).slice(0, 12)}`;
}

/**
 * What a command that writes a run directory adds to its judging session's options: its
 * containers carry the run's label, and a resume first removes the containers a killed
 * process of the same run left (take the run directory's lock before opening the session, so
 * those belong to no live process).
 */
export function runSessionCleanup(runDir: string, resuming: boolean): { labels: Record<string, string>; pruneOrphans: boolean } {
  return { labels: { [RUN_LABEL]: runLabel(runDir) }, pruneOrphans: resuming };
}

/** Quotes a path for a shell command line a user copies, only when it needs quoting. */
export function shellWord(word: string): string {
  return /^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The error a command stopped by `signal` ends with: what it saved, and the exact command that
 * continues it ("interrupted by SIGINT: 12 of 40 samples are judged and saved in DIR; continue
 * with: verdict eval --resume DIR"). The CLI prints it on a line of its own and exits 130/143.
 */
export function interruptedError(signal: AbortSignal, saved: string, resume: string): InterruptedError {
  const { signal: name } = interruptReason(signal);
  return new InterruptedError(name, `interrupted by ${name}${saved ? `: ${saved}` : ""}${resume ? `; continue with: ${resume}` : ""}`);
}

/** What an interrupted command reports: what is saved, and the command that continues it. */
export interface StoppedWork {
  saved: string;
  resume: string;
}

/**
 * The one interrupt mechanism of every command that opens a judging session (eval, run,
 * table1, tcg, search, …): `work` gets an AbortSignal that the first SIGINT, SIGTERM or SIGHUP
 * aborts — hand it to `openJudgingSession` (its pools close at once, containers removed) and to
 * anything else that waits. When the work ends after an interrupt, whatever error it ended
 * with becomes the InterruptedError of `describe()` (called then, so it can count what was
 * saved; it should also mark the run's manifest `interrupted`), which the CLI prints before it
 * exits 128 + the signal's number. A second signal exits at once.
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>, describe: () => StoppedWork, opts: InterruptOptions = {}): Promise<T> {
  const scope = handleInterrupts(opts);
  try {
    return await work(scope.signal);
  } catch (err) {
    if (!scope.signal.aborted) throw err;
    // The work described its own stop already (eval counts its samples as it marks the manifest).
    if (err instanceof InterruptedError && err.message !== `interrupted by ${err.signal}`) throw err;
    const { saved, resume } = describe();
    throw interruptedError(scope.signal, saved, resume);
  } finally {
    scope.dispose();
  }
}
