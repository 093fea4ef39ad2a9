import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import type { SandboxPlacement } from "../session/session-options.js";
import { VerdictError } from "../core/errors.js";
import { pass1Rates } from "../metrics/figures.js";
import { readVerdicts } from "../runner/results-store.js";
import { RUN_FILES } from "../runner/run-format.js";
import type { PhaseName } from "../selfplay/phases.js";
import { runPipeline } from "./run-pipeline.js";
import type { ModelConfig, RunConfig } from "./run-config.js";
import { exportSearchRun } from "./search-export.js";
import { SEARCH_RUN_FILES } from "./search-manifest.js";
import type { SearchConfig } from "./search-run-config.js";
import { runSearchPipeline } from "./search-run.js";
import { fillTemplate, logTail, runLoggedCommand, templateEnv } from "./selfplay-command.js";
import type { SelfplayConfig } from "./selfplay-config.js";
import { ensureServed, type ServedPolicy } from "./selfplay-serve.js";
import type { TcgConfig } from "./tcg-config.js";
import { runTcg } from "./tcg.js";

/**
 * The phases of one self-play round, each calling its command's own pipeline into the phase's
 * directory (`<run>/round-N/<phase>/`) and returning what rounds.json reports of it. A phase
 * whose directory holds a started run resumes it as its command's `--resume` would; the phases
 * that own no run (export, train, serve) are redone whole, as they are cheap or idempotent.
 */

/** What every phase gets. */
export interface PhaseContext {
  cfg: SelfplayConfig;
  runDir: string;
  round: number;
  dir: string;
  /** The policy this phase talks to (the previous round's for search, this round's for serve and evaluate). */
  policy: ServedPolicy;
  /** The checkpoint the round starts from, and the one its trainer writes. */
  checkpointIn: string;
  checkpointOut: string;
  /** Directories of earlier phases of this round (and of the TCG run whose tests the search uses). */
  tcgDir: string | undefined;
  searchDir: string;
  exportDir: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  docker?: Docker;
  /** Where every phase's sandboxes run (`--engines`, `--runtime`, or the config's sandbox section). */
  placement?: SandboxPlacement;
}

/** Runs one phase; the result's fields go to the phase's phase.json as `details`. */
export async function runPhase(phase: PhaseName, c: PhaseContext): Promise<Record<string, unknown>> {
  mkdirSync(c.dir, { recursive: true });
  switch (phase) {
    case "tcg":
      return tcgPhase(c);
    case "search":
      return searchPhase(c);
    case "export":
      return exportPhase(c);
    case "train":
      return trainPhase(c);
    case "serve":
      return servePhase(c);
    case "evaluate":
      return evaluatePhase(c);
  }
}

/** The policy as a model entry of the run and search pipelines (named "policy": the folder of its results). */
function policyModel(c: PhaseContext): ModelConfig {
  return { ...c.cfg.policy, name: "policy", ...(c.policy.base_url !== "" ? { base_url: c.policy.base_url } : {}), model: c.policy.model };
}

/** The shared pipeline options: per-phase response cache (a new checkpoint may be served under the old name, so no answer crosses rounds). */
function pipelineOptions(c: PhaseContext): { responseCacheDir: string; log: (line: string) => void; signal?: AbortSignal; docker?: Docker; placement?: SandboxPlacement } {
  return {
    responseCacheDir: join(c.runDir, "responses", `round-${c.round}`),
    log: c.log,
    ...(c.signal !== undefined ? { signal: c.signal } : {}),
    ...(c.docker !== undefined ? { docker: c.docker } : {}),
    ...(c.placement !== undefined ? { placement: c.placement } : {}),
  };
}

