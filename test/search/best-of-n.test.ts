import { describe, expect, it } from "vitest";
import { compareSearchWithBestOfN } from "../../src/search/baseline-comparison.js";
import { BEST_OF_N_SEED_OFFSET, runBestOfN, searchBudgets } from "../../src/search/best-of-n.js";
import { searchSettings } from "../../src/search/search-config.js";
import { codeStep, pseudoStep, scoringJudge, scriptedStepPolicy, searchSmallTrees, searchTaskFor, type TreeScript } from "../helpers/search-doubles.js";

/** The steps of path p, keyed "p:k" (k from 0). */
const bySeed = (paths: string[][]): TreeScript => {
  const script: TreeScript = {};
  paths.forEach((steps, p) => steps.forEach((s, k) => (script[`${p}:${k}`] = [s])));
  return script;
};

/** A policy that answers a baseline request by its seed (seed offset + p·max_depth + k): path p gets paths[p]. */
function seededPolicy(paths: string[][], maxDepth = 5) {
  const script = bySeed(paths);
  const policy = scriptedStepPolicy({});
  const inner = policy.propose.bind(policy);
  return Object.assign(policy, {
    async propose(req: Parameters<typeof inner>[0]) {
      await inner(req);
      const offset = (req.seed ?? 0) - BEST_OF_N_SEED_OFFSET;
      const [p, k] = [Math.floor(offset / maxDepth), offset % maxDepth];
      const text = script[`${p}:${k}`]?.[0];
      return { candidates: text === undefined ? [] : [{ text }], usage: { promptTokens: 10, completionTokens: 7 } };
    },
  });
}

describe("best-of-N at the search's budget", () => {
  it("spends exactly the calls budget on independent paths and judges each finished one", async () => {
    const policy = seededPolicy([
      [pseudoStep("A"), codeStep("X", 0, 2)],
      [codeStep("Y", 1, 2)],
      [pseudoStep("B"), pseudoStep("C"), codeStep("Z", 2, 2)],
      [pseudoStep("D"), codeStep("Q", 2, 2)],
    ]);
    const judge = scoringJudge();
    const [result] = await runBestOfN({
      tasks: [searchTaskFor("t")],
      settings: searchSettings(),
      policy,
      judge,
      budgets: new Map([["t", { calls: 7, completionTokens: 0 }]]),
    });
    // Paths of 2, 1 and 3 calls use 6; the fourth is cut after its first step by the 7-call budget.
    expect(result?.calls).toBe(7);
    expect(result?.paths.map((p) => [p.stoppedBy, p.reward, p.correct])).toEqual([
      ["terminal", 0, false],
      ["terminal", 0.5, false],
      ["terminal", 1, true],
      ["budget", 0, false],
    ]);
    expect(result?.solved).toBe(true);
    expect(judge.calls).toHaveLength(3);
    expect(policy.requests.every((r) => r.n === 1 && r.temperature === 0.8 && r.stop?.[0] === "<Step_End>")).toBe(true);
  });

  it("spends a token budget by completion tokens, and ends paths at the depth limit", async () => {
    const policy = seededPolicy([[pseudoStep("A"), pseudoStep("B")], [pseudoStep("C"), pseudoStep("D")]], 2);
    const [result] = await runBestOfN({
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ max_depth: 2 }),
      policy,
      judge: scoringJudge(),
      budgets: new Map([["t", { calls: 100, completionTokens: 20 }]]),
      unit: "tokens",
    });
    // 7 tokens a call: calls start while fewer than 20 were spent, so 3 calls (21 tokens).
    expect(result).toMatchObject({ budget: { unit: "tokens", amount: 20 }, calls: 3, completionTokens: 21, solved: false });
    expect(result?.paths.map((p) => p.stoppedBy)).toEqual(["step_limit", "budget"]);
  });

  it("takes its budgets from a search run's trees and compares solved rates pairwise", async () => {
    const trees = await searchSmallTrees(["a", "b"]);
    const budgets = searchBudgets(trees);
    expect(budgets.get("a")).toEqual({ calls: 2, completionTokens: 60 });
    const baseline = await runBestOfN({
      tasks: ["a", "b", "c"].map((id) => searchTaskFor(id)),
      settings: searchSettings(),
      policy: seededPolicy([[codeStep("W", 0, 2)], [codeStep("W", 0, 2)]]),
      judge: scoringJudge(),
      budgets,
    });
    expect(baseline.map((b) => [b.taskId, b.calls, b.solved])).toEqual([
      ["a", 2, false],
      ["b", 2, false],
      ["c", 0, false],
    ]);
    const cmp = compareSearchWithBestOfN(trees, baseline, { resamples: 500 });
    expect(cmp).toMatchObject({ unit: "calls", tasks: 2, unmatched: ["c"] });
    expect(cmp.comparison.a.rate).toBe(0);
    expect(cmp.comparison.b.rate).toBe(1);
    expect(cmp.comparison.difference.estimate).toBe(1);
    expect(cmp.comparison.mcnemar).toMatchObject({ b: 0, c: 2 });
  });
});
