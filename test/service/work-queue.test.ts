import { describe, expect, it } from "vitest";
import { createWorkQueue, QueueFullError } from "../../src/service/work-queue.js";

/** Work that resolves with `v` when `gate` opens, or rejects when its signal aborts. */
function gated<T>(gate: Promise<void>, v: T) {
  return (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      void gate.then(() => resolve(v));
    });
}

describe("createWorkQueue", () => {
  it("runs `concurrency` at once, admits a request whole or refuses it whole, and counts what finished", async () => {
    const q = createWorkQueue(1, 3);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const signal = new AbortController().signal;
    const first = q.submit([gated(gate, 1), gated(gate, 2), gated(gate, 3)], signal);
    // p-queue starts work on a later tick.
    await new Promise((r) => setImmediate(r));
    expect([q.running, q.queued]).toEqual([1, 2]);
    const refused = await q.submit([gated(gate, 4), gated(gate, 5)], signal).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect([q.running, q.queued]).toEqual([1, 2]);
    open();
    expect(await first).toEqual([1, 2, 3]);
    expect(q.jobsPerSecond()).toBeCloseTo(0.3, 5);
  });

  it("drops a request's queued items when its signal aborts", async () => {
    const q = createWorkQueue(1, 10);
    const gate = new Promise<void>(() => {});
    const controller = new AbortController();
    const p = q.submit([gated(gate, 1), gated(gate, 2), gated(gate, 3)], controller.signal).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    expect(q.queued).toBe(2);
    controller.abort(new Error("gone"));
    expect(await p).toMatchObject({ message: "gone" });
    await q.onIdle();
    expect([q.running, q.queued]).toEqual([0, 0]);
  });
});
