import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { JudgeRequestOptions, Judgement } from "../core/session.js";
import type { Task, Test } from "../core/task.js";
import { sha256 } from "../util/hash.js";
import { checkItems, checkSize, invalidBody, RequestError } from "./request-errors.js";
import { underSignal } from "./request-signal.js";
import type { ServiceContext } from "./service-context.js";
import { inlineTests, resolveTaskFields, taskFieldSchema, testsFieldSchema } from "./task-input.js";

/** One program to judge: the task, the program, which tests, and whether to stop at the first failure. */
export const judgeItemSchema = z.strictObject({
  task: taskFieldSchema,
  program: z.string(),
  tests: testsFieldSchema.optional(),
  /** `first-failure` (EvalPlus's semantics, the default) or `all` (every test's outcome; rewards). */
  mode: z.enum(["first-failure", "all"]).optional(),
});

/** A judge item, checked and resolved, ready for the session. */
export interface PreparedJudgement {
  task: Task;
  program: string;
  options: JudgeRequestOptions;
}

/**
 * Checks every item (400 naming its field when it is not one; 413 when its program is too
 * large), then resolves their tasks together (task objects in one reference pool) and their tests.
 * `prefix` names item i in messages ("items.3." in a batch, "" for a lone item).
 */
export async function prepareJudgeItems(ctx: ServiceContext, raws: readonly unknown[], prefix: (i: number) => string): Promise<PreparedJudgement[]> {
  const items = raws.map((raw, i) => {
    const parsed = judgeItemSchema.safeParse(raw);
    if (!parsed.success) {
      const err = invalidBody(parsed.error, "judge");
      throw new RequestError(400, err.message.replace(/: /, `: ${prefix(i)}`));
    }
    checkSize(parsed.data.program, ctx.options.maxProgramBytes, `${prefix(i)}program`);
    return parsed.data;
  });
  const tasks = await resolveTaskFields(ctx.session, items.map((item, i) => ({ value: item.task, field: `${prefix(i)}task` })));
  const prepared: PreparedJudgement[] = [];
  for (const [i, item] of items.entries()) {
    const task = tasks[i] as Task;
    const testsField = `${prefix(i)}tests`;
    // Absent or "benchmark": the task's own tests.
    let tests: Test[] | undefined;
    if (typeof item.tests === "string" && item.tests.startsWith("tcg:")) tests = await ctx.tcg.tests(item.tests.slice(4), task, testsField);
    else if (Array.isArray(item.tests)) tests = inlineTests(task, item.tests, testsField);
    prepared.push({ task, program: item.program, options: { untilFirstFailure: item.mode !== "all", ...(tests ? { tests } : {}) } });
  }
  return prepared;
}

/** Judges prepared items through the queue under the request's signal; results in item order. */
export function judgePrepared(ctx: ServiceContext, items: readonly PreparedJudgement[], signal: AbortSignal): Promise<Judgement[]> {
  if (ctx.options.logPrograms) for (const p of items) ctx.log(`program ${sha256(p.program).slice(0, 12)} for ${p.task.taskId}:\n${p.program}`);
  return ctx.queue.submit(
    items.map((p) => async (s: AbortSignal) => {
      const j = await ctx.session.judge(p.task, p.program, { ...p.options, signal: s });
      ctx.metrics.outcome(j.status, j.cached);
      return j;
    }),
    signal,
  );
}

/** POST /v1/judge: one item → its judgement; `{items: [...]}` → `{results: [...]}` in order. */
export function registerJudgeRoute(app: FastifyInstance, ctx: ServiceContext): void {
  app.post("/v1/judge", async (request, reply) => {
    const body = request.body;
    const batch = typeof body === "object" && body !== null && "items" in body;
    let raws: unknown[];
    if (batch) {
      const items = (body as { items: unknown }).items;
      if (!Array.isArray(items) || items.length === 0) throw new RequestError(400, "not a judge request: items: expected a non-empty list of {task, program}");
      checkItems(items.length, ctx.options.maxItems, "items");
      raws = items;
    } else {
      raws = [body];
    }
    const prepared = await prepareJudgeItems(ctx, raws, (i) => (batch ? `items.${i}.` : ""));
    const results = await underSignal(reply, ctx.options.requestTimeoutMs, ctx.shutdown, (signal) => judgePrepared(ctx, prepared, signal));
    return batch ? { results } : results[0];
  });
}
