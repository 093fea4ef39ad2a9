import { join } from "node:path";
import { InputError } from "../core/errors.js";
import type { JobLimits } from "../core/job.js";
import type { RunManifest } from "../core/run.js";
import type { Sample } from "../core/sample.js";
import { programDigest } from "../judge/program-identity.js";
import type { ResultsStore } from "../runner/results-store.js";
import { RUN_FILES, sampleKey } from "../runner/run-format.js";

/** What a resumed `verdict eval` must share with the run it continues. */
export interface RunIdentity {
  benchmark: string;
  split: string;
  samplesSha256: string | undefined;
  limits: JobLimits;
  hashSeed: number;
  runDir: string;
  /** The benchmark's data files (sha256 by name). */
  dataSha256?: Record<string, string>;
}

/**
 * Throws InputError when a resumed run's settings or inputs differ from those it started with.
 * `via` says how the directory was named: `--resume`, or `--out` naming a directory that already
 * holds a run (refused untouched when it is another run: another samples file, benchmark, limits).
 */
export function assertSameRun(previous: RunManifest, now: RunIdentity, via: "resume" | "out" = "resume"): void {
  const file = join(now.runDir, RUN_FILES.manifest);
  const differ = (what: string, then: unknown, current: unknown): InputError =>
    via === "out"
      ? new InputError(
          `${now.runDir} holds a different run (${previous.status}, ${previous.samples_source}): ${what}: ${JSON.stringify(then)} there, ${JSON.stringify(current)} here; nothing was changed: choose another --out, or delete that directory`,
        )
      : new InputError(`cannot resume: ${what} differs from the interrupted run's (${JSON.stringify(then)} then, ${JSON.stringify(current)} now)`, file);
  // A benchmark file named by another path (relative then, absolute in eval-options.json now) is the same benchmark when its data is.
  const digests = (d: Record<string, string>): string => JSON.stringify(Object.values(d).sort());
  const sameData = now.dataSha256 !== undefined && Object.keys(now.dataSha256).length > 0 && digests(previous.data_sha256) === digests(now.dataSha256);
  if (previous.benchmark !== now.benchmark && !sameData) throw differ("the benchmark", previous.benchmark, now.benchmark);
  if (previous.split !== now.split) throw differ("the split", previous.split, now.split);
  // Runs from before samples were hashed have no sha256; their verdicts' program hashes still are checked.
  if (previous.samples_sha256 !== undefined && previous.samples_sha256 !== now.samplesSha256) {
    throw differ("the samples file (sha256)", previous.samples_sha256 ?? "reference", now.samplesSha256 ?? "reference");
  }
  // What the run derived (from the reference's timings) is not a setting of it.
  const { reference_seconds: _r, test_limits: _t, ...limits } = previous.limits;
  if (JSON.stringify(sortKeys(limits)) !== JSON.stringify(sortKeys(now.limits))) throw differ("the limits", limits, now.limits);
  if (previous.sandbox.hashSeed !== now.hashSeed) throw differ("the hash seed", previous.sandbox.hashSeed, now.hashSeed);
}

/** Throws InputError when the image a resumed run's verdicts were made in is not the one it would continue in. */
export function assertSameImage(previous: RunManifest, imageId: string, runDir: string): void {
  if (previous.sandbox.imageId === imageId) return;
  throw new InputError(
    `the sandbox image changed since this run started (${previous.sandbox.imageId.slice(0, 19)} then, ${imageId.slice(0, 19)} now); its verdicts would mix two images: start a new run`,
    join(runDir, RUN_FILES.manifest),
  );
}

/** Throws InputError when verdicts on disk belong to samples this run does not have (another samples file). */
export function assertVerdictsMatchSamples(store: ResultsStore, samples: readonly Sample[], missing: readonly string[], runDir: string): void {
  if (store.existing.size === 0) return;
  const programs = new Map(samples.map((s) => [sampleKey(s.taskId, s.sampleIndex), s.program]));
  const noSample = new Set(missing);
  for (const [key, v] of store.existing) {
    // `--missing fail` wrote these for tasks the samples file still has no sample of.
    if (v.status === "missing" && noSample.has(v.task_id)) continue;
    const program = programs.get(key);
    if (program === undefined || programDigest(program) !== v.program_sha256) {
      throw new InputError(
        `cannot resume: the verdict for sample ${key} was made for ${program === undefined ? "a sample this run does not have" : "a different program"}`,
        join(runDir, RUN_FILES.verdicts),
      );
    }
  }
}

/** Object with its keys sorted, for a comparison that ignores key order. */
function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
