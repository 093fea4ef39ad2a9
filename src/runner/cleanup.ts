/**
 * What happens when a run is stopped from outside. SIGINT, SIGTERM and SIGHUP do not kill
 * verdict mid-write: they abort the run, which stops handing out jobs, removes its containers,
 * flushes verdicts.jsonl and marks the manifest `interrupted`, so `--resume` continues it.
 * A second signal, or a cleanup that hangs, exits at once (`verdict sandbox prune` then
 * removes what is left). SIGKILL cannot be caught: a resume repairs what it leaves.
 */
import { constants } from "node:os";
import { VerdictError } from "../core/errors.js";

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
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
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
