import type { RewardScore } from "./reward.js";

/**
 * One task's search tree. The root is the prompt (depth 0, no step); every other node is one
 * pseudocode step. Node ids are assigned in creation order (root 0), which is deterministic
 * for a task, so an id names the same node in every run and in the log.
 */

/** Why a node ends a path: it holds code, it sits at the depth limit, or its expansion gave no step. */
export type TerminalKind = "code" | "depth_limit" | "dead_end";

/** A step as an expansion creates it, before any visit. */
export interface ChildSpec {
  /** The cleaned step text (no markers, no `### Step n:`). */
  step: string;
  /** The action the step names ("(Action 2)"), when it names one. */
  action: 1 | 2 | 3 | null;
  /** Mean token logprob of the candidate (the first, for merged duplicates); null without logprobs. */
  logprob: number | null;
  /** exp(mean token logprob), summed over merged duplicates and normalised over siblings; null without logprobs. */
  prior: number | null;
  /** Candidates merged into this node (identical texts). */
  samples: number;
  terminal: Extract<TerminalKind, "code" | "depth_limit"> | null;
  /** sha256 of the program a code step holds; null for other steps. */
  programSha256: string | null;
}

/** A node of the tree, with its statistics. */
export interface SearchNode extends Omit<ChildSpec, "terminal"> {
  id: number;
  parent: number | null;
  depth: number;
  terminal: TerminalKind | null;
  /** The request that created the node (its parent's expansion); null for the root. */
  requestId: string | null;
  /** Child ids in creation order; meaningful once `expanded`. */
  children: number[];
  expanded: boolean;
  /** Visits (N) and summed values (W); Q = W / N. */
  n: number;
  w: number;
  /** A terminal's judged score (code steps) and reward; depth-limit and dead-end terminals have reward 0 and no score. */
  score: RewardScore | null;
  reward: number | null;
}

/** One task's tree; `nodes[id]` is the node with that id. */
export interface SearchTree {
  taskId: string;
  nodes: SearchNode[];
}

/** A tree holding only the root. */
export function createTree(taskId: string): SearchTree {
  const root: SearchNode = {
    id: 0,
    parent: null,
    depth: 0,
    step: "",
    action: null,
    logprob: null,
    prior: null,
    samples: 1,
    terminal: null,
    programSha256: null,
    requestId: null,
    children: [],
    expanded: false,
    n: 0,
    w: 0,
    score: null,
    reward: null,
  };
  return { taskId, nodes: [root] };
}

/** The node with this id; throws on an id the tree does not hold (an internal error). */
export function nodeAt(tree: SearchTree, id: number): SearchNode {
  const node = tree.nodes[id];
  if (node === undefined) throw new Error(`internal: task ${tree.taskId} has no node ${id}`);
  return node;
}

/**
 * Marks a node expanded with these children (ids assigned next). A step at the depth limit
 * without code is terminal with reward 0; a node whose expansion gave no step is a dead end.
 */
export function expandNode(tree: SearchTree, parent: SearchNode, children: readonly ChildSpec[], requestId: string | null): SearchNode[] {
  if (parent.expanded) throw new Error(`internal: node ${parent.id} of task ${tree.taskId} is expanded twice`);
  parent.expanded = true;
  const created = children.map((spec): SearchNode => {
    const node: SearchNode = {
      ...spec,
      id: tree.nodes.length,
      parent: parent.id,
      depth: parent.depth + 1,
      requestId,
      children: [],
      expanded: false,
      n: 0,
      w: 0,
      score: null,
      reward: spec.terminal === "depth_limit" ? 0 : null,
    };
    tree.nodes.push(node);
    parent.children.push(node.id);
    return node;
  });
  if (created.length === 0) {
    parent.terminal = "dead_end";
    parent.reward = 0;
  }
  return created;
}

/** Ids from the root to this node, both included. */
export function pathTo(tree: SearchTree, id: number): number[] {
  const path: number[] = [];
  for (let at: number | null = id; at !== null; at = nodeAt(tree, at).parent) path.push(at);
  return path.reverse();
}

/** The step texts from the root's first child to this node (empty for the root). */
export function stepsTo(tree: SearchTree, id: number): string[] {
  return pathTo(tree, id)
    .slice(1)
    .map((i) => nodeAt(tree, i).step);
}

/** Adds one visit of value v to every node of a path (root first). */
export function backup(tree: SearchTree, path: readonly number[], v: number): void {
  for (const id of path) {
    const node = nodeAt(tree, id);
    node.n += 1;
    node.w += v;
  }
}

/** Q = W / N; null for a node never visited. */
export function nodeValue(node: Pick<SearchNode, "n" | "w">): number | null {
  return node.n > 0 ? node.w / node.n : null;
}
