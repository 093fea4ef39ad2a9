import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { runSearch, type SearchRunResult } from "../../src/search/driver.js";
import type { StepPolicy } from "../../src/search/policy.js";
import type { RewardJudge } from "../../src/search/reward.js";
import { searchSettings } from "../../src/search/search-config.js";
import { searchTaskFor } from "../helpers/search-doubles.js";

/**
 * The driver's own cost per node: 100 tasks × 15 rollouts against a policy and a judge that
 * answer at once, in process, so everything measured is the search's host-side work (prompt
 * building, parsing and merging candidates, selection, hashing, the event log on disk, tree
 * files). Run: `npx vitest bench --run test/search/driver.bench.ts`; ms per node = the mean
 * time of one run / the nodes it printed.
 */

const TASKS = 100;
const ROLLOUTS = 15;

const pseudo = (k: number, seed: number, i: number) =>
  ` Refine part ${i} (Action ${k === 1 ? 1 : 2})\n#### Goal:\nWork out piece ${seed}.${i} of the algorithm.\n#### Pseudocode:\n\`\`\`pseudo\nFunction solve(xs):\n    for each x in xs:\n        keep the best of x and ${seed}\n    return the best\n\`\`\`\n`;
const code = (seed: number, i: number, passes: boolean) =>
  ` Generate the Python code (Action 3)\n#### Python Code:\n\`\`\`python\ndef solve(xs):\n    best = ${seed + i}\n    for x in xs:\n        if x > best:\n            best = x\n    return best  # ${passes ? "pass" : "fail"}\n\`\`\`\n`;

/** Step 1: three plans; later steps: a plan, a passing and a failing program (so trees reach depth 2-5). */
const instantPolicy: StepPolicy = {
  id: () => "instant",
  async propose(req) {
    const prompt = req.prompt ?? "";
    const k = Number.parseInt(prompt.slice(prompt.lastIndexOf("### Step ") + 9), 10);
    const seed = req.seed ?? 0;
    const texts = k === 1 ? [0, 1, 2].map((i) => pseudo(k, seed, i)) : [pseudo(k, seed, 0), code(seed, 1, seed % 3 === 0), code(seed, 2, false)];
    return { candidates: texts.map((text) => ({ text })), usage: { promptTokens: prompt.length >> 2, completionTokens: 60 * texts.length } };
  },
};

const instantJudge: RewardJudge = {
  async judge(_task, program) {
    return { compiles: true, passed: program.includes("# pass") ? 3 : 1, total: 3 };
  },
};

const tasks = Array.from({ length: TASKS }, (_, i) => searchTaskFor(`task-${i}`));
const dirs: string[] = [];
let last: SearchRunResult | undefined;

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (last) {
    const s = last.stats;
    console.log(
      `search host overhead: ${TASKS} tasks × ${ROLLOUTS} rollouts → ${s.nodes} nodes, ${s.expansions} expansions, ${s.rewards} rewards (${s.judged} judged); last run ${s.seconds.toFixed(3)} s = ${((s.seconds * 1000) / s.nodes).toFixed(3)} ms/node, ${(s.nodes / s.seconds).toFixed(0)} nodes/s`,
    );
  }
});

describe("search driver", () => {
  bench(
    `${TASKS} tasks × ${ROLLOUTS} rollouts, instant policy and judge`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "verdict-search-bench-"));
      dirs.push(dir);
      last = await runSearch({ dir, tasks, settings: searchSettings({ rollouts: ROLLOUTS }), policy: instantPolicy, judge: instantJudge });
    },
    { iterations: 5, warmupIterations: 1, time: 0, warmupTime: 0 },
  );

  bench(
    "resume of that finished run (every expansion and reward replayed from nodes.jsonl)",
    async () => {
      const dir = dirs.at(-1);
      if (dir === undefined) throw new Error("run the search bench first");
      const replayed = await runSearch({ dir, tasks, settings: searchSettings({ rollouts: ROLLOUTS }), policy: instantPolicy, judge: instantJudge });
      if (replayed.stats.expansions !== 0) throw new Error("a resume of a finished run asked the policy again");
    },
    { iterations: 5, warmupIterations: 1, time: 0, warmupTime: 0 },
  );
});
