/** Base class: every error verdict raises on purpose. Expected outcomes are data, not errors. */
export class VerdictError extends Error {
  override name = "VerdictError";
}

/** Bad user input: a file, line or field that is not what was expected. */
export class InputError extends VerdictError {
  override name = "InputError";
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file ? `${file}${line !== undefined ? `:${line}` : ""}: ${message}` : message);
  }
}

/** An infrastructure fault (container died, engine unreachable, protocol broken). Retried once. */
export class SandboxFault extends VerdictError {
  override name = "SandboxFault";
}

/**
 * A runner that did not say it was ready for the next job in time (its cleanup after the last
 * one overran). No job was sent to it: its owner replaces it without spending any job's retry.
 */
export class RunnerNotReady extends SandboxFault {
  override name = "RunnerNotReady";
}

/** Something verdict needs is missing from this machine (Docker, the image, data). */
export class SetupError extends VerdictError {
  override name = "SetupError";
}
