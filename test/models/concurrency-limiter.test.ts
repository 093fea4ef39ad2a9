import { describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "../../src/models/concurrency-limiter.js";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("createConcurrencyLimiter", () => {
  it("runs at most `limit` tasks at once, in arrival order", async () => {
    const limiter = createConcurrencyLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          running++;
          peak = Math.max(peak, running);
          await tick(10);
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limiter.active).toBe(0);
  });

  it("frees the slot when a task fails", async () => {
    const limiter = createConcurrencyLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limiter.run(async () => 42)).toBe(42);
  });

  it("counts waiting tasks", async () => {
    const limiter = createConcurrencyLimiter(1);
    const first = limiter.run(() => tick(20));
    const second = limiter.run(() => tick(1));
    expect([limiter.active, limiter.pending]).toEqual([1, 1]);
    await Promise.all([first, second]);
    expect([limiter.active, limiter.pending]).toEqual([0, 0]);
  });

  it("rejects a limit that is not a positive integer", () => {
    expect(() => createConcurrencyLimiter(0)).toThrow(RangeError);
    expect(() => createConcurrencyLimiter(1.5)).toThrow(RangeError);
  });
});
