/**
 * POST /get_reward: OpenRLHF's remote reward protocol (`--remote_rm_url`). The trainer posts
 * `{query, prompts, labels}` (query = prompt + response); verdict extracts the program from each
 * response with the extractor generation uses, judges it on the task its label names, and answers
 * `{rewards, scores, extra_logs}`: rewards for the advantage, scores (pass = 1 else 0) for
 * OpenRLHF's dynamic filtering, extra_logs (numbers only) for its logger.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Judgement } from "../core/session.js";
import type { Task } from "../core/task.js";
import { mbppRowSchema } from "../benchmarks/mbpp.js";
import { extractCode } from "../prompts/extract-code.js";
import { rewardValue } from "../search/reward.js";
import { tcgTarget } from "../tcg/generated-tests.js";
import { judgePrepared, type PreparedJudgement } from "./judge-route.js";
import { checkItems, checkSize, invalidBody, RequestError } from "./request-errors.js";
import { underSignal } from "./request-signal.js";
import type { ServiceContext } from "./service-context.js";
import type { RewardOptions } from "./service-options.js";
import { resolveTaskFields } from "./task-input.js";

/** OpenRLHF's request body; other keys a newer trainer adds are ignored. */
export const rewardBodySchema = z.looseObject({
  query: z.array(z.string()).min(1),
  prompts: z.array(z.string()).optional(),
  /** Task ids, task objects in MBPP's schema, or such objects as JSON text (a dataset's label column). */
  labels: z.array(z.union([z.string(), z.int().nonnegative(), mbppRowSchema])),
});

/** OpenRLHF's response body. */
export interface RewardResponse {
  rewards: number[];
  scores: number[];
  extra_logs: { pass: number[]; passed: number[]; total: number[]; compiles: number[] };
}

/** What one response scored. */
interface Score {
  pass: boolean;
  compiles: boolean;
  passed: number;
  total: number;
}

/** A label as the task field it stands for: JSON text of an object is parsed; anything else is an id. */
function labelTask(label: z.infer<typeof rewardBodySchema>["labels"][number], field: string): unknown {
  if (typeof label !== "string" || !label.trimStart().startsWith("{")) return label;
  try {
    return JSON.parse(label) as unknown;
  } catch {
    throw new RequestError(400, `${field}: looks like a task object but is not JSON`);
  }
}

/** The reward of a score under the configured scoring. */
export function rewardOf(score: Score, reward: RewardOptions): number {
  return reward.mode === "binary" ? (score.pass ? 1 : 0) : rewardValue(score, reward.alpha);
}

/** POST /get_reward (see the module comment). */
export function registerRewardRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/get_reward", async (request, reply) => {
    const parsed = rewardBodySchema.safeParse(request.body);
    if (!parsed.success) throw invalidBody(parsed.error, "get_reward");
    const { query, prompts, labels } = parsed.data;
    checkItems(query.length, ctx.options.maxItems, "query");
    if (labels.length !== query.length) throw new RequestError(400, `labels has ${labels.length} items but query has ${query.length}; give one task label per query`);
    if (prompts !== undefined && prompts.length !== query.length) throw new RequestError(400, `prompts has ${prompts.length} items but query has ${query.length}`);
    const all = ctx.options.reward.mode === "fraction";
    const scores: (Score | undefined)[] = [];
    const toJudge: PreparedJudgement[] = [];
    const slots: number[] = [];
    // Every label checked first, then their tasks resolved together (task objects in one reference pool).
    const fields = labels.map((label, i) => {
      checkSize(query[i] as string, ctx.options.maxProgramBytes, `query.${i}`);
      const field = `labels.${i}`;
      const raw = labelTask(label, field);
      if (typeof raw !== "object") return { value: raw as string | number, field };
      const object = mbppRowSchema.safeParse(raw);
      if (!object.success) throw invalidBody(object.error, `${field} task object`);
      return { value: object.data, field };
    });
    const tasks = await resolveTaskFields(ctx.session, fields);
    for (const [i, q] of query.entries()) {
      const task = tasks[i] as Task;
      const prompt = prompts?.[i];
      const entryPoint = tcgTarget(task)?.entryPoint;
      const code = extractCode(q, { ...(prompt ? { prompt } : {}), ...(entryPoint ? { entryPoint } : {}) });
      if (code.source === "none" || code.code.trim() === "") {
        // No program in the response: nothing compiled, nothing passed, no job spent.
        scores.push({ pass: false, compiles: false, passed: 0, total: task.tests.length });
        continue;
      }
      scores.push(undefined);
      slots.push(i);
      toJudge.push({ task, program: code.code, options: { untilFirstFailure: !all } });
    }
    const judged: Judgement[] = await underSignal(reply, ctx.options.requestTimeoutMs, ctx.shutdown, (signal) => judgePrepared(ctx, toJudge, signal));
    judged.forEach((j, k) => {
      scores[slots[k] as number] = { pass: j.status === "pass", compiles: j.compiles, passed: j.passed, total: j.total };
    });
    const final = scores.map((s) => s as Score);
    const body: RewardResponse = {
      rewards: final.map((s) => rewardOf(s, ctx.options.reward)),
      scores: final.map((s) => (s.pass ? 1 : 0)),
      extra_logs: {
        pass: final.map((s) => (s.pass ? 1 : 0)),
        passed: final.map((s) => s.passed),
        total: final.map((s) => s.total),
        compiles: final.map((s) => (s.compiles ? 1 : 0)),
      },
    };
    return body;
  });
}
