import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type Docker from "dockerode";
import type { SandboxPlacement } from "../session/session-options.js";
import { InputError, VerdictError } from "../core/errors.js";
import { interruptedError, shellWord } from "../runner/cleanup.js";
import { lockRunDir, writeJsonAtomic } from "../runner/results-store.js";
import { newRunId } from "../runner/run-id.js";
import { PHASE_FILE, phaseDir, phaseRecordSchema, roundPhases, tcgRoundOf, type PhaseName, type PhaseRecord } from "../selfplay/phases.js";
import { buildRoundsReport, type RoundsReport } from "../selfplay/round-report.js";
import { VERSION } from "../version.js";
import { differences } from "./run-record.js";
import { selfplayConfigSchema, type SelfplayConfig } from "./selfplay-config.js";
import { PhaseFailure, runPhase, type PhaseContext } from "./selfplay-phases.js";
import { ensureServed, servedPolicy, stopServer } from "./selfplay-serve.js";

/**
 * `verdict selfplay CONFIG.yaml`: o1-Coder's Algorithm 1 driven round by round (src/selfplay/
 * phases.ts says which phases a round runs). The run directory holds selfplay.json (the config
 * and status), a folder per round and phase with its phase.json, and rounds.json (rewritten
 * after every phase). A phase recorded complete is never redone; a phase that was running when
 * the loop stopped (an interrupt, SIGKILL, a failed trainer or server) resumes as its own
 * command does. The trainer and serve sections may be changed for a resume (to fix what
 * failed); any other change of the config is refused.
 */

/** What runSelfplay needs besides the config. */
export interface SelfplayOptions {
  config: SelfplayConfig;
  resume?: string;
  outDir?: string;
  log?: (line: string) => void;
  docker?: Docker;
  /** Aborting it stops the loop: the running phase stops as its command does, the server is stopped. */
  signal?: AbortSignal;
  /** Where every phase's sandboxes run (`--engines`, `--runtime`, or the config's sandbox section). */
  placement?: SandboxPlacement;
  /** The command that continues the loop, for messages (default `verdict selfplay --resume DIR`). */
  resumeCommand?: (runDir: string) => string;
}

/** The loop's outcome. */
export interface SelfplayResult {
  runDir: string;
  status: "complete";
  report: RoundsReport;
  seconds: number;
}

/** The files at the top of a selfplay run. */
export const SELFPLAY_FILES = { manifest: "selfplay.json", rounds: "rounds.json", checkpoint: "checkpoint" } as const;

/** The command that continues a selfplay run. */
export function selfplayResumeCommand(runDir: string): string {
  return `verdict selfplay --resume ${shellWord(runDir)}`;
}

/** The config a selfplay run was started with (for `--resume` without a config). */
export function storedSelfplayConfig(runDir: string): SelfplayConfig {
  const path = join(runDir, SELFPLAY_FILES.manifest);
  if (!existsSync(path)) throw new InputError(`not a selfplay run (no ${SELFPLAY_FILES.manifest})`, runDir);
  const parsed = selfplayConfigSchema.safeParse((JSON.parse(readFileSync(path, "utf8")) as { config?: unknown }).config);
  if (!parsed.success) throw new InputError(`${SELFPLAY_FILES.manifest} holds no valid config: ${parsed.error.issues[0]?.message ?? ""}`, path);
  return parsed.data;
}

/** The checkpoint round `round` ends with: the config's for round 0, the trainer's output after. */
export function roundCheckpoint(cfg: SelfplayConfig, runDir: string, round: number): string {
  return round === 0 ? cfg.checkpoint : join(runDir, phaseDir(round, "train"), SELFPLAY_FILES.checkpoint);
}

/** Every phase record of a run, in round and phase order. */
export function readPhaseRecords(runDir: string, cfg: SelfplayConfig): PhaseRecord[] {
  const out: PhaseRecord[] = [];
  for (let round = 0; round <= cfg.rounds; round++) {
    for (const phase of roundPhases(round, cfg.tcg)) {
      const r = readRecord(runDir, round, phase);
      if (r !== undefined) out.push(r);
    }
  }
  return out;
}

function readRecord(runDir: string, round: number, phase: PhaseName): PhaseRecord | undefined {
  const path = join(runDir, phaseDir(round, phase), PHASE_FILE);
  if (!existsSync(path)) return undefined;
  const parsed = phaseRecordSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  // A record torn by a kill before its atomic rename cannot exist; an unreadable one reruns its phase.
  return parsed.success ? parsed.data : undefined;
}

