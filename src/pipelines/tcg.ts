import { cpus } from "node:os";
import { basename, join, resolve } from "node:path";
import type Docker from "dockerode";
import pLimit from "p-limit";
import { InputError, VerdictError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { BenchmarkSpec, Task } from "../core/task.js";
import type { Provider } from "../models/provider.js";
import { interruptedError, runSessionCleanup } from "../runner/cleanup.js";
import { describeReferenceFailure } from "../runner/reference-failures.js";
import { createProgress } from "../runner/progress.js";
import { newRunId } from "../runner/run-id.js";
import { RUN_FILES } from "../runner/run-format.js";
import { DEFAULT_LIMITS, defaultWorkers } from "../sandbox/limits.js";
import { openJudgingSession } from "../session/judging-session.js";
import { underSignal } from "../session/session-pools.js";
import type { LocalJudgingSession, SandboxPlacement } from "../session/session-options.js";
import { tcgTarget } from "../tcg/generated-tests.js";
import { VERSION } from "../version.js";
import { promptTaskFromSpec } from "./generate.js";
import { configSplit } from "./run-config.js";
import { loadConfiguredBenchmark, providerFor } from "./run-providers.js";
import type { TcgConfig } from "./tcg-config.js";
import { measureQuality, type QualityInputs } from "./tcg-measure.js";
import { readRunPrograms } from "./tcg-quality.js";
import { openTcgRunDir, unitKey, requestKey, type TcgIdentity, type TcgRunDir } from "./tcg-run-dir.js";
import type { TcgSummary } from "./tcg-summary.js";
import { rowsOf, runUnit, type UnitTask, type UnitsReport } from "./tcg-units.js";

/**
 * `verdict tcg`: o1-Coder's Test Case Generator, measured. For every (model, task) unit the
 * model is asked N times for K cases (src/pipelines/tcg-units.ts), the cases are read without
 * running anything and validated by the reference in the sandbox (src/tcg/), and written to
 * tests.jsonl; then the valid tests are measured (validity, all-valid, TPR, kill rate:
 * src/pipelines/tcg-measure.ts) and exported as TRL SFT/DPO data. Everything judges through one
 * judging session. An interrupt removes the containers, marks the manifest interrupted and
 * says how to resume; a resume (after an interrupt or a SIGKILL) asks no request and validates
 * no unit twice (src/pipelines/tcg-run-dir.ts).
 */

/** Everything `verdict tcg` needs besides the config. */
export interface TcgOptions {
  config: TcgConfig;
  /** Where the sandboxes run (`--engines`, `--runtime`, the config's sandbox section); default: the one engine. */
  placement?: SandboxPlacement;
  resume?: string;
  outDir?: string;
  /** Extra run directories of known-correct (TPR) and wrong (kill rate) samples, beyond the config's. */
  correct?: string[];
  wrong?: string[];
  /** No response, verdict or expected-value cache. */
  noCache: boolean;
  noVerdictCache?: boolean;
  responseCacheDir?: string;
  /** Draw a progress bar on stderr. */
  progress?: boolean;
  /** The command that continues this run, for the interrupt message (default: `verdict tcg CONFIG --resume DIR`). */
  resumeCommand?: (runDir: string) => string;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it stops the run: containers removed, what is validated kept, manifest `interrupted`. */
  signal?: AbortSignal;
}

/** What `verdict tcg` prints (and `--json` prints whole). */
export interface TcgResult {
  runDir: string;
  summary: RunSummary & { tcg: TcgSummary };
}

/** Runs `verdict tcg` (see the module comment). */
export async function runTcg(opts: TcgOptions): Promise<TcgResult> {
  const started = Date.now();
  const cfg = opts.config;
  const log = opts.log ?? (() => {});
  // Every input is checked before a container starts.
  const spec = await loadConfiguredBenchmark(cfg);
  if (spec.tasks.length === 0) throw new InputError(`benchmark ${spec.name} split ${spec.split} has no tasks`);
  const taskIds = new Set(spec.tasks.map((t) => t.taskId));
  const runs = [
    ...[...cfg.quality.correct, ...(opts.correct ?? [])].map((d) => readRunPrograms(resolve(d), "correct", taskIds)),
    ...[...cfg.quality.wrong, ...(opts.wrong ?? [])].map((d) => readRunPrograms(resolve(d), "wrong_sample", taskIds)),
  ];
  const prompts = new Map(spec.tasks.map((t) => [t.taskId, promptTaskFromSpec(t)]));
  for (const t of spec.tasks) if (!t.reference) throw new InputError(`task ${t.taskId} has no reference solution, which the TCG prompt shows and validation runs`);
  const providers = new Map(cfg.models.map((m) => [m.name, providerFor(m, { enabled: !opts.noCache, ...(opts.responseCacheDir !== undefined ? { dir: opts.responseCacheDir } : {}) })]));
  const runDir = resolve(opts.resume ?? opts.outDir ?? join(cfg.out, newRunId(`tcg-${spec.name}`)));
  const identity: TcgIdentity = {
    benchmark: spec.name,
    split: spec.split,
    task_ids: [...taskIds],
    settings: cfg.tcg,
    models: cfg.models.map((m) => ({ name: m.name, model: m.model, api: m.api })),
  };
  const dir = await openTcgRunDir(runDir, opts.resume !== undefined, identity, (requests, model, taskId) =>
    rowsOf(Array.from({ length: cfg.tcg.requests }, (_, r) => requests.get(requestKey(model, taskId, r))?.text ?? ""), cfg.tcg),
  );
  const resumeCommand = opts.resumeCommand ?? ((d: string) => `verdict tcg CONFIG --resume ${d}`);
  let manifest: RunManifest | undefined;
  let session: LocalJudgingSession | undefined;
  const state = { validated: dir.validated.size, total: cfg.models.length * spec.tasks.length };
  try {
    session = await openJudgingSession(sessionOptions(opts, spec, runDir, log));
    manifest = tcgManifest(spec, session, runDir, identity, cfg, dir.previous?.created_at);
    dir.writeJson(RUN_FILES.manifest, manifest);
    const units = await runUnits({ cfg, opts, dir, session, spec, prompts, providers, state, log });
    const inputs: QualityInputs = { cfg, session, dir, spec, prompts, providers, runs: runs.map((r) => r.programs).flat(), runCounts: runs.map((r) => r.count), log };
    const summary = await measureQuality(inputs, units, (Date.now() - started) / 1000, opts.signal);
    dir.writeJson(RUN_FILES.manifest, { ...manifest, status: summary.tcg.complete ? "complete" : "interrupted" });
    return { runDir, summary };
  } catch (err) {
    throw stopped(err, { dir, manifest, state, signal: opts.signal, log, resume: resumeCommand(runDir) });
  } finally {
    await session?.close();
    dir.close();
  }
}

interface UnitsInput {
  cfg: TcgConfig;
  opts: TcgOptions;
  dir: TcgRunDir;
  session: LocalJudgingSession;
  spec: BenchmarkSpec;
  prompts: Map<string, ReturnType<typeof promptTaskFromSpec>>;
  providers: Map<string, Provider>;
  state: { validated: number; total: number };
  log: (line: string) => void;
}

/** Every (model, task) unit not validated yet, side by side: requests go out while earlier units are judged. */
async function runUnits(u: UnitsInput): Promise<UnitsReport> {
  const { cfg, dir, session, opts } = u;
  const tasks = new Map(session.benchmark.tasks.map((t) => [t.taskId, t]));
  const report: UnitsReport = { fromDisk: dir.validated.size, validatedNow: 0, requests: new Map(), incomplete: [] };
  if (report.fromDisk > 0) u.log(`resume: ${report.fromDisk} of ${u.state.total} (model, task) units already validated in ${dir.dir}`);
  const progress = createProgress(u.state.total, "tcg", opts.progress === true);
  progress.tick(u.state.validated);
  // Enough units in flight to keep both the model servers and the sandbox busy.
  const limit = pLimit(Math.max(8, session.sandbox.workers * 4, ...cfg.models.map((m) => m.concurrency)));
  const work: Promise<void>[] = [];
  for (const model of cfg.models) {
    const counts = { answered: 0, cached: 0, failed: 0 };
    report.requests.set(model.name, counts);
    for (const spec of u.spec.tasks) {
      if (dir.validated.has(unitKey(model.name, spec.taskId))) continue;
      const task = tasks.get(spec.taskId) as Task;
      const unit: UnitTask = { task, prompt: u.prompts.get(spec.taskId) as UnitTask["prompt"], target: tcgTarget(task), calibration: spec.timeCalibration };
      const ctx = { dir, session, settings: cfg.tcg, model, provider: u.providers.get(model.name) as Provider, ...(opts.signal !== undefined ? { signal: opts.signal } : {}) };
      work.push(
        limit(async () => {
          opts.signal?.throwIfAborted();
          const outcome = await runUnit(ctx, unit);
          counts.answered += outcome.answered;
          counts.cached += outcome.cached;
          if (outcome.kind === "failed") {
            counts.failed += outcome.errors.length;
            report.incomplete.push({ model: model.name, task_id: spec.taskId, error: outcome.errors.join("; ") });
            return;
          }
          report.validatedNow++;
          u.state.validated++;
          progress.tick(u.state.validated);
        }),
      );
    }
  }
  try {
    // Settled, not raced, unless interrupted: a fault in one unit must not leave others writing after the directory closes.
    const settled = await underSignal(Promise.allSettled(work), opts.signal);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
  } finally {
    limit.clearQueue();
    progress.end();
  }
  for (const f of report.incomplete) u.log(`warning: ${f.model}: task ${f.task_id}: ${f.error} (resume the run to ask again)`);
  return report;
}

/** The judging session of a TCG run: its containers labelled by the run directory, orphans of a killed run removed on resume. */
function sessionOptions(opts: TcgOptions, spec: BenchmarkSpec, runDir: string, log: (line: string) => void): Parameters<typeof openJudgingSession>[0] {
  const s = opts.config.sandbox;
  // No per-sample budget: a validation runs every case of a unit in one job, each with its own limit.
  const limits: JobLimits = { ...DEFAULT_LIMITS, testSeconds: s.timeout_s, memoryMb: s.memory_mb };
  return {
    benchmark: spec,
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    isolation: s.isolation,
    workers: s.workers ?? defaultWorkers(),
    ...opts.placement,
    limits,
    hashSeed: s.hash_seed,
    ...runSessionCleanup(runDir, opts.resume !== undefined),
    groundTruthCache: !opts.noCache,
    verdictCache: !opts.noCache && opts.noVerdictCache !== true,
    log,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  };
}

/** The manifest of a TCG run: a run manifest (the reference judged on the generated tests) plus what the run fixes. */
function tcgManifest(spec: BenchmarkSpec, session: LocalJudgingSession, runDir: string, identity: TcgIdentity, cfg: TcgConfig, createdAt: string | undefined): RunManifest {
  const { groundTruth } = session;
  return {
    run_id: basename(runDir),
    verdict_version: VERSION,
    created_at: createdAt ?? new Date().toISOString(),
    benchmark: spec.name,
    split: spec.split,
    data_sha256: spec.dataSha256,
    samples_source: "reference, on the generated tests (sample i: models[i]'s)",
    sandbox: session.sandbox,
    limits: { ...session.limits, reference_seconds: groundTruth.refSeconds },
    reference_failures: groundTruth.failures.map(describeReferenceFailure),
    k: [1],
    status: "running",
    node: process.version,
    host: { cpus: cpus().length, platform: process.platform },
    // Loose fields of the manifest schema: what a resume must match, and the config without secrets (keys live in env vars).
    ...({ kind: "tcg", tcg: { identity, split: configSplit(cfg), limit: cfg.limit ?? null, config: { tcg: cfg.tcg, quality: cfg.quality, export: cfg.export } } } as object),
  };
}

/** What a stopped run reports: the manifest marked interrupted, what is saved, and the command that continues it. */
function stopped(
  err: unknown,
  run: { dir: TcgRunDir; manifest: RunManifest | undefined; state: { validated: number; total: number }; signal: AbortSignal | undefined; log: (line: string) => void; resume: string },
): unknown {
  if (run.manifest !== undefined) {
    try {
      run.dir.writeJson(RUN_FILES.manifest, { ...run.manifest, status: "interrupted" });
    } catch (e) {
      run.log(`warning: could not mark ${RUN_FILES.manifest} interrupted: ${(e as Error).message}`);
    }
  }
  const saved = `${run.state.validated} of ${run.state.total} (model, task) units are validated and saved in ${run.dir.dir}, with every answered request`;
  if (run.signal?.aborted) return interruptedError(run.signal, saved, run.resume);
  if (err instanceof VerdictError) err.message = `${err.message}\n${saved}; continue with: ${run.resume}`;
  return err;
}