async function tcgPhase(c: PhaseContext): Promise<Record<string, unknown>> {
  const t = c.cfg.tcg;
  if (t === undefined) throw new Error("tcg phase without a tcg section");
  const config: TcgConfig = {
    benchmark: c.cfg.benchmark,
    split: c.cfg.search.split,
    ...(c.cfg.search.limit !== undefined ? { limit: c.cfg.search.limit } : {}),
    ...(c.cfg.data !== undefined ? { data: c.cfg.data } : {}),
    out: c.dir,
    models: [t.model],
    tcg: t.settings,
    quality: { correct: [], wrong: [], mutants: t.mutants, mutant_seed: 0 },
    export: { seed: 0 },
    sandbox: c.cfg.sandbox,
  };
  const started = existsSync(join(c.dir, RUN_FILES.manifest));
  const result = await runTcg({ config, ...(started ? { resume: c.dir } : { outDir: c.dir }), noCache: false, ...pipelineOptions(c) });
  const tcg = result.summary.tcg;
  if (!tcg.complete) throw new VerdictError(`the TCG of round ${c.round} is incomplete (${tcg.incomplete.length} unit(s) failed: ${tcg.incomplete[0]?.error ?? ""})`);
  const m = tcg.models[0];
  return {
    run_dir: c.dir,
    tasks: tcg.tasks,
    validity: m?.quality.validity ?? null,
    all_valid: m?.quality.tasks.allValid ?? null,
    model_calls: m?.requests.asked ?? 0,
    exports: tcg.exports,
  };
}

async function searchPhase(c: PhaseContext): Promise<Record<string, unknown>> {
  const s = c.cfg.search;
  const tests = c.tcgDir !== undefined ? `${c.cfg.tcg?.tests === "benchmark+tcg" ? "benchmark+" : ""}tcg:${c.tcgDir}` : "benchmark";
  const config: SearchConfig = {
    benchmark: c.cfg.benchmark,
    split: s.split,
    ...(s.limit !== undefined ? { limit: s.limit } : {}),
    ...(c.cfg.data !== undefined ? { data: c.cfg.data } : {}),
    out: c.dir,
    models: [policyModel(c)],
    prompt: { tests: s.prompt_tests },
    sandbox: c.cfg.sandbox,
    search: { ...s.settings, tests },
    baseline: { unit: "calls" },
    ci: { resamples: 10_000, seed: 0 },
  };
  const started = existsSync(join(c.dir, SEARCH_RUN_FILES.manifest));
  const result = await runSearchPipeline({ config, ...(started ? { resume: c.dir } : { outDir: c.dir }), ...pipelineOptions(c) });
  const m = result.models[0];
  if (result.status !== "complete" || m === undefined) {
    const first = m?.incomplete[0];
    throw new VerdictError(`the search of round ${c.round} is incomplete: ${m?.incomplete.length ?? 0} task(s) stopped${first ? ` (task ${first.task_id}: ${first.error})` : ""}; what it found is kept in ${c.dir}`);
  }
  return {
    run_dir: c.dir,
    tests,
    served: { model: c.policy.model, checkpoint: c.policy.checkpoint },
    tasks: m.stats.tasks,
    solved: m.stats.solved,
    solve_rate: m.stats.tasks > 0 ? m.stats.solved / m.stats.tasks : null,
    model_calls: m.stats.calls,
    prompt_tokens: m.stats.promptTokens,
    completion_tokens: m.stats.completionTokens,
    programs_judged: m.stats.judged,
    sandbox_cpu_seconds: m.sandbox_cpu_seconds,
    aspr: m.aspr,
  };
}

function exportPhase(c: PhaseContext): Record<string, unknown> {
  const e = c.cfg.export;
  const formats: Record<string, unknown> = {};
  for (const format of e.formats) {
    const [written] = exportSearchRun(c.searchDir, format, { margin: e.margin, minVisits: e.min_visits, threshold: e.threshold, outDir: c.dir });
    if (written === undefined) throw new Error(`no export written for ${format}`);
    formats[format] = { file: written.file, rows: written.manifest.rows, tasks_with_rows: written.manifest.tasks_with_rows, sha256: written.manifest.sha256 };
  }
  return { data_dir: c.dir, formats };
}

