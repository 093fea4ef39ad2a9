import { continueSteps, formatStep, STEP_END } from "../../prompts/pseudocode.js";
import type { TreeNodeSummary, TreeSummary } from "../tree-summary.js";

/**
 * How the exports read a stored tree: paths of nodes, and the texts the policy saw and wrote
 * along them. Every text is the one the search itself built (the task's header, then
 * `<Step_Begin>\n### Step k: …<Step_End>\n\n` per step), so training data continues exactly
 * the strings the policy is prompted with.
 */

/** The node with this id (stored trees list nodes by id). */
export function nodeOf(tree: TreeSummary, id: number): TreeNodeSummary {
  const node = tree.nodes[id];
  if (node === undefined || node.id !== id) throw new Error(`internal: tree of task ${tree.task_id} has no node ${id} at its place`);
  return node;
}

/** The steps from the root's first child down to this node (the root itself carries no step). */
export function stepPath(tree: TreeSummary, id: number): TreeNodeSummary[] {
  const path: TreeNodeSummary[] = [];
  for (let node = nodeOf(tree, id); node.parent !== null; node = nodeOf(tree, node.parent)) path.push(node);
  return path.reverse();
}

/** Every path from the root to a visited leaf (a terminal some rollout ended at), as its steps; paths without a step are left out. */
export function visitedLeafPaths(tree: TreeSummary): TreeNodeSummary[][] {
  return tree.nodes.filter((n) => n.terminal !== null && n.n > 0 && n.parent !== null).map((n) => stepPath(tree, n.id));
}

/** The prompt that asked for the step after this node: the header, the node's path, then `<Step_Begin>\n### Step k:`. */
export function promptAfter(tree: TreeSummary, id: number): string {
  const steps = stepPath(tree, id).map((n) => n.step);
  return continueSteps(tree.header, steps, steps.length + 1);
}

/** One step as the policy writes it after `### Step k:`, up to the marker where generation stops. */
export function stepCompletion(step: string): string {
  return ` ${step}${STEP_END}`;
}

/** A whole step with its markers, as a prompt shows it (without the blank line after it). */
export function markedStep(k: number, step: string): string {
  return formatStep(k, step).trimEnd();
}
