import { checkScore, type RewardJudge, type RewardScore } from "./reward.js";
import { programDigest } from "../judge/program-identity.js";
import type { SearchTask } from "./search-task.js";

/** A judge that asks its inner judge once per (tests, program), however often and however concurrently it is asked. */
export interface RewardCache {
  /** Judges a program, or answers from what was judged (or is being judged) before; `cached` says which. */
  score(task: SearchTask, program: string, programSha256?: string): Promise<{ score: RewardScore; cached: boolean }>;
  /** Records a score known without judging (a resume loads the rewards of its log). */
  remember(testsDigest: string, programSha256: string, score: RewardScore): void;
  /** Programs sent to the inner judge, and answers given without it. */
  readonly stats: { judged: number; hits: number };
}

/** Wraps a judge so identical programs on identical tests are judged once (in flight or done). */
export function createRewardCache(judge: RewardJudge): RewardCache {
  const known = new Map<string, Promise<RewardScore>>();
  const stats = { judged: 0, hits: 0 };
  const keyOf = (testsDigest: string, programSha256: string): string => `${testsDigest}\0${programSha256}`;
  return {
    stats,
    async score(task, program, programSha256 = programDigest(program)) {
      const key = keyOf(task.testsDigest, programSha256);
      const earlier = known.get(key);
      if (earlier !== undefined) {
        stats.hits++;
        return { score: await earlier, cached: true };
      }
      stats.judged++;
      const pending = judge.judge(task, program).then((s) => checkScore(s, task.taskId));
      known.set(key, pending);
      // A fault is not a verdict: forget it, so a later ask (a resume) judges the program again.
      pending.catch(() => known.delete(key));
      return { score: await pending, cached: false };
    },
    remember(testsDigest, programSha256, score) {
      known.set(keyOf(testsDigest, programSha256), Promise.resolve(score));
    },
  };
}
