/**
 * What gVisor costs, measured on one extra engine that has runc and runsc (the main engine is
 * never reconfigured): the warm pool's trivial jobs/s, and the time to score MBPP's test split
 * with its 500 reference solutions, under each runtime; repeats interleaved, medians printed
 * (README, threat model; docs/gvisor-notes.md). Opt-in, since it takes minutes of both cores:
 *
 *   VERDICT_GVISOR_MEASURE=1 VERDICT_DATA_DIR=... npx vitest run test/sandbox/gvisor-measure.test.ts
 *
 * It asserts only what must hold under both runtimes (every job's value, every reference's pass);
 * the speeds are figures, never timed assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import type { Benchmark } from "../../src/core/task.js";
import { loadSamples } from "../../src/judge/samples.js";
import { figure, jobsPerSecond, trivialJob, type Figure } from "../../src/pipelines/bench-jobs.js";
import { judgeSamples } from "../../src/runner/judge-samples.js";
import { sandboxBackend, type SandboxBackend } from "../../src/sandbox/backends.js";
import { connectEngine, type ConnectedEngine } from "../../src/sandbox/engine-connect.js";
import { parseEngineEntry } from "../../src/sandbox/engine-endpoint.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { copyImage } from "../../src/sandbox/image-transfer.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import type { JudgingSessionOptions, LocalJudgingSession } from "../../src/session/session-options.js";
import { extraEnginesUnavailable, startExtraEngines, type ExtraEngines } from "../helpers/extra-engines.js";
import { testImage } from "../helpers/sandbox-image.js";

const wanted = process.env.VERDICT_GVISOR_MEASURE === "1";
const unavailable = wanted ? extraEnginesUnavailable({ only: ["unix"], runsc: true }) : "set VERDICT_GVISOR_MEASURE=1 to measure";
const RUNTIMES = ["runc", "runsc"] as const;
const WORKERS = 2;
const TRIVIAL_JOBS = Number(process.env.VERDICT_GVISOR_MEASURE_JOBS ?? 300);
const REPEAT = Number(process.env.VERDICT_GVISOR_MEASURE_REPEAT ?? 3);
const NO_TASKS: Benchmark = { name: "trivial", split: "all", dataSha256: {}, groups: [], tasks: [] };

let extra: ExtraEngines;
let engine: ConnectedEngine;

/** The Docker backend on the extra engine, every pool under `runtime`. */
function backendUnder(runtime: string): SandboxBackend {
  const docker = sandboxBackend("docker", { docker: engine.docker });
  return { ...docker, open: (options) => docker.open({ ...options, runtime }) };
}

/** A session under each runtime on the extra engine, none answering from a memo or cache. */
async function sessions(more: Partial<JudgingSessionOptions>): Promise<Record<(typeof RUNTIMES)[number], LocalJudgingSession>> {
  const open = (runtime: string) =>
    openJudgingSession({ resolved: NO_TASKS, workers: WORKERS, hashSeed: 0, memo: false, verdictCache: false, backend: backendUnder(runtime), ...more });
  return { runc: await open("runc"), runsc: await open("runsc") };
}

/** `repeat` runs of `one(runtime)` for each runtime, interleaved so both see the same machine. */
async function interleaved(one: (runtime: (typeof RUNTIMES)[number]) => Promise<number>): Promise<Record<string, Figure>> {
  const runs: Record<string, number[]> = { runc: [], runsc: [] };
  for (let r = 0; r < REPEAT; r++) for (const runtime of RUNTIMES) runs[runtime]!.push(await one(runtime));
  return { runc: figure(runs.runc!), runsc: figure(runs.runsc!) };
}

const report = (what: string, figures: Record<string, Figure>, unit: string): void => {
  const f = (x: Figure) => `${x.median.toFixed(2)} ${unit} (${x.runs.map((v) => v.toFixed(2)).join(", ")})`;
  process.stderr.write(`gVisor measure: ${what}: runc ${f(figures.runc!)}; runsc ${f(figures.runsc!)}; runc/runsc ${(figures.runc!.median / figures.runsc!.median).toFixed(2)}\n`);
};

describe.skipIf(unavailable !== undefined)("what gVisor costs, on one engine with runc and runsc", () => {
  beforeAll(async () => {
    const image = await testImage();
    extra = await startExtraEngines({ only: ["unix"], defaultRuntime: "runsc" });
    engine = await connectEngine(parseEngineEntry(extra.entry("unix"), "runsc engine"));
    await copyImage({ docker: connectDocker(), label: "main engine" }, { docker: engine.docker, label: "runsc engine" }, image.tag);
  });

  afterAll(async () => {
    await extra?.stop();
  });

  it(`warm pool, ${WORKERS} workers: trivial jobs/s`, async () => {
    const open = await sessions({ containerMemoryMb: 1024 });
    try {
      const rate = async (runtime: (typeof RUNTIMES)[number], n = TRIVIAL_JOBS): Promise<number> =>
        jobsPerSecond(n, WORKERS * 2, async (i) => {
          const r = await open[runtime].runJob(trivialJob(i));
          expect(r.tests[0]).toMatchObject({ st: "value", v: i });
        });
      for (const runtime of RUNTIMES) await rate(runtime, WORKERS * 4);
      report("trivial jobs/s", await interleaved((runtime) => rate(runtime)), "jobs/s");
    } finally {
      await Promise.all(Object.values(open).map((s) => s.close()));
    }
  }, 1_800_000);

  it("MBPP test split, 500 reference solutions: seconds to score", async () => {
    const spec = await loadBenchmark("mbpp", { split: "test", challenge: false, ...(process.env.VERDICT_DATA_DIR ? { dataDir: process.env.VERDICT_DATA_DIR } : {}) });
    const { samples } = await loadSamples("reference", spec);
    const open = await sessions({ benchmark: spec, resolved: undefined });
    try {
      const passed: Record<string, number> = {};
      const score = async (runtime: (typeof RUNTIMES)[number]): Promise<number> => {
        const t0 = Date.now();
        const verdicts = await judgeSamples(samples, (s) => open[runtime].judgeSample(s), { concurrency: WORKERS * 2, progress: false });
        passed[runtime] = verdicts.filter((v) => v.status === "pass").length;
        return (Date.now() - t0) / 1000;
      };
      report(`MBPP test split (${samples.length} references)`, await interleaved(score), "s");
      process.stderr.write(`gVisor measure: references passed: runc ${passed.runc}, runsc ${passed.runsc} of ${samples.length}\n`);
      expect(passed.runsc).toBe(passed.runc);
      expect(passed.runc).toBe(samples.length);
    } finally {
      await Promise.all(Object.values(open).map((s) => s.close()));
    }
  }, 3_600_000);
});

if (unavailable !== undefined) it.skip(`what gVisor costs: not measured: ${unavailable}`, () => {});
