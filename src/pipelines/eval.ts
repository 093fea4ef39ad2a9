import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, resolve } from "node:path";
import { InputError, VerdictError } from "../core/errors.js";
import type { RunManifest, RunSummary } from "../core/run.js";
import type { EngineStats, EngineSummary } from "../core/sandbox.js";
import type { BenchmarkSpec, Task } from "../core/task.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { summarize } from "../metrics/summary.js";
import { interruptedError, runSessionCleanup, shellWord } from "../runner/cleanup.js";
import { describeReferenceFailure, failuresByTask } from "../runner/reference-failures.js";
import { judgeSamples } from "../runner/judge-samples.js";
import { engineRates } from "../runner/progress.js";
import { openResultsStore, readManifest, writeJsonAtomic, type ResultsStore } from "../runner/results-store.js";
import { newRunId } from "../runner/run-id.js";
import { RUN_FILES, sampleKey } from "../runner/run-format.js";
import { checkSamplesCover, missingVerdict, setAsideUnscorable } from "../runner/task-coverage.js";
import { testLimitsDigest } from "../session/job-builder.js";
import { openJudgingSession } from "../session/judging-session.js";
import type { JudgingSessionOptions, LocalJudgingSession } from "../session/session-options.js";
import { VERSION } from "../version.js";
import { storedOptions, type EvalOptions } from "./eval-options.js";
import { assertSameImage, assertSameRun, assertVerdictsMatchSamples } from "./eval-resume.js";
import { loadRunSamples } from "./samples-split.js";
import { loadTestsSource, parseTestsSource, testsManifest, testsOf } from "./tests-source.js";

/** The outcome of `verdict eval`. */
export interface EvalResult {
  summary: RunSummary;
  runDir: string;
  verdicts: SampleVerdict[];
  /** Tests left out because the reference solution itself failed them (should be empty). */
  referenceFailures: string[];
  /** The tasks as judged (expectations resolved). */
  tasks: Task[];
}

/**
 * Score samples against a benchmark in the sandbox and write the run directory. An interrupt
 * (opts.signal) removes the run's containers at once, keeps every verdict written, marks the
 * manifest `interrupted` and says how to resume.
 */
