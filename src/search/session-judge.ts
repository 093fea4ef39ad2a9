import { SandboxFault } from "../core/errors.js";
import type { JudgingSession, Judgement } from "../core/session.js";
import type { Test } from "../core/task.js";
import type { RewardJudge } from "./reward.js";
import type { SearchTask } from "./search-task.js";

/** Per-test details kept with a reward are cut to this many characters (the tree view shows them; the log keeps every one). */
const DETAIL_CHARS = 240;

/**
 * The search's judge over a judging session (src/core/session.ts): every test of the task runs,
 * after a crash too (the reward needs the passed fraction), on the session's pool, with its
 * memo and verdict cache. `testsFor` gives a task other tests (generated ones, a subset); by
 * default the task's own; `onJudged` sees each judgement (the CPU it cost). A `sandbox_error` is the sandbox failing twice, no verdict on the
 * program: it rejects with a SandboxFault, so no reward is made of it (the search stops that
 * task, resumably).
 */
export function sessionRewardJudge(session: JudgingSession, testsFor?: (task: SearchTask) => readonly Test[] | undefined, onJudged?: (j: Judgement) => void): RewardJudge {
  return {
    async judge(task, program) {
      const tests = testsFor?.(task);
      const j = await session.judge(task.taskId, program, { untilFirstFailure: false, ...(tests !== undefined ? { tests } : {}) });
      onJudged?.(j);
      if (j.status === "sandbox_error") throw new SandboxFault(`task ${task.taskId}: the sandbox failed to judge a program: ${j.tests[0]?.detail ?? j.load_detail ?? "sandbox error"}`);
      return {
        compiles: j.compiles,
        passed: j.passed,
        total: j.total,
        tests: j.tests.map((t) => ({ id: t.id, outcome: t.outcome, ...(t.detail !== undefined && t.outcome !== "pass" ? { detail: t.detail.slice(0, DETAIL_CHARS) } : {}) })),
      };
    },
  };
}
