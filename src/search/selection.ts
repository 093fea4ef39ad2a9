import type { Rng } from "../metrics/rng.js";
import { nodeAt, type SearchNode, type SearchTree } from "./tree.js";

/** How a child is chosen on the way down. */
export type SelectionRule = "uct" | "puct";

/** Scores within this distance are ties (the same visits and values give bit-identical scores; this only absorbs rounding). */
const TIE = 1e-12;

/**
 * UCT score of a visited child: Q/N + c·sqrt(ln N_parent / N) (the paper's public code, c = 2.0).
 * Only called once every sibling has been visited, so N ≥ 1 and N_parent ≥ 1.
 */
export function uctScore(child: Pick<SearchNode, "n" | "w">, parentVisits: number, c: number): number {
  return child.w / child.n + c * Math.sqrt(Math.log(parentVisits) / child.n);
}

/**
 * PUCT score (AlphaZero, as OpenR uses it): Q + c·P·sqrt(N_parent)/(1 + N), Q = 0 for an
 * unvisited child. N_parent is taken as at least 1, so on a parent's first descent the
 * children are ranked by prior instead of all scoring 0.
 */
export function puctScore(child: Pick<SearchNode, "n" | "w">, prior: number, parentVisits: number, c: number): number {
  const q = child.n > 0 ? child.w / child.n : 0;
  return q + (c * prior * Math.sqrt(Math.max(1, parentVisits))) / (1 + child.n);
}

/**
 * Picks the child of an expanded node to descend into.
 * - uct: an unvisited child first (uniformly at random among them), else the best UCT score.
 * - puct: the best PUCT score over all children, with each child's prior (uniform when the
 *   server gave no logprobs).
 * Ties go to a uniformly random one of the tied children. Every random choice comes from the
 * task's seeded RNG, and a draw is made only when there is a choice, so the same answers give
 * the same tree.
 */
export function selectChild(tree: SearchTree, parent: SearchNode, rule: SelectionRule, c: number, rng: Rng): SearchNode {
  const children = parent.children.map((id) => nodeAt(tree, id));
  if (children.length === 0) throw new Error(`internal: node ${parent.id} of task ${tree.taskId} has no child to select`);
  if (rule === "uct") {
    const unvisited = children.filter((ch) => ch.n === 0);
    if (unvisited.length > 0) return pick(unvisited, rng);
    return best(children, (ch) => uctScore(ch, parent.n, c), rng);
  }
  const uniform = 1 / children.length;
  return best(children, (ch) => puctScore(ch, ch.prior ?? uniform, parent.n, c), rng);
}

function best(children: readonly SearchNode[], score: (child: SearchNode) => number, rng: Rng): SearchNode {
  const scores = children.map(score);
  const top = scores.reduce((m, s) => Math.max(m, s), -Infinity);
  return pick(
    children.filter((_, i) => (scores[i] ?? -Infinity) >= top - TIE),
    rng,
  );
}

function pick(options: readonly SearchNode[], rng: Rng): SearchNode {
  const chosen = options.length === 1 ? options[0] : options[rng.int(options.length)];
  if (chosen === undefined) throw new Error("internal: nothing to pick from");
  return chosen;
}
