import type { TaskSpec } from "../core/task.js";
import { entryPointOf, normalizeNewlines } from "../prompts/prompt-task.js";
import type { StepPolicy } from "../search/policy.js";
import type { RewardJudge } from "../search/reward.js";
import type { SearchTask } from "../search/search-task.js";
import { startScriptedCompletionsServer, type ScriptedCompletionsServer } from "./bench-completions-server.js";
import { promptTaskFromSpec } from "./generate.js";

/**
 * The scripted policy of `npm run bench`'s search section: it answers a step request the way a
 * model would, from the prompt alone (which MBPP task, which steps the path holds), with
 * candidate steps whose programs decide their reward. Step 1 offers three plans (A, B, C);
 * every later step a further plan, a code step and a wrong code step. Code under plan B is the
 * task's reference (every test passes); elsewhere it answers None. Each program carries its
 * path in a comment, so no two nodes share one and every code step is judged. The same script
 * serves over HTTP (the measured pipeline) and in process (the host-overhead baseline).
 */

/** The labels of the steps a step prompt already holds (after the task; the worked example's steps come before it). */
function pathOf(prompt: string): string[] {
  return [...prompt.slice(prompt.lastIndexOf("### Task:")).matchAll(/### Step \d+: (\S+) \(Action/g)].map((m) => m[1] ?? "");
}

const planStep = (label: string, entry: string): string =>
  ` ${label} (Action ${label.length === 1 ? 1 : 2})\n#### Goal:\nWork out ${entry}, part ${label}.\n#### Pseudocode:\n\`\`\`pseudo\nFunction ${entry}(...):\n    handle part ${label}\n\`\`\`\n`;

const codeStep = (label: string, program: string): string => ` ${label} (Action 3)\n#### Python Code:\n\`\`\`python\n${program}\`\`\`\n`;

/** One MBPP task as the script knows it. */
interface ScriptTask {
  /** What follows `### Task:\n` in its prompt, and its first assert: together they name the task. */
  text: string;
  firstTest: string;
  entry: string;
  reference: string;
}

/** The scripted candidates for MBPP tasks. */
export interface BenchScript {
  /** The search tasks (the benchmark's prompts, tests digest per task). */
  tasks: SearchTask[];
  /** The candidate step texts for a step prompt: n of them. */
  stepsFor(prompt: string, n: number): string[];
}

/** The script over these tasks. */
export function benchScript(specs: readonly TaskSpec[]): BenchScript {
  const known: ScriptTask[] = [];
  const tasks: SearchTask[] = specs.map((spec) => {
    const prompt = promptTaskFromSpec(spec);
    known.push({
      text: normalizeNewlines(prompt.text).trim(),
      firstTest: normalizeNewlines(prompt.tests[0] ?? "").trim(),
      entry: entryPointOf(prompt) ?? "f",
      reference: `${normalizeNewlines(spec.reference ?? "").trimEnd()}\n`,
    });
    return { taskId: spec.taskId, prompt, testsDigest: `bench-${spec.taskId}` };
  });
  return {
    tasks,
    stepsFor(prompt, n) {
      const section = prompt.slice(prompt.lastIndexOf("### Task:\n") + "### Task:\n".length);
      const task = known.find((t) => section.startsWith(t.text) && section.includes(t.firstTest));
      if (task === undefined) throw new Error(`bench search policy: no known task in …${prompt.slice(-200)}`);
      const path = pathOf(prompt);
      const at = path.join("");
      if (path.length === 0) return ["A", "B", "C"].map((l) => planStep(l, task.entry)).slice(0, n);
      const right = path[0] === "B" ? task.reference : `${task.reference}\ndef ${task.entry}(*args, **kwargs):\n    return None\n`;
      const wrong = `${task.reference}\ndef ${task.entry}(*args, **kwargs):\n    return None\n`;
      return [planStep(`${at}p`, task.entry), codeStep(`${at}c`, `# path ${at}c\n${right}`), codeStep(`${at}w`, `# path ${at}w\n${wrong}`)].slice(0, n);
    },
  };
}

/** The script as an in-process policy: no HTTP, no wait (the host-overhead baseline). */
export function instantPolicy(script: BenchScript): StepPolicy {
  return {
    id: () => "bench-instant",
    async propose(req) {
      const texts = script.stepsFor(req.prompt ?? "", req.n ?? 1);
      return { candidates: texts.map((text) => ({ text })), usage: { promptTokens: (req.prompt ?? "").length >> 2, completionTokens: 60 * texts.length } };
    },
  };
}

/** A judge that scores a program by the script's own construction, without running it (the host-overhead baseline). */
export const instantJudge: RewardJudge = {
  async judge(_task, program) {
    return { compiles: true, passed: program.includes("return None\n") ? 0 : 3, total: 3 };
  },
};

/** The script behind an OpenAI-compatible completions server on loopback (latency settable). */
export function startScriptServer(script: BenchScript): Promise<ScriptedCompletionsServer> {
  return startScriptedCompletionsServer((body) => script.stepsFor(body.prompt ?? "", body.n ?? 1));
}
