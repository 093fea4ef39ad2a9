import type { EngineStats } from "../core/sandbox.js";

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export interface Progress {
  /** `done` items are accounted for, `now` of them by this process (the rate's count; default `done`). */
  tick(done: number, now?: number): void;
  end(): void;
}

/** Where a progress bar draws: stderr by default; a test hands in its own. */
export interface ProgressStream {
  write(text: string): unknown;
}

/** The bar drawn last and not yet ended, so a line written meanwhile starts on a line of its own. */
let openBar: ProgressStream | undefined;

/**
 * Writes `line` to stderr on a line of its own: a progress bar being drawn (no newline yet) is
 * ended first, so a message (an interrupt, a warning) is never glued to the bar.
 */
export function stderrLine(line: string): void {
  writeLine(process.stderr, line);
}

/** `stderrLine` on another stream (tests). */
export function writeLine(stream: ProgressStream, line: string): void {
  if (openBar === stream) {
    stream.write("\n");
    openBar = undefined;
  }
  stream.write(`${line}\n`);
}

/**
 * Progress for `total` items; a no-op unless `enabled` (stderr is a TTY and output is not
 * JSON-only). `done` counts every item accounted for, those a resume found already done included.
 */
export function createProgress(total: number, label: string, enabled: boolean, stream: ProgressStream = process.stderr, detail?: () => string): Progress {
  const start = Date.now();
  let last = 0;
  const draw = (done: number, now: number) => {
    const width = 30;
    const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
    // The rate counts what this process did, not what a resumed run found done.
    const rate = now / Math.max(0.001, (Date.now() - start) / 1000);
    const more = detail?.() ?? "";
    stream.write(`\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s ${more === "" ? "" : `(${more}) `}`);
    openBar = stream;
  };
  return {
    tick(done, now = done) {
      if (!enabled) return;
      const at = Date.now();
      if (at - last < 100 && done < total) return;
      last = at;
      draw(done, now);
    },
    end() {
      if (!enabled) return;
      if (openBar === stream) stream.write("\n");
      openBar = undefined;
    },
  };
}

/** Each engine's jobs/s over `seconds`, for a progress line: `unix 3.1/s, tls 2.9/s, ssh away`. */
export function engineRates(stats: readonly EngineStats[] | undefined, seconds: number): string {
  if (stats === undefined || stats.length < 2) return "";
  return stats.map((e) => `${e.label} ${e.up ? `${(e.jobs / Math.max(0.001, seconds)).toFixed(1)}/s` : "away"}`).join(", ");
}
