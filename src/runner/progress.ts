/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export interface Progress {
  tick(done: number): void;
  end(): void;
}

/** Progress for `total` items; a no-op unless `enabled` (stderr is a TTY and output is not JSON-only). */
export function createProgress(total: number, label: string, enabled: boolean): Progress {
  const start = Date.now();
  let last = 0;
  const draw = (done: number) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const rate = done / Math.max(0.001, (Date.now() - start) / 1000);
    process.stderr.write(
      `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${rate.toFixed(1)}/s `,
    );
  };
  return {
    tick(done) {
      if (!enabled) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      if (enabled) process.stderr.write("\n");
    },
  };
}