async function trainPhase(c: PhaseContext): Promise<Record<string, unknown>> {
  const t = c.cfg.trainer;
  const log = join(c.dir, "trainer.log");
  const values = { round: String(c.round), data_dir: c.exportDir, checkpoint_in: c.checkpointIn, checkpoint_out: c.checkpointOut, log };
  const command = fillTemplate(t.command, values);
  c.log(`train: ${command}`);
  const outcome = await runLoggedCommand(command, {
    log,
    env: { ...t.env, ...templateEnv(values) },
    ...(t.timeout_s !== undefined ? { timeoutS: t.timeout_s } : {}),
    ...(c.signal !== undefined ? { signal: c.signal } : {}),
  });
  const details = { ...outcome, checkpoint_in: c.checkpointIn, checkpoint_out: c.checkpointOut };
  if (c.signal?.aborted) throw new VerdictError(`the trainer of round ${c.round} was interrupted`);
  const failed = outcome.exit_code !== 0 ? (outcome.timed_out ? `timed out after ${t.timeout_s} s` : `exited with ${outcome.signal ?? `code ${outcome.exit_code}`}`) : !existsSync(c.checkpointOut) ? `exited 0 but wrote no checkpoint at ${c.checkpointOut}` : undefined;
  if (failed !== undefined) throw new PhaseFailure(`the trainer of round ${c.round} ${failed} (${command}); the last lines of ${log}:\n${logTail(log) || "(empty)"}`, details);
  return details;
}

async function servePhase(c: PhaseContext): Promise<Record<string, unknown>> {
  const served = await ensureServed(c.cfg, c.runDir, c.policy, join(c.dir, "server.log"), c.log, c.signal);
  return { mode: c.policy.mode, base_url: c.policy.base_url, model: c.policy.model, checkpoint: c.policy.checkpoint, ...(served.command !== undefined ? { command: served.command } : {}) };
}

async function evaluatePhase(c: PhaseContext): Promise<Record<string, unknown>> {
  const e = c.cfg.evaluate;
  const config: RunConfig = {
    benchmark: c.cfg.benchmark,
    split: e.split,
    ...(e.limit !== undefined ? { limit: e.limit } : {}),
    ...(c.cfg.data !== undefined ? { data: c.cfg.data } : {}),
    out: c.dir,
    models: [policyModel(c)],
    styles: e.styles,
    max_tokens: e.max_tokens,
    prompt: e.prompt,
    pass1: e.pass1,
    aspr: e.aspr,
    sandbox: c.cfg.sandbox,
    ci: e.ci,
  };
  const started = existsSync(join(c.dir, "run.json"));
  const result = await runPipeline({ config, ...(started ? { resume: c.dir } : { outDir: c.dir }), noCache: false, ...pipelineOptions(c) });
  if (result.incomplete.length > 0) throw new VerdictError(`the evaluation of round ${c.round} is incomplete (generation failed for ${result.incomplete.map((i) => i.tasks.length).reduce((a, b) => a + b, 0)} task(s)); what it has is kept in ${c.dir}`);
  const model = result.models[0];
  const styles: Record<string, unknown> = {};
  let sandboxSeconds = 0;
  for (const style of e.styles) {
    const fig = model?.styles[style];
    if (fig === undefined) continue;
    const verdicts = readVerdicts(join(fig.dirs.pass1, RUN_FILES.verdicts)).verdicts;
    const aspr = join(fig.dirs.aspr, RUN_FILES.verdicts);
    // What each sample's processes used, by the container's CPU counter (cached verdicts cost none).
    for (const judged of [verdicts, existsSync(aspr) ? readVerdicts(aspr).verdicts : []]) {
      sandboxSeconds += judged.reduce((sum, v) => sum + (v.cached ? 0 : (v.cpu_s ?? 0)), 0);
    }
    const taskIds = [...new Set(verdicts.map((v) => v.task_id))].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const rates = pass1Rates(taskIds, verdicts);
    const perTask = Object.fromEntries(taskIds.map((id, i) => [id, rates[i] ?? null]));
    styles[style] = { pass1: fig.pass1, aspr: fig.aspr, per_task: perTask, dir: fig.dirs.pass1 };
  }
  return {
    run_dir: c.dir,
    served: { model: c.policy.model, checkpoint: c.policy.checkpoint },
    tasks: result.benchmark.tasks,
    model_calls: result.generation.requests,
    cached_calls: result.generation.cachedRequests,
    samples: result.generation.samples,
    sandbox_cpu_seconds: sandboxSeconds,
    styles,
  };
}

/** A phase that failed in an expected way (a trainer's exit code): its details still go to phase.json. */
export class PhaseFailure extends VerdictError {
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}
