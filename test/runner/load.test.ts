/**
 * Time limits that do not flip verdicts under load. With every core saturated by busy loops on
 * the host, MBPP+ reference solutions still score 399/399, and 100 MBPP samples (references,
 * wrong ones, slow ones, sleepers, endless loops) get the same verdicts as on an idle machine.
 *
 * Slow samples spend half their per-test limit in CPU: on an idle machine that is half the
 * limit in wall time too, under load much more. Only because the limit counts CPU time do
 * they still pass; sleepers pass because the wall-clock backstop is three times the limit.
 *
 * These tests take minutes; VERDICT_SKIP_LOAD_TESTS=1 skips them (they run by default).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { JobLimits } from "../../src/core/job.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { runEval, type EvalResult } from "../../src/pipelines/eval.js";
import { defaultWorkers } from "../../src/sandbox/limits.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { cacheDir } from "../../src/util/paths.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));
const SKIP = process.env.VERDICT_SKIP_LOAD_TESTS === "1";

let stopLoad: (() => void) | undefined;
/** Temporary directories this file made (run directories, verdict caches, samples). */
const temporary: string[] = [];

/** A fresh temporary directory, removed after the file's tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Busy loops on the host, one per core, until the returned function is called. */
function saturate(): () => void {
  const hogs = cpus().map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  return () => {
    for (const hog of hogs) hog.kill("SIGKILL");
  };
}

afterEach(() => {
  stopLoad?.();
  stopLoad = undefined;
});

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/**
 * runEval with nothing taken from the verdict cache (each call gets a cache of its own), while
 * expected values still come from the shared ground-truth cache: they are computed once.
 */
async function evaluate(samples: string, benchmark: string, split: string, limits: JobLimits): Promise<EvalResult> {
  await testImage();
  const shared = cacheDir("ground-truth");
  mkdirSync(shared, { recursive: true });
  const dir = tempDir("verdict-load-");
  const cache = join(dir, "cache");
  mkdirSync(cache);
  symlinkSync(shared, join(cache, "ground-truth"));
  const before = process.env.VERDICT_CACHE_DIR;
  process.env.VERDICT_CACHE_DIR = cache;
  try {
    return await runEval({
      benchmark,
      split,
      samples,
      // The MBPP samples cover 100 of the split's tasks.
      missing: "skip",
      dataDir: DATA,
      isolation: "pool",
      workers: defaultWorkers(),
      k: [1],
      outDir: join(dir, "run"),
      resultsDir: dir,
      noCache: false,
      limits,
      hashSeed: 0,
      progress: false,
    });
  } finally {
    if (before === undefined) delete process.env.VERDICT_CACHE_DIR;
    else process.env.VERDICT_CACHE_DIR = before;
  }
}

type Kind = "reference" | "wrong" | "slow" | "endless" | "sleeper";
/** Per ten samples: four references, two wrong, two slow, one endless loop, one sleeper. */
const KINDS: Kind[] = ["reference", "reference", "reference", "reference", "wrong", "wrong", "slow", "slow", "endless", "sleeper"];
/** The run's per-test limit (a floor: MBPP calibrates 4 x the reference's time above it). */
const LIMIT_S = 1;

/**
 * The reference with its entry function wrapped. Only the outermost call is slowed, so a
 * recursive reference is slowed once per test, not once per level.
 */
function variant(reference: string, fn: string, kind: Kind): string {
  const body: Record<Exclude<Kind, "reference">, string> = {
    wrong: "    r = _inner(*a, **k)\n    return (not r) if isinstance(r, bool) else ('wrong', r)\n",
    slow: `    if _depth[0] == 0:\n        _t = time.process_time()\n        while time.process_time() - _t < ${LIMIT_S / 2}:\n            pass\n    return _call(a, k)\n`,
    endless: "    while True:\n        pass\n",
    sleeper: `    if _depth[0] == 0:\n        time.sleep(${LIMIT_S * 0.4})\n    return _call(a, k)\n`,
  };
  if (kind === "reference") return reference;
  return `${reference}

import time
_inner = ${fn}
_depth = [0]


def _call(a, k):
    _depth[0] += 1
    try:
        return _inner(*a, **k)
    finally:
        _depth[0] -= 1


def ${fn}(*a, **k):
${body[kind]}`;
}

