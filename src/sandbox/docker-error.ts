/** One-line descriptions of the errors dockerode, docker-modem, TLS and ssh2 throw. */

/** The engine's own message when it sent one (dockerode puts it in `json`), else the error's. */
export function dockerErrorText(err: unknown): string {
  if (err instanceof Error) {
    const json = (err as { json?: { message?: string } }).json;
    return (json?.message ?? err.message).trim();
  }
  return String(err);
}
