/**
 * Append-only JSONL files that survive a kill: each line is written with one write call, so a
 * kill can tear only the last line; a reader cuts a torn last line off (with `repair`) and
 * the work it held is done again. A write the disk cuts short is cut back, so every line on
 * disk stays whole JSON. The results store, generated samples, the search's event log and a
 * TCG run's tests.jsonl all keep their lines this way.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** One non-blank line, with its 1-based line number. */
export interface JsonlText {
  line: number;
  text: string;
}

/** Every complete non-blank line of a JSONL file, and the bytes of a torn last line (cut off the file with `repair`). */
export function readJsonlFile(path: string, options: { repair?: boolean } = {}): { lines: JsonlText[]; tornBytes: number } {
  if (!existsSync(path)) return { lines: [], tornBytes: 0 };
  const bytes = readFileSync(path);
  const lines: JsonlText[] = [];
  let start = 0;
  for (let line = 1; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) {
      // No newline: the last write was torn.
      if (options.repair) truncateSync(path, start);
      return { lines, tornBytes: bytes.length - start };
    }
    const text = bytes.toString("utf8", start, end);
    start = end + 1;
    if (text.trim() !== "") lines.push({ line, text });
  }
  return { lines, tornBytes: 0 };
}

/** A JSONL file open for appending. */
export interface JsonlAppender {
  readonly path: string;
  /** Appends values as lines, in one write; on failure the partial write is cut back and the error thrown. */
  append(...values: unknown[]): void;
  /** Flushes to disk and closes; safe to call twice. */
  close(): void;
}

/** How often appended lines are forced to disk by default: bounds what a machine crash (not a kill) can lose. */
const FSYNC_INTERVAL_MS = 1000;

/** Opens (creating it and its folder) a JSONL file for appending. */
export function openJsonlAppender(path: string, options: { fsyncIntervalMs?: number } = {}): JsonlAppender {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | undefined = openSync(path, "a");
  // Where the last complete line ends: a write the disk cuts short is cut back to here.
  let size = fstatSync(fd).size;
  let lastSync = Date.now();
  const every = options.fsyncIntervalMs ?? FSYNC_INTERVAL_MS;
  return {
    path,
    append(...values) {
      if (fd === undefined) throw new Error(`internal: ${path} is closed`);
      const buf = Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(""));
      try {
        // One write per call; the loop only continues after a short write (a nearly full disk).
        for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done);
      } catch (err) {
        try {
          ftruncateSync(fd, size);
        } catch {
          // Nothing more can be done here; a reader cuts a torn last line off anyway.
        }
        throw err;
      }
      size += buf.length;
      if (Date.now() - lastSync >= every) {
        lastSync = Date.now();
        fsyncSync(fd);
      }
    },
    close() {
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      try {
        fsyncSync(open);
      } finally {
        closeSync(open);
      }
    },
  };
}
