import type { Task } from "../core/task.js";
import type { Provider, GenerationResult } from "../models/provider.js";
import { tcgStyle } from "../prompts/prompt-style.js";
import type { PromptTask } from "../prompts/prompt-task.js";
import type { TimeCalibration } from "../benchmarks/time-calibration.js";
import { parseCaseBlocks } from "../tcg/case-blocks.js";
import { prepareCases, type PreparedCase, type TcgTarget } from "../tcg/generated-tests.js";
import { testsRow } from "../tcg/tests-file.js";
import { validateCases, type CaseJudge } from "../tcg/validation.js";
import { styleRequest } from "./generate.js";
import type { ModelConfig } from "./run-config.js";
import type { TcgSettings } from "./tcg-config.js";
import { requestKey, type RequestRecord, type TcgRunDir } from "./tcg-run-dir.js";

/** What the run's units did, for the summary. */
export interface UnitsReport {
  /** Units whose rows were on disk, and units validated now. */
  fromDisk: number;
  validatedNow: number;
  /** Per model: requests answered now and of those from the cache; failures after retries. */
  requests: Map<string, { answered: number; cached: number; failed: number }>;
  incomplete: { model: string; task_id: string; error: string }[];
}

/**
 * One unit of `verdict tcg`: a model's N requests for one task, then the validation of all
 * their cases by one reference judgement. Requests already on disk are never asked again; a
 * unit whose rows are on disk is never validated again. Cases are prepared in request order
 * with one set of seen inputs per (model, task), so which case is a duplicate does not depend
 * on which answer came first.
 */

/** Everything a unit needs. */
export interface UnitContext {
  dir: TcgRunDir;
  session: CaseJudge;
  settings: TcgSettings;
  model: ModelConfig;
  provider: Provider;
  signal?: AbortSignal;
}

/** One task as a unit sees it. */
export interface UnitTask {
  task: Task;
  prompt: PromptTask;
  target: TcgTarget | undefined;
  calibration: TimeCalibration | undefined;
}

/** How a unit ended: validated, or a request failed after its retries (a resume asks it again). `answered` and `cached` count requests asked now. */
export type UnitOutcome = { kind: "validated"; cached: number; answered: number } | { kind: "failed"; answered: number; cached: number; errors: string[] };

/** The provider request for request `index` of a task: the TCG prompt, n = 1, seed + index. */
export function tcgRequest(settings: TcgSettings, model: ModelConfig, prompt: PromptTask, index: number) {
  const style = tcgStyle({ cases: settings.cases, formatHint: settings.format_hint, maxCaseChars: settings.max_case_chars });
  const asked = style.request(prompt, { api: model.api, shots: [], tests: "all" }, []);
  const sampling = {
    temperature: settings.temperature,
    top_p: settings.top_p,
    max_tokens: settings.max_tokens,
    seed: settings.seed,
    ...(settings.top_k !== undefined ? { top_k: settings.top_k } : {}),
    ...(settings.repetition_penalty !== undefined ? { repetition_penalty: settings.repetition_penalty } : {}),
  };
  return styleRequest(asked, sampling, 1, settings.seed + index);
}

/** Cases of a unit's answers, in request order (see the module comment). */
export function prepareUnit(t: UnitTask, model: string, settings: TcgSettings, answers: readonly string[]): PreparedCase[] {
  const seen = new Set<string>();
  return answers.flatMap(
    (text, request) => prepareCases(t.task, t.target, parseCaseBlocks(text), { model, request, cases: settings.cases, maxCaseChars: settings.max_case_chars, seen }).cases,
  );
}

/** Rows a unit's answers make: one per case kept (at most K per answer). */
export function rowsOf(answers: readonly string[], settings: Pick<TcgSettings, "cases">): number {
  return answers.reduce((sum, text) => sum + Math.min(settings.cases, parseCaseBlocks(text).length), 0);
}

/** What one request's answer adds to requests.jsonl. */
function recordOf(taskId: string, model: string, request: number, seed: number, result: GenerationResult): RequestRecord {
  return {
    task_id: taskId,
    model,
    request,
    seed,
    text: result.texts[0] ?? "",
    finish_reason: result.finishReasons[0] ?? null,
    usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens },
    latency_ms: result.latencyMs,
    cached: result.cached,
  };
}

/** Runs a unit not validated yet: asks the requests not on disk, then validates (see the module comment). */
export async function runUnit(ctx: UnitContext, t: UnitTask): Promise<UnitOutcome> {
  const { dir, settings, model } = ctx;
  const taskId = t.task.taskId;
  let cached = 0;
  let answered = 0;
  const errors: string[] = [];
  const answers = await Promise.all(
    Array.from({ length: settings.requests }, async (_, request) => {
      const onDisk = dir.requests.get(requestKey(model.name, taskId, request));
      if (onDisk !== undefined) return onDisk.text;
      const req = tcgRequest(settings, model, t.prompt, request);
      const result = await ctx.provider.complete(req);
      // An answer that arrives after an interrupt is not written: the directory is being closed.
      ctx.signal?.throwIfAborted();
      if (result.error !== undefined) {
        errors.push(`request ${request}: ${result.error.message}`);
        return undefined;
      }
      answered++;
      if (result.cached) cached++;
      dir.appendRequest(recordOf(taskId, model.name, request, req.seed ?? settings.seed + request, result));
      return result.texts[0] ?? "";
    }),
  );
  if (errors.length > 0) return { kind: "failed", answered, cached, errors };
  const texts = answers as string[];
  const cases = prepareUnit(t, model.name, settings, texts);
  const checked = await validateCases(ctx.session, t.task, cases, {
    ...(t.calibration !== undefined ? { calibration: t.calibration } : {}),
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
  });
  ctx.signal?.throwIfAborted();
  dir.appendRows(model.name, taskId, checked.map(testsRow));
  return { kind: "validated", cached, answered };
}
