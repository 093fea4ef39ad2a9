import type { PromptTask } from "../prompts/prompt-task.js";
import { sha256 } from "../util/hash.js";

/**
 * A task as the search sees it: what the prompt shows, and which tests give its rewards.
 * The judge behind the search maps the task id to the tests themselves; the search only needs
 * to know when two tasks share them (`testsDigest`), so identical programs are judged once.
 */
export interface SearchTask {
  taskId: string;
  prompt: PromptTask;
  /** sha256 (or any stable id) of the tests the rewards come from: the benchmark's, a subset, or generated ones. */
  testsDigest: string;
}

/**
 * The seed of one task's random choices: derived from the search seed and the task id, so a
 * task's tree does not depend on which other tasks share the run or in which order they ran.
 */
export function taskSeed(seed: number, taskId: string): number {
  // 48 bits of the hash: an exact integer, and distinct seeds for distinct tasks in practice.
  return Number.parseInt(sha256(`${seed}\0${taskId}`).slice(0, 12), 16);
}