/** Runs (or resumes) the loop; see the module comment. */
export async function runSelfplay(opts: SelfplayOptions): Promise<SelfplayResult> {
  const started = Date.now();
  const cfg = opts.config;
  const log = opts.log ?? (() => {});
  const runDir = resolve(opts.resume ?? opts.outDir ?? join(cfg.out, newRunId("selfplay")));
  const manifestPath = join(runDir, SELFPLAY_FILES.manifest);
  let createdAt = new Date().toISOString();
  if (opts.resume !== undefined) {
    const then = storedSelfplayConfig(runDir);
    const changed = differences({ ...then, trainer: null, serve: null }, { ...cfg, trainer: null, serve: null });
    if (changed.length > 0) throw new InputError(`this run was started with another config (${changed.slice(0, 3).join("; ")}); only trainer and serve may change on a resume`, runDir);
    createdAt = (JSON.parse(readFileSync(manifestPath, "utf8")) as { created_at?: string }).created_at ?? createdAt;
  } else if (existsSync(manifestPath)) {
    throw new InputError(`a selfplay run is already here; continue it with ${selfplayResumeCommand(runDir)}`, runDir);
  }
  mkdirSync(runDir, { recursive: true });
  const unlock = lockRunDir(runDir);
  const resume = (opts.resumeCommand ?? selfplayResumeCommand)(runDir);
  const manifest = { kind: "selfplay", run_id: basename(runDir), verdict_version: VERSION, created_at: createdAt, config: cfg };
  const writeStatus = (status: string): void => writeJsonAtomic(manifestPath, { ...manifest, status });
  const writeReport = (): RoundsReport => {
    const report = buildRoundsReport(readPhaseRecords(runDir, cfg), cfg.rounds, (r) => roundPhases(r, cfg.tcg));
    writeJsonAtomic(join(runDir, SELFPLAY_FILES.rounds), report);
    return report;
  };
  writeStatus("running");
  try {
    for (let round = 0; round <= cfg.rounds; round++) {
      for (const phase of roundPhases(round, cfg.tcg)) {
        if (readRecord(runDir, round, phase)?.status === "complete") continue;
        await runRecordedPhase(opts, runDir, round, phase, log);
        writeReport();
      }
    }
    const report = writeReport();
    writeStatus("complete");
    return { runDir, status: "complete", report, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    writeStatus(opts.signal?.aborted ? "interrupted" : "failed");
    writeReport();
    const saved = `every finished phase is kept in ${runDir} (rounds.json, round-N/<phase>/phase.json)`;
    if (opts.signal?.aborted) throw interruptedError(opts.signal, saved, resume);
    if (err instanceof VerdictError) err.message = `${err.message}\n${saved}; continue with: ${resume}`;
    throw err;
  } finally {
    await stopServer(runDir);
    unlock();
  }
}

/** Runs one phase with its record: running before, complete, failed or interrupted after (seconds and attempts add up over resumes). */
async function runRecordedPhase(opts: SelfplayOptions, runDir: string, round: number, phase: PhaseName, log: (line: string) => void): Promise<void> {
  const cfg = opts.config;
  const dir = join(runDir, phaseDir(round, phase));
  mkdirSync(dir, { recursive: true });
  const previous = readRecord(runDir, round, phase);
  const record: PhaseRecord = {
    round,
    phase,
    status: "running",
    dir,
    started_at: previous?.started_at ?? new Date().toISOString(),
    finished_at: null,
    seconds: previous?.seconds ?? 0,
    attempts: (previous?.attempts ?? 0) + 1,
    details: {},
    error: null,
  };
  const write = (r: PhaseRecord): void => writeJsonAtomic(join(dir, PHASE_FILE), r);
  write(record);
  log(`round ${round}: ${phase}${record.attempts > 1 ? ` (resumed, attempt ${record.attempts})` : ""}`);
  // Search talks to the policy the previous round served; serve and evaluate to this round's.
  const policyRound = phase === "search" ? round - 1 : round;
  const policy = servedPolicy(cfg, policyRound, roundCheckpoint(cfg, runDir, policyRound));
  const tcgRound = tcgRoundOf(round, cfg.tcg);
  const ctx: PhaseContext = {
    cfg,
    runDir,
    round,
    dir,
    policy,
    checkpointIn: roundCheckpoint(cfg, runDir, round - 1 < 0 ? 0 : round - 1),
    checkpointOut: roundCheckpoint(cfg, runDir, round),
    tcgDir: tcgRound !== undefined ? join(runDir, phaseDir(tcgRound, "tcg")) : undefined,
    searchDir: join(runDir, phaseDir(round, "search")),
    exportDir: join(runDir, phaseDir(round, "export")),
    log,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.docker !== undefined ? { docker: opts.docker } : {}),
    ...(opts.placement !== undefined ? { placement: opts.placement } : {}),
  };
  const t0 = performance.now();
  const elapsed = (): number => record.seconds + (performance.now() - t0) / 1000;
  try {
    if (phase === "search" || phase === "evaluate") {
      // After a resume the server may be gone (restart) or have forgotten the adapter (lora).
      const serveDir = join(runDir, phaseDir(policyRound, "serve"));
      mkdirSync(serveDir, { recursive: true });
      await ensureServed(cfg, runDir, policy, join(serveDir, "server.log"), log, opts.signal);
    }
    const details = await runPhase(phase, ctx);
    write({ ...record, status: "complete", finished_at: new Date().toISOString(), seconds: elapsed(), details });
  } catch (err) {
    const details = err instanceof PhaseFailure ? err.details : {};
    write({ ...record, status: opts.signal?.aborted ? "interrupted" : "failed", seconds: elapsed(), details, error: (err as Error).message });
    throw err;
  }
}