/** The function the task's tests call: the first one the reference defines that they name. */
function entryFunction(reference: string, tests: string[]): string | undefined {
  const defs = [...reference.matchAll(/^def (\w+)\(/gm)].map((m) => m[1]!);
  return defs.find((d) => tests.some((t) => new RegExp(`\\b${d}\\(`).test(t)));
}

/** 100 MBPP test-split samples of every kind, as a samples file; returns its path and the kinds. */
async function writeSamples(): Promise<{ path: string; kinds: Map<string, Kind> }> {
  const spec = await loadBenchmark("mbpp", { split: "test", dataDir: DATA });
  const kinds = new Map<string, Kind>();
  const lines: string[] = [];
  for (const task of spec.tasks) {
    if (lines.length === 100) break;
    const tests = task.tests.map((t) => ("src" in t.input ? t.input.src : ""));
    const fn = entryFunction(task.reference, tests);
    if (fn === undefined) continue;
    const kind = KINDS[lines.length % KINDS.length]!;
    kinds.set(task.taskId, kind);
    lines.push(JSON.stringify({ task_id: task.taskId, solution: variant(task.reference, fn, kind) }));
  }
  const path = join(tempDir("verdict-load-samples-"), "samples.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { path, kinds };
}

/** A verdict without what legitimately differs between runs (timings, cache flags). */
function outcomes(v: SampleVerdict): { task: string; status: string; tests: string[] } {
  return { task: v.task_id, status: v.status, tests: v.tests.map((t) => `${t.id}:${t.outcome}`) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

describe.skipIf(!HAS_DATA || SKIP)("verdicts under load (both cores saturated)", () => {
  it("MBPP+ reference solutions score 399/399 with every core busy", async () => {
    stopLoad = saturate();
    const { summary, verdicts, referenceFailures } = await evaluate("reference", "mbpp-plus", "all", DEFAULT_LIMITS);
    expect(referenceFailures).toEqual([]);
    expect(summary.tasks).toBe(399);
    const failed = verdicts.filter((v) => v.base_status !== "pass" || v.plus_status !== "pass").map(outcomes);
    expect(failed).toEqual([]);
    expect(verdicts.every((v) => !v.cached)).toBe(true);
  }, 1_200_000);

  it("100 MBPP samples get the same verdicts loaded as idle", async () => {
    const { path, kinds } = await writeSamples();
    const limits: JobLimits = { ...DEFAULT_LIMITS, testSeconds: LIMIT_S };
    const idle = await evaluate(path, "mbpp", "test", limits);
    stopLoad = saturate();
    const loaded = await evaluate(path, "mbpp", "test", limits);
    stopLoad();
    stopLoad = undefined;

    expect(idle.verdicts).toHaveLength(100);
    expect(loaded.verdicts.every((v) => !v.cached)).toBe(true);
    // Each kind got the verdict it was built for, on the idle machine ...
    const byKind = (kind: Kind, r: EvalResult) => r.verdicts.filter((v) => kinds.get(v.task_id) === kind);
    for (const kind of ["reference", "slow", "sleeper"] as const) {
      expect(byKind(kind, idle).filter((v) => v.status !== "pass").map(outcomes), kind).toEqual([]);
    }
    expect(byKind("endless", idle).map((v) => v.status)).toEqual(byKind("endless", idle).map(() => "timeout"));
    expect(byKind("wrong", idle).filter((v) => v.status === "pass").map(outcomes)).toEqual([]);
    // ... the load was real: CPU-bound samples took much longer in wall-clock time ...
    const wall = (r: EvalResult) => median(byKind("slow", r).map((v) => v.seconds));
    expect(wall(loaded)).toBeGreaterThan(1.25 * wall(idle));
    // ... and not one verdict changed.
    expect(loaded.verdicts.map(outcomes)).toEqual(idle.verdicts.map(outcomes));
  }, 1_200_000);
});
