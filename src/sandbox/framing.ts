/**
 * Length-prefixed JSON frames, the runner protocol's only framing (docs/ARCHITECTURE.md,
 * "The runner protocol"): a 4-byte unsigned big-endian length, then that many bytes of UTF-8
 * JSON.
 */
import { SandboxFault } from "../core/errors.js";

/** Invalid UTF-8 is a broken frame, not text to patch up with replacement characters. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes in the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** The largest length the 4-byte prefix can express. */
const MAX_ENCODABLE = 0xffff_ffff;

/** Encodes one message as a frame (length prefix + UTF-8 JSON). */
export function encodeFrame(message: unknown): Buffer {
  const json = JSON.stringify(message);
  if (json === undefined) throw new TypeError("a frame must hold a JSON value");
  const body = Buffer.from(json, "utf8");
  if (body.length > MAX_ENCODABLE) throw new RangeError(`frame of ${body.length} bytes is too large to encode`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** An incremental decoder: feed it chunks as they arrive, it hands back whole messages. */
export interface FrameDecoder {
  /** Appends bytes and returns every message now complete, in order. Throws SandboxFault on a bad frame. */
  push(chunk: Uint8Array): unknown[];
  /** Bytes held that do not yet make a whole frame (non-zero at EOF means a truncated frame). */
  readonly pending: number;
  /** The largest frame accepted; may be raised or lowered between frames. */
  maxFrameBytes: number;
}

/**
 * Creates a decoder that refuses frames above `maxFrameBytes`. The limit is checked on the
 * prefix alone, so a huge announced length faults before any of it is buffered.
 */
export function createFrameDecoder(maxFrameBytes: number): FrameDecoder {
  let limit = checkLimit(maxFrameBytes);
  // Chunks are kept in a list and joined only once a frame is complete, so a large frame
  // arriving in many small chunks costs linear time, not quadratic.
  let chunks: Buffer[] = [];
  let buffered = 0;
  let need: number | null = null; // body length of the frame being read, once its header is in
  let broken: SandboxFault | null = null;

  const take = (n: number): Buffer => {
    const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    chunks = rest.length > 0 ? [rest] : [];
    buffered = rest.length;
    return head;
  };

  const fail = (message: string): never => {
    broken = new SandboxFault(message);
    chunks = [];
    buffered = 0;
    throw broken;
  };

  return {
    push(chunk) {
      if (broken) throw broken;
      if (chunk.length > 0) {
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        buffered += chunk.length;
      }
      const out: unknown[] = [];
      for (;;) {
        if (need === null) {
          if (buffered < FRAME_HEADER_BYTES) break;
          const length = take(FRAME_HEADER_BYTES).readUInt32BE(0);
          if (length > limit) {
            fail(`runner sent a frame of ${length} bytes, above the ${limit}-byte limit`);
          }
          need = length;
        }
        if (buffered < need) break;
        const body = take(need);
        need = null;
        let message: unknown;
        try {
          message = JSON.parse(utf8.decode(body));
        } catch (err) {
          fail(`runner sent a frame that is not UTF-8 JSON (${(err as Error).message}): ${preview(body)}`);
        }
        out.push(message);
      }
      return out;
    },
    get pending() {
      return buffered + (need === null ? 0 : FRAME_HEADER_BYTES);
    },
    get maxFrameBytes() {
      return limit;
    },
    set maxFrameBytes(n: number) {
      limit = checkLimit(n);
    },
  };
}

function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`maxFrameBytes must be a non-negative integer, got ${n}`);
  return n;
}

/** The first bytes of a bad frame, printable, for fault messages. */
function preview(body: Buffer): string {
  const text = body.subarray(0, 120).toString("utf8");
  return JSON.stringify(body.length > 120 ? `${text}…` : text);
}
