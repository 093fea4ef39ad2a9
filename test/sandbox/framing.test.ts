import { describe, expect, it } from "vitest";
import { SandboxFault } from "../../src/core/errors.js";
import { createFrameDecoder, encodeFrame, FRAME_HEADER_BYTES } from "../../src/sandbox/framing.js";

const frameOf = (body: string | Buffer): Buffer => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([header, bytes]);
};

describe("encodeFrame", () => {
  it("writes a big-endian length, then the UTF-8 JSON", () => {
    const frame = encodeFrame({ op: "ping" });
    expect(frame.readUInt32BE(0)).toBe(13);
    expect(frame.subarray(4).toString("utf8")).toBe('{"op":"ping"}');
  });

  it("counts bytes, not characters, for non-ASCII text", () => {
    const frame = encodeFrame("é✓");
    expect(frame.readUInt32BE(0)).toBe(Buffer.byteLength('"é✓"'));
    expect(frame.length).toBe(4 + 7);
  });

  it("refuses a value that is not JSON", () => {
    expect(() => encodeFrame(undefined)).toThrow(TypeError);
  });
});

describe("createFrameDecoder", () => {
  const messages = [{ op: "hello", protocol: 1 }, "é✓ unicode", [1, 2, { d: [] }], null, 12];
  const stream = Buffer.concat(messages.map(encodeFrame));

  it("decodes several frames that arrive in one chunk", () => {
    const d = createFrameDecoder(1024);
    expect(d.push(stream)).toEqual(messages);
    expect(d.pending).toBe(0);
  });

  it("decodes frames that arrive one byte at a time", () => {
    const d = createFrameDecoder(1024);
    const out: unknown[] = [];
    for (const byte of stream) out.push(...d.push(Uint8Array.of(byte)));
    expect(out).toEqual(messages);
  });

  it("decodes frames split at every possible point", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = createFrameDecoder(1024);
      expect([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))]).toEqual(messages);
    }
  });

  it("accepts an empty chunk and reports a partial frame as pending", () => {
    const d = createFrameDecoder(1024);
    const one = encodeFrame({ a: 1 });
    expect(d.push(new Uint8Array(0))).toEqual([]);
    expect(d.push(one.subarray(0, 6))).toEqual([]);
    expect(d.pending).toBe(6);
    expect(d.push(one.subarray(6))).toEqual([{ a: 1 }]);
    expect(d.pending).toBe(0);
  });

  it("accepts a frame of exactly the maximum size and faults on one byte more, from the header alone", () => {
    const body = JSON.stringify("x".repeat(98));
    expect(Buffer.byteLength(body)).toBe(100);
    expect(createFrameDecoder(100).push(frameOf(body))).toEqual(["x".repeat(98)]);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101, 0);
    expect(() => createFrameDecoder(100).push(header)).toThrow(SandboxFault);
    expect(() => createFrameDecoder(100).push(header)).toThrow(/101 bytes, above the 100-byte limit/);
  });

  it("faults on a body that is not JSON, quoting it", () => {
    const d = createFrameDecoder(1024);
    expect(() => d.push(frameOf("Traceback (most recent call last)"))).toThrow(/not UTF-8 JSON.*Traceback/);
  });

  it("faults on invalid UTF-8 instead of patching it up", () => {
    const d = createFrameDecoder(1024);
    expect(() => d.push(frameOf(Buffer.from([0x22, 0xff, 0x22])))).toThrow(SandboxFault);
  });

  it("stays broken after a fault: later bytes cannot resynchronise it", () => {
    const d = createFrameDecoder(1024);
    expect(() => d.push(frameOf("{oops"))).toThrow(SandboxFault);
    expect(() => d.push(encodeFrame({ op: "result" }))).toThrow(SandboxFault);
  });

  it("applies a changed limit to the next frame", () => {
    const d = createFrameDecoder(10);
    d.maxFrameBytes = 1000;
    expect(d.push(encodeFrame("x".repeat(100)))).toEqual(["x".repeat(100)]);
    d.maxFrameBytes = 10;
    expect(() => d.push(encodeFrame("x".repeat(100)))).toThrow(/above the 10-byte limit/);
  });

  it("rejects a nonsensical limit", () => {
    expect(() => createFrameDecoder(-1)).toThrow(RangeError);
    expect(() => createFrameDecoder(1.5)).toThrow(RangeError);
  });
});