export async function runEval(opts: EvalOptions): Promise<EvalResult> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const { signal } = opts;
  // The input is checked first: a samples file that cannot give a complete figure fails before any container starts.
  const spec = await loadBenchmark(opts.benchmark, { split: opts.split, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), challenge: opts.challenge ?? false });
  const loaded = await loadRunSamples(opts.samples, spec, opts);
  const policy = opts.missing ?? "error";
  checkSamplesCover(loaded, spec.tasks.length, policy, opts.k);
  const { samples } = loaded;
  const testsSource = parseTestsSource(opts.tests ?? "benchmark");

  const runDir = resolve(opts.resume ?? opts.outDir ?? join(opts.resultsDir, newRunId(spec.name)));
  // `--out` naming a run directory continues that run when it is this one, and is refused, untouched, when it is another.
  const previous = opts.resume !== undefined || opts.outDir !== undefined ? readManifest(runDir) : undefined;
  if (opts.resume !== undefined && previous === undefined) throw new InputError(`not a run directory: ${runDir} has no ${RUN_FILES.manifest}; nothing to resume`);
  if (previous !== undefined) {
    const identity = { benchmark: spec.name, split: spec.split, samplesSha256: loaded.sha256, limits: opts.limits, hashSeed: opts.hashSeed, runDir, dataSha256: spec.dataSha256 };
    assertSameRun(previous, identity, opts.resume !== undefined ? "resume" : "out");
  }

  let store: ResultsStore | undefined;
  let manifest: RunManifest | undefined;
  let session: LocalJudgingSession | undefined;
  try {
    // Locked first: the containers the session prunes next must belong to no live process.
    if (previous !== undefined) store = openStore(runDir, log);
    session = await openJudgingSession(sessionOptions(opts, spec, runDir, previous !== undefined, log));
    const { benchmark, groundTruth } = session;
    // Generated tests (--tests tcg:RUN_DIR) replace or join each task's; a task left with none is unscorable.
    const sourced = await loadTestsSource(testsSource, benchmark.tasks);
    const unscorable = [...groundTruth.unscorable, ...sourced.withoutTests];
    const scorable = setAsideUnscorable(samples, unscorable, groundTruth.failures, policy);
    if (unscorable.length > 0) log(`warning: ${unscorable.length} task(s) have no test left and are left out of the figures: ${unscorable.join(", ")}`);
    store ??= openStore(runDir, log);
    assertVerdictsMatchSamples(store, samples, loaded.missing, runDir);
    if (previous !== undefined) log(`resume: ${store.existing.size} of ${samples.length} samples already judged in ${runDir}`);
    if (previous !== undefined) assertSameImage(previous, session.sandbox.imageId, runDir);
    manifest = { ...runManifest(opts, spec, loaded.sha256, session, runDir, previous), ...testsManifest(sourced) };
    writeJsonAtomic(join(runDir, RUN_FILES.evalOptions), storedOptions(opts));
    store.writeManifest(manifest);
    await session.warm();
    // Longest first (by the best estimate: the reference's time, corrected by the task's samples
    // judged so far): one slow task started last would be the whole run's critical path.
    const ordered = session.costs.order(scorable);
    const judging = session;
    const judgingStarted = Date.now();
    const verdicts = await judgeSamples(ordered, (s) => judging.judgeSample(s, testsOf(sourced, s.taskId)), {
      // Twice the pool's workers: over several engines, the sum of theirs.
      concurrency: session.sandbox.workers * 2,
      store,
      progress: opts.progress,
      progressDetail: () => engineRates(judging.engineStats(), (Date.now() - judgingStarted) / 1000),
      total: scorable.length,
      ...(signal !== undefined ? { signal } : {}),
    });
    if (policy === "fail") verdicts.push(...missingVerdicts(store, loaded.missing, benchmark.groups));
    const split = session.splitStats();
    if (split.cuts > 0) log(`tail splitting: ${split.cuts} cut(s) ran tests of a long sample on an idle worker; ${split.wholeAgain} sample(s) ran again whole`);
    const summary = summarize({
      // A resume keeps the name the run started with (a benchmark file may be named by another path now).
      benchmark: previous?.benchmark ?? spec.name,
      split: spec.split,
      verdicts,
      ks: opts.k,
      groups: benchmark.groups,
      seconds: (Date.now() - started) / 1000,
      taskIds: spec.tasks.map((t) => t.taskId),
      missingPolicy: policy,
      unscorable,
      referenceFailures: failuresByTask(groundTruth.failures),
      expectedValuesCached: groundTruth.cached,
    });
    const engines = engineSummaries(session.engineStats(), (Date.now() - judgingStarted) / 1000);
    if (engines !== undefined) summary.engines = engines;
    store.writeSummary(summary);
    store.writeManifest({ ...manifest, ...(engines !== undefined ? { sandbox: { ...manifest.sandbox, engines } } : {}), status: "complete" });
    return { summary, runDir, verdicts, referenceFailures: manifest.reference_failures ?? [], tasks: benchmark.tasks };
  } catch (err) {
    throw stoppedRun(err, { store, manifest, runDir, total: samples.length, signal, log });
  } finally {
    await session?.close();
    try {
      store?.close();
    } catch (e) {
      // Never hides the error that ended the run; a resume re-reads what reached the disk.
      log(`warning: closing ${RUN_FILES.verdicts}: ${(e as Error).message}`);
    }
  }
}

