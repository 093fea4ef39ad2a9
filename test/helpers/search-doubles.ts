import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSearch } from "../../src/search/driver.js";
import type { ExpansionRequest, StepCandidate, StepPolicy, StepProposal } from "../../src/search/policy.js";
import type { RewardJudge, RewardScore } from "../../src/search/reward.js";
import { searchSettings } from "../../src/search/search-config.js";
import type { SearchTask } from "../../src/search/search-task.js";
import type { TreeSummary } from "../../src/search/tree-summary.js";

/**
 * Test doubles of the search's two outside parties, in process: a policy whose step texts are
 * scripted per path (each step is named by a label the policy reads back from the prompt), and
 * a judge that reads a program's score from a comment the scripted code step wrote into it.
 * Deterministic: the same prompt gets the same answer.
 */

/** A pseudocode step (Action 2) named `label`. */
export function pseudoStep(label: string): string {
  return ` ${label} (Action 2)\n#### Goal:\nRefine ${label}.\n#### Pseudocode:\n\`\`\`pseudo\nstep ${label}\n\`\`\`\n`;
}

/** A code step named `label` whose program the test judge scores `passed`/`total` (and as not compiling with `compiles: false`). */
export function codeStep(label: string, passed: number, total: number, compiles = true, body = `def f():\n    return "${label}"`): string {
  return ` ${label} (Action 3)\n#### Python Code:\n\`\`\`python\n# score ${passed}/${total}${compiles ? "" : " nocompile"}\n${body}\n\`\`\`\n`;
}

/** The labels of the steps a step prompt already holds (after the task section; the worked example's steps come before it). */
export function pathOf(request: ExpansionRequest): string[] {
  const text = request.prompt ?? (request.messages ?? []).map((m) => m.content).join("\n");
  const at = text.lastIndexOf("### Task:");
  return [...text.slice(at).matchAll(/### Step \d+: (\S+)/g)].map((m) => m[1] ?? "");
}

/** The task a request is for: the scripted tasks' texts are "task <id>". */
export function taskOf(request: ExpansionRequest): string {
  return /### Task:\ntask (\S+)/.exec(request.prompt ?? "")?.[1] ?? "";
}

/** A search task whose prompt text is "task <id>" (what taskOf reads back). */
export function searchTaskFor(id: string, testsDigest = `tests-of-${id}`): SearchTask {
  return { taskId: id, prompt: { taskId: id, text: `task ${id}`, tests: [`assert f() == ${JSON.stringify(id)}`] }, testsDigest };
}

/** The candidates for a path, keyed by the path's labels joined with "/" ("" for the root). */
export type TreeScript = Record<string, (string | StepCandidate)[]>;

/** A scripted policy that records its requests and can answer late. */
export interface ScriptedStepPolicy extends StepPolicy {
  requests: ExpansionRequest[];
  /** [start, end] in ms (performance.now) of every call. */
  intervals: [number, number][];
}

/** A policy answering from a script; `scriptFor` may pick the script by task. */
export function scriptedStepPolicy(
  scriptFor: TreeScript | ((taskId: string) => TreeScript),
  options: { delayMs?: number; failAfter?: number } = {},
): ScriptedStepPolicy {
  const requests: ExpansionRequest[] = [];
  const intervals: [number, number][] = [];
  return {
    requests,
    intervals,
    id: () => "scripted-step-policy",
    async propose(request): Promise<StepProposal> {
      const start = performance.now();
      if (options.failAfter !== undefined && requests.length >= options.failAfter) throw new Error("scripted fault: the model server went away");
      requests.push(request);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const script = typeof scriptFor === "function" ? scriptFor(taskOf(request)) : scriptFor;
      const answers = script[pathOf(request).join("/")] ?? [];
      const candidates = answers.map((a) => (typeof a === "string" ? { text: a } : a)).slice(0, request.n);
      intervals.push([start, performance.now()]);
      return { candidates, usage: { promptTokens: 100, completionTokens: 10 * candidates.length } };
    },
  };
}

/** A judge that reads `# score P/T` (and `nocompile`) from the program. */
export interface ScoringJudge extends RewardJudge {
  calls: { taskId: string; program: string }[];
  intervals: [number, number][];
}

/** The test judge (see codeStep). */
export function scoringJudge(options: { delayMs?: number } = {}): ScoringJudge {
  const calls: { taskId: string; program: string }[] = [];
  const intervals: [number, number][] = [];
  return {
    calls,
    intervals,
    async judge(task, program): Promise<RewardScore> {
      const start = performance.now();
      calls.push({ taskId: task.taskId, program });
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const m = /# score (\d+)\/(\d+)( nocompile)?/.exec(program);
      intervals.push([start, performance.now()]);
      if (!m) return { compiles: false, passed: 0, total: 3 };
      return { compiles: m[3] === undefined, passed: Number(m[1]), total: Number(m[2]) };
    },
  };
}

/**
 * A 3 × 3 tree with one correct path: root → S1, S2, S3 (pseudocode); each Si → Ti1, Ti2, Ti3
 * (pseudocode, depth 2); each Tij → one code step (depth 3), correct only under T22.
 */
export function oneCorrectPathScript(): TreeScript {
  const script: TreeScript = { "": ["S1", "S2", "S3"].map(pseudoStep) };
  for (const i of [1, 2, 3]) {
    script[`S${i}`] = [1, 2, 3].map((j) => pseudoStep(`T${i}${j}`));
    for (const j of [1, 2, 3]) {
      const correct = i === 2 && j === 2;
      script[`S${i}/T${i}${j}`] = [codeStep(`C${i}${j}`, correct ? 3 : 0, 3)];
    }
  }
  return script;
}

/**
 * The small tree whose statistics test/search/driver.test.ts computes by hand: root → P
 * (pseudocode), W (code, 0/2), H (code, 1/2); P → C (code, 2/2). With every code step kept
 * (`code_children: all`), after 6 rollouts with UCT, c = 2: P (N 3, Q 1), W (1, 0), H (2, 0.5),
 * C (3, 1); ids root 0, P 1, W 2, H 3, C 4. Under the paper's rule W is dropped at the root's
 * expansion (H scores better): root → P 1, H 2; P → C 3.
 */
export const SMALL_TREE_SCRIPT: TreeScript = {
  "": [pseudoStep("P"), codeStep("W", 0, 2), codeStep("H", 1, 2)],
  P: [codeStep("C", 2, 2), `${codeStep("C", 2, 2)}<Step_End>\n\nrun-on text`, `### Step 2: ${codeStep("C", 2, 2).trim()}   `],
};

/** Searches SMALL_TREE_SCRIPT for the given tasks (6 rollouts, depth 2, every code step kept) and returns the stored trees. */
export async function searchSmallTrees(taskIds: readonly string[] = ["t"]): Promise<TreeSummary[]> {
  const dir = mkdtempSync(join(tmpdir(), "verdict-small-tree-"));
  try {
    const { trees } = await runSearch({
      dir,
      tasks: taskIds.map((id) => searchTaskFor(id)),
      settings: searchSettings({ rollouts: 6, max_depth: 2, code_children: "all" }),
      policy: scriptedStepPolicy(SMALL_TREE_SCRIPT),
      judge: scoringJudge(),
    });
    return trees;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
