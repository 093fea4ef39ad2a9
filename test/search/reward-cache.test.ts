import { describe, expect, it } from "vitest";
import { isCorrectScore, rewardValue } from "../../src/search/reward.js";
import { createRewardCache } from "../../src/search/reward-cache.js";
import { scoringJudge, searchTaskFor } from "../helpers/search-doubles.js";

describe("rewards", () => {
  it("are alpha·compiles + (1 - alpha)·passed/total", () => {
    expect(rewardValue({ compiles: true, passed: 1, total: 4 }, 0)).toBe(0.25);
    expect(rewardValue({ compiles: true, passed: 1, total: 4 }, 0.2)).toBeCloseTo(0.2 + 0.8 * 0.25, 15);
    expect(rewardValue({ compiles: false, passed: 0, total: 4 }, 0.2)).toBe(0);
    expect(rewardValue({ compiles: true, passed: 0, total: 0 }, 0)).toBe(0);
    expect([isCorrectScore({ passed: 3, total: 3 }), isCorrectScore({ passed: 2, total: 3 }), isCorrectScore({ passed: 0, total: 0 })]).toEqual([true, false, false]);
  });
});

describe("the reward cache", () => {
  it("judges a program once per set of tests, even when asked concurrently", async () => {
    const judge = scoringJudge({ delayMs: 10 });
    const cache = createRewardCache(judge);
    const a = searchTaskFor("a", "same");
    const b = searchTaskFor("b", "same");
    const c = searchTaskFor("c");
    const results = await Promise.all([cache.score(a, "# score 1/2"), cache.score(b, "# score 1/2"), cache.score(c, "# score 1/2"), cache.score(a, "# score 2/2")]);
    expect(results.map((r) => [r.score.passed, r.cached])).toEqual([
      [1, false],
      [1, true],
      [1, false],
      [2, false],
    ]);
    expect(judge.calls).toHaveLength(3);
    expect(cache.stats).toEqual({ judged: 3, hits: 1 });
  });

  it("answers remembered scores without the judge, and forgets a fault", async () => {
    let fail = true;
    const judge = scoringJudge();
    const cache = createRewardCache({ judge: (t, p) => (fail ? Promise.reject(new Error("pool died")) : judge.judge(t, p)) });
    const task = searchTaskFor("a");
    await expect(cache.score(task, "# score 1/2")).rejects.toThrow("pool died");
    fail = false;
    expect((await cache.score(task, "# score 1/2")).score.passed).toBe(1);
    cache.remember(task.testsDigest, "f".repeat(64), { compiles: true, passed: 5, total: 5 });
    expect(await cache.score(task, "anything", "f".repeat(64))).toEqual({ score: { compiles: true, passed: 5, total: 5 }, cached: true });
  });

  it("rejects a score that breaks the judge's contract", async () => {
    const cache = createRewardCache({ judge: async () => ({ compiles: true, passed: 3, total: 2 }) });
    await expect(cache.score(searchTaskFor("a"), "x")).rejects.toThrow(/passed <= total/);
  });
});