/** The judging session of a run: its containers labelled by the run directory, so a resume finds what a killed process left. */
function sessionOptions(opts: EvalOptions, spec: BenchmarkSpec, runDir: string, resuming: boolean, log: (line: string) => void): JudgingSessionOptions {
  return {
    benchmark: spec,
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    isolation: opts.isolation,
    workers: opts.workers,
    limits: opts.limits,
    hashSeed: opts.hashSeed,
    // The killed process that last wrote this run may have left containers behind.
    ...runSessionCleanup(runDir, resuming),
    groundTruthCache: !opts.noCache,
    progress: opts.progress,
    verdictCache: !opts.noCache && opts.noVerdictCache !== true,
    log,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.engineWaitSeconds !== undefined ? { engineWaitSeconds: opts.engineWaitSeconds } : {}),
    ...(opts.tailSplit !== undefined ? { split: opts.tailSplit } : {}),
    ...opts.placement,
  };
}

/** Each engine's part of a run over several engines, with its rate over the judging's wall time. */
function engineSummaries(stats: EngineStats[] | undefined, seconds: number): EngineSummary[] | undefined {
  return stats?.map((e) => ({ ...e, jobs_per_second: e.jobs / Math.max(0.001, seconds) }));
}

/** The manifest of a run as it starts: what was judged, how, and with which sandbox. */
function runManifest(opts: EvalOptions, spec: BenchmarkSpec, samplesSha256: string | undefined, session: LocalJudgingSession, runDir: string, previous: RunManifest | undefined): RunManifest {
  const { groundTruth } = session;
  return {
    run_id: basename(runDir),
    verdict_version: VERSION,
    // A resumed run keeps when it started and the name its benchmark had then.
    created_at: previous?.created_at ?? new Date().toISOString(),
    benchmark: previous?.benchmark ?? spec.name,
    split: spec.split,
    data_sha256: spec.dataSha256,
    samples_source: opts.samples,
    ...(samplesSha256 !== undefined ? { samples_sha256: samplesSha256 } : {}),
    sandbox: session.sandbox,
    limits: { ...opts.limits, reference_seconds: groundTruth.refSeconds, test_limits: testLimitsDigest(session.benchmark.tasks, session.limits) },
    reference_failures: groundTruth.failures.map(describeReferenceFailure),
    missing_policy: opts.missing ?? "error",
    k: opts.k,
    status: "running",
    node: process.version,
    host: { cpus: cpus().length, platform: process.platform },
  };
}

/** Under `--missing fail`, each task without a sample is one failure; a resume finds those it already wrote. */
function missingVerdicts(store: ResultsStore, missing: readonly string[], groups: string[]): SampleVerdict[] {
  return missing.map((taskId) => {
    let v = store.existing.get(sampleKey(taskId, 0));
    if (v === undefined) store.append((v = missingVerdict(taskId, groups)));
    return v;
  });
}

/** Opens the run's results store, saying so when a torn last line had to be cut off. */
function openStore(runDir: string, log: (line: string) => void): ResultsStore {
  const store = openResultsStore(runDir);
  if (store.repairedBytes > 0) {
    log(`resume: cut off a torn last line of ${RUN_FILES.verdicts} (${store.repairedBytes} bytes); its sample is judged again`);
  }
  return store;
}

/** What a stopped run reports: the manifest marked interrupted, and how to resume what is saved. */
function stoppedRun(
  err: unknown,
  run: { store: ResultsStore | undefined; manifest: RunManifest | undefined; runDir: string; total: number; signal: AbortSignal | undefined; log: (line: string) => void },
): unknown {
  const { store, manifest, runDir } = run;
  if (store !== undefined && manifest !== undefined) {
    try {
      store.writeManifest({ ...manifest, status: "interrupted" });
    } catch (e) {
      // A full disk may refuse this too; the manifest then says `running`, which resumes the same way.
      run.log(`warning: could not mark ${RUN_FILES.manifest} interrupted: ${(e as Error).message}`);
    }
  }
  const resumable = store !== undefined && existsSync(join(runDir, RUN_FILES.manifest));
  const saved = resumable ? `${store?.count ?? 0} of ${run.total} samples are judged and saved in ${runDir}` : "";
  const resume = `verdict eval --resume ${shellWord(runDir)}`;
  if (run.signal?.aborted) return interruptedError(run.signal, saved, saved ? resume : "");
  if (err instanceof VerdictError && saved) err.message = `${err.message}\n${saved}; continue with: ${resume}`;
  return err;
}

