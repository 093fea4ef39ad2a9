import { createRng } from "../metrics/rng.js";
import { diverged, expandWithLog, rewardWithLog, TaskStopped, type DroppedCode, type TaskFailure, type TaskSearchCounts, type TaskSearchDeps } from "./expansion.js";
import { isCorrectScore } from "./reward.js";
import { taskSeed } from "./search-task.js";
import { selectChild } from "./selection.js";
import { backup, createTree, nodeAt, pathTo, type SearchNode, type SearchTree } from "./tree.js";

export type { DroppedCode, TaskFailure, TaskSearchCounts, TaskSearchDeps } from "./expansion.js";

/**
 * One task's MCTS: `rollouts` descents from the root. Each descent expands the nodes it meets
 * unexpanded (one policy request with n candidates each), picks a child by the selection rule,
 * and goes on until a terminal step; a code terminal is judged (at its expansion under the
 * paper's rule, else the first time it is reached); the reward is backed up the path
 * (N += 1, W += v). The task's random choices all come from one RNG seeded by (search seed,
 * task id), so the tree depends only on the model's and the judge's answers, which the log
 * holds for a resume.
 */

/** One task's search result. */
export interface TaskSearchResult {
  tree: SearchTree;
  rollouts: number;
  /** All rollouts done (false: stopped by the signal, or by a failure). */
  finished: boolean;
  /** A code terminal passed every test. */
  solved: boolean;
  counts: TaskSearchCounts;
  /** Why the task stopped early (a request or a judgement failed for good); null otherwise. */
  failure: TaskFailure | null;
  /** Code steps the paper's rule left out of the tree, with their scores. */
  dropped: DroppedCode[];
}

/** Runs (or resumes) one task's search. */
export async function searchTask(deps: TaskSearchDeps): Promise<TaskSearchResult> {
  const { task, settings, log } = deps;
  const tree = createTree(task.taskId);
  const rng = createRng(taskSeed(settings.seed, task.taskId));
  const counts: TaskSearchCounts = { expansions: 0, replayedExpansions: 0, rewards: 0, replayedRewards: 0, cachedRewards: 0, calls: 0, promptTokens: 0, completionTokens: 0 };
  const dropped: DroppedCode[] = [];
  let rollouts = 0;
  let failure: TaskFailure | null = null;
  try {
    for (let r = 1; r <= settings.rollouts; r++) {
      if (deps.signal?.aborted) break;
      let node = nodeAt(tree, 0);
      while (node.terminal === null) {
        if (!node.expanded) await expandWithLog(deps, tree, node, counts, dropped);
        if (node.terminal !== null) break; // the expansion gave no step: a dead end
        node = selectChild(tree, node, settings.selection, settings.c, rng);
      }
      if (node.terminal === "code" && node.reward === null) await rewardWithLog(deps, node, counts);
      recordBackup(deps, tree, r, node);
      rollouts = r;
    }
  } catch (err) {
    if (!(err instanceof TaskStopped)) throw err;
    failure = err.failure;
  }
  const solved = tree.nodes.some((n) => n.score !== null && isCorrectScore(n.score));
  const finished = rollouts === settings.rollouts;
  if (finished && log?.done === undefined) deps.append({ kind: "done", task_id: task.taskId, rollouts, solved });
  return { tree, rollouts, finished, solved, counts, failure, dropped };
}

/** Backs a rollout's value up its path; logs it, or checks it against the log on a replay. */
function recordBackup(deps: TaskSearchDeps, tree: SearchTree, rollout: number, leaf: SearchNode): void {
  const path = pathTo(tree, leaf.id);
  const value = leaf.reward ?? 0;
  backup(tree, path, value);
  const logged = deps.log?.backups.get(rollout);
  if (logged !== undefined) {
    if (logged.leaf !== leaf.id || logged.value !== value) throw diverged(deps, logged.line, `rollout ${rollout}`);
    return;
  }
  deps.append({
    kind: "backup",
    task_id: deps.task.taskId,
    rollout,
    leaf: leaf.id,
    value,
    path: path.map((id) => {
      const n = nodeAt(tree, id);
      return { id, n: n.n, w: n.w, q: n.w / n.n };
    }),
  });
}
