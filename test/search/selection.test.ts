import { describe, expect, it } from "vitest";
import { createRng } from "../../src/metrics/rng.js";
import { puctScore, selectChild, uctScore } from "../../src/search/selection.js";
import { createTree, expandNode, nodeAt, type ChildSpec, type SearchTree } from "../../src/search/tree.js";

const spec = (step: string, prior: number | null = null): ChildSpec => ({ step, action: null, logprob: null, prior, samples: 1, terminal: null, programSha256: null });

/** A root with children whose (N, W) are given; the root's N is their sum. */
function rootWith(stats: [number, number][], priors?: number[]): SearchTree {
  const tree = createTree("t");
  const root = nodeAt(tree, 0);
  expandNode(tree, root, stats.map((_, i) => spec(`c${i}`, priors?.[i] ?? null)), "t#0");
  stats.forEach(([n, w], i) => Object.assign(nodeAt(tree, i + 1), { n, w }));
  root.n = stats.reduce((s, [n]) => s + n, 0);
  return tree;
}

describe("UCT", () => {
  it("scores Q/N + c·sqrt(ln N_parent / N)", () => {
    expect(uctScore({ n: 2, w: 1 }, 6, 2)).toBeCloseTo(0.5 + 2 * Math.sqrt(Math.log(6) / 2), 12);
    expect(uctScore({ n: 1, w: 1 }, 1, 2)).toBe(1);
  });

  it("takes unvisited children first, at random among them, from the seeded RNG", () => {
    const tree = rootWith([
      [1, 1],
      [0, 0],
      [2, 2],
      [0, 0],
    ]);
    const picks = new Set<number>();
    for (let seed = 0; seed < 20; seed++) picks.add(selectChild(tree, nodeAt(tree, 0), "uct", 2, createRng(seed)).id);
    expect([...picks].sort()).toEqual([2, 4]);
    // Same seed, same choice.
    expect(selectChild(tree, nodeAt(tree, 0), "uct", 2, createRng(5)).id).toBe(selectChild(tree, nodeAt(tree, 0), "uct", 2, createRng(5)).id);
  });

  it("then the best score: exploration can beat a higher value", () => {
    // N_parent = 6. c0: 0.5 + 2·sqrt(ln 6 / 2) = 2.393; c1: 0 + 2·sqrt(ln 6) = 2.677; c2: 1 + 2·sqrt(ln 6 / 3) = 2.546.
    const tree = rootWith([
      [2, 1],
      [1, 0],
      [3, 3],
    ]);
    expect(selectChild(tree, nodeAt(tree, 0), "uct", 2, createRng(0)).step).toBe("c1");
    // With no exploration the value decides.
    expect(selectChild(tree, nodeAt(tree, 0), "uct", 0, createRng(0)).step).toBe("c2");
  });

  it("breaks exact ties at random", () => {
    const tree = rootWith([
      [2, 1],
      [2, 1],
      [4, 0],
    ]);
    const picks = new Set<string>();
    for (let seed = 0; seed < 20; seed++) picks.add(selectChild(tree, nodeAt(tree, 0), "uct", 2, createRng(seed)).step);
    expect([...picks].sort()).toEqual(["c0", "c1"]);
  });
});

describe("PUCT", () => {
  it("scores Q + c·P·sqrt(N_parent)/(1 + N), with N_parent at least 1", () => {
    expect(puctScore({ n: 0, w: 0 }, 0.7, 0, 2)).toBeCloseTo(1.4, 12);
    expect(puctScore({ n: 1, w: 0.5 }, 0.2, 4, 2)).toBeCloseTo(0.5 + (2 * 0.2 * 2) / 2, 12);
  });

  it("visits in prior order while values are equal, and lets a value overtake a prior", () => {
    const priors = [0.2, 0.7, 0.1];
    const pick = (stats: [number, number][]) => {
      const tree = rootWith(stats, priors);
      return selectChild(tree, nodeAt(tree, 0), "puct", 2, createRng(0)).step;
    };
    // First descent: N_parent 0 → scores 2·P: c1 (1.4) > c0 (0.4) > c2 (0.2).
    expect(pick([[0, 0], [0, 0], [0, 0]])).toBe("c1");
    // c1 visited once with value 0, N_parent 1: c1 2·0.7·1/2 = 0.7 > c0 0.4 → c1 again.
    expect(pick([[0, 0], [1, 0], [0, 0]])).toBe("c1");
    // After two zero visits of c1 (N_parent 2): c1 2·0.7·sqrt(2)/3 = 0.66 > c0 2·0.2·sqrt(2) = 0.57 → still c1.
    expect(pick([[0, 0], [2, 0], [0, 0]])).toBe("c1");
    // Three (N_parent 3): c1 2·0.7·sqrt(3)/4 = 0.61 < c0 2·0.2·sqrt(3) = 0.69 → c0.
    expect(pick([[0, 0], [3, 0], [0, 0]])).toBe("c0");
    // A visited child with value 1 beats every prior term here.
    expect(pick([[0, 0], [1, 0], [1, 1]])).toBe("c2");
  });

  it("uses a uniform prior when the server gave no logprobs", () => {
    const tree = rootWith([
      [1, 0],
      [0, 0],
    ]);
    // c0: 0 + 2·0.5·1/2 = 0.5; c1: 2·0.5·1/1 = 1.
    expect(selectChild(tree, nodeAt(tree, 0), "puct", 2, createRng(0)).step).toBe("c1");
  });
});
