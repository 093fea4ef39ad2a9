import type Docker from "dockerode";
import type { Sample } from "../core/sample.js";
import type { SampleVerdict } from "../core/sample-verdict.js";
import { loadBenchmark } from "../benchmarks/registry.js";
import { createOpenAICompatibleProvider } from "../models/openai-compatible.js";
import type { Provider } from "../models/provider.js";
import { buildVanillaPrompt } from "../prompts/vanilla.js";
import { judgeSamples } from "../runner/judge-samples.js";
import type { GenerationRecord } from "../runner/run-format.js";
import { openJudgingSession } from "../session/judging-session.js";
import { startScriptedCompletionsServer, type ScriptedCompletionsServer } from "./bench-completions-server.js";
import { promptTaskFromSpec, startGeneration, type GenerateOptions } from "./generate.js";

/**
 * The generation benchmark: how fast the harness drives a model server, and what generation
 * costs on top of scoring. The server is a local OpenAI-compatible one that answers at once
 * (or after a set delay standing in for a model), with each MBPP task's reference solution.
 */

/** What to measure. */
export interface GenerationBenchOptions {
  /** Sandboxes at once. */
  workers: number;
  /** Requests for the client throughput figure (default 2000). */
  requests?: number;
  /** Requests in flight at once, for the client and for generation (default 8). */
  concurrency?: number;
  /** MBPP test-split tasks the pipeline figures use, one sample each (default 200). */
  tasks?: number;
  /** Model time per request for the overlap figure; default: chosen so generation alone takes as long as scoring alone. */
  modelLatencyMs?: number;
  /** Times each timed pipeline measurement is repeated; medians are reported (default 3). */
  repeat?: number;
  dataDir?: string;
  docker?: Docker;
  log?: (line: string) => void;
}

/** The figures (also `verdict bench --json`'s `generation` part). */
export interface GenerationBenchReport {
  client: { requests: number; concurrency: number; seconds: number; requests_per_second: number };
  /** Generation alone against the instant server: the harness's own cost per sample. */
  generation: { samples: number; seconds: number; samples_per_second: number; ms_per_sample: number };
  pipeline: {
    samples: number;
    workers: number;
    /** Repeats behind each timed figure (medians). */
    repeat: number;
    /** Scoring the samples from a list (the sandbox's own time, with judging). */
    eval_seconds: number;
    /** Sum of the in-sandbox time of every sample (runner wall clock). */
    sandbox_seconds: number;
    /** Generate and score in one go against the instant server. */
    run_instant_seconds: number;
    /** (run against the instant server − scoring alone) / samples: what generation in the loop adds per sample. */
    added_ms_per_sample: number;
    /** Container time per sample not spent running the sample: (run × workers − sandbox time) / samples. */
    host_ms_per_sample: number;
    model_latency_ms: number;
    /** With that model latency: generation alone, scoring alone plus it, and both in one go. */
    generate_seconds: number;
    sequential_seconds: number;
    run_seconds: number;
    /** run / sequential: 1 means no overlap; 0.5 is perfect overlap of two equal halves. */
    overlap_ratio: number;
    passed: number;
  };
  targets: { added_ms_per_sample: { limit: number; met: boolean }; overlap_ratio: { limit: number; met: boolean } };
}

/** The harness may add this much per sample beyond scoring (the target). */
export const ADDED_MS_TARGET = 5;
/** run / (generate + eval) must be at most this for "well under". */
export const OVERLAP_TARGET = 0.8;

/** An OpenAI-compatible completions server that answers from a table (each prompt's n choices the same text), after a settable latency. */
function startInstantServer(answers: Map<string, string>): Promise<ScriptedCompletionsServer> {
  return startScriptedCompletionsServer((body) => Array.from({ length: body.n ?? 1 }, () => answers.get(body.prompt ?? "") ?? "pass\n"));
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Times `first` and `second` `repeat` times each, alternated, so load drifting between them
 * cannot decide the comparison; keeps what `first` returned.
 */
async function alternate<T>(repeat: number, first: () => Promise<T>, second: () => Promise<unknown>, log: (line: string) => void, what: string): Promise<{ first: number[]; second: number[]; verdicts: T[] }> {
  log(`generation bench: ${what}`);
  const out = { first: [] as number[], second: [] as number[], verdicts: [] as T[] };
  for (let i = 0; i < repeat; i++) {
    let t0 = performance.now();
    out.verdicts.push(await first());
    out.first.push(seconds(t0));
    t0 = performance.now();
    await second();
    out.second.push(seconds(t0));
  }
  return out;
}

/** Seconds `requests` requests for one prompt take, all sent at once (the provider bounds how many are in flight). */
async function timeRequests(provider: Provider, prompt: string, requests: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: requests }, () => provider.complete({ prompt, n: 1, temperature: 0, top_p: 1, max_tokens: 16 })));
  return seconds(t0);
}

/** What the measures found, before the figures are derived. */
interface Measured {
  client: { requests: number; concurrency: number; seconds: number };
  instant: { samples: number; seconds: number };
  workers: number;
  repeat: number;
  evalSeconds: number;
  sandboxSeconds: number;
  runInstant: number;
  latency: number;
  generateSeconds: number;
  runSeconds: number;
  passed: number;
}

/** The report's figures and targets from what was measured. */
function reportOf(m: Measured): GenerationBenchReport {
  const samples = m.instant.samples;
  const sequential = m.generateSeconds + m.evalSeconds;
  const added = ((m.runInstant - m.evalSeconds) * 1000) / Math.max(1, samples);
  const ratio = m.runSeconds / sequential;
  return {
    client: { ...m.client, requests_per_second: m.client.requests / m.client.seconds },
    generation: { samples, seconds: m.instant.seconds, samples_per_second: samples / m.instant.seconds, ms_per_sample: (m.instant.seconds * 1000) / Math.max(1, samples) },
    pipeline: {
      samples,
      workers: m.workers,
      repeat: m.repeat,
      eval_seconds: m.evalSeconds,
      sandbox_seconds: m.sandboxSeconds,
      run_instant_seconds: m.runInstant,
      added_ms_per_sample: added,
      host_ms_per_sample: ((m.runInstant * m.workers - m.sandboxSeconds) * 1000) / Math.max(1, samples),
      model_latency_ms: m.latency,
      generate_seconds: m.generateSeconds,
      sequential_seconds: sequential,
      run_seconds: m.runSeconds,
      overlap_ratio: ratio,
      passed: m.passed,
    },
    targets: {
      added_ms_per_sample: { limit: ADDED_MS_TARGET, met: added < ADDED_MS_TARGET },
      overlap_ratio: { limit: OVERLAP_TARGET, met: ratio <= OVERLAP_TARGET },
    },
  };
}

/** Runs the generation benchmark (needs Docker and MBPP data) and returns its figures. */
export async function runGenerationBench(opts: GenerationBenchOptions): Promise<GenerationBenchReport> {
  const log = opts.log ?? (() => {});
  const concurrency = opts.concurrency ?? 8;
  const requests = opts.requests ?? 2000;
  const spec = await loadBenchmark("mbpp", { split: "test", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
  spec.tasks = spec.tasks.slice(0, opts.tasks ?? 200);
  const promptTasks = spec.tasks.map(promptTaskFromSpec);
  const answers = new Map(promptTasks.map((t) => [buildVanillaPrompt(t, { tests: "all" }).prompt, `${t.code ?? ""}\n`]));
  const server = await startInstantServer(answers);
  const provider = createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "bench", api: "completions", concurrency, retries: 0 });
  try {
    log(`generation bench: ${requests} requests against an instant server`);
    const clientSeconds = await timeRequests(provider, [...answers.keys()][0] ?? "x", requests);

    const generate = (): GenerateOptions => ({
      tasks: promptTasks,
      style: "vanilla",
      api: "completions",
      plan: { purpose: "pass1", n: 1 },
      sampling: { temperature: 0, top_p: 1, max_tokens: 512, seed: 0 },
      prompt: { shots: [], tests: "all", maxSteps: 5 },
      provider,
      concurrency,
    });
    const toSample = (r: GenerationRecord): Sample => ({ taskId: r.task_id, sampleIndex: r.sample_index, program: r.solution });
    const generateAll = async (): Promise<{ records: GenerationRecord[]; seconds: number }> => {
      const start = performance.now();
      const generation = startGeneration(generate());
      const records: GenerationRecord[] = [];
      for await (const r of generation.samples) records.push(r);
      await generation.done;
      return { records, seconds: seconds(start) };
    };
    const instant = await generateAll();

    // No memo and no verdict cache: every measurement runs every sample in the sandbox.
    const session = await openJudgingSession({ benchmark: spec, workers: opts.workers, hashSeed: 0, memo: false, verdictCache: false, log, ...(opts.docker !== undefined ? { docker: opts.docker } : {}) });
    try {
      const judge = (samples: Iterable<Sample> | AsyncIterable<Sample>): Promise<SampleVerdict[]> =>
        judgeSamples(samples, (s) => session.judgeSample(s), { concurrency: opts.workers * 2, progress: false });
      async function* stream(): AsyncGenerator<Sample> {
        const generation = startGeneration(generate());
        for await (const r of generation.samples) yield toSample(r);
        await generation.done;
      }
      // A first pass warms the containers and the judge's code paths.
      await judge(instant.records.slice(0, Math.min(20, instant.records.length)).map(toSample));

      const repeat = Math.max(1, opts.repeat ?? 3);
      const instantRuns = await alternate(repeat, () => judge(instant.records.map(toSample)), () => judge(stream()), log, `scoring ${instant.records.length} samples from a list, then generating and scoring in one go`);
      const evalSeconds = median(instantRuns.first);
      const sandboxSeconds = median(instantRuns.verdicts.map((vs) => vs.reduce((s, v) => s + v.seconds, 0)));
      const runInstant = median(instantRuns.second);
      const verdicts = instantRuns.verdicts[instantRuns.verdicts.length - 1] ?? [];

      const latency = opts.modelLatencyMs ?? Math.max(1, Math.round((evalSeconds * 1000 * concurrency) / Math.max(1, instant.records.length)));
      server.setLatency(latency);
      const slowRuns = await alternate(repeat, async () => [(await generateAll()).seconds], () => judge(stream()), log, `model latency ${latency} ms: generate alone, then generate and score in one go`);
      const slowSeconds = slowRuns.verdicts.map((x) => x[0] ?? 0);
      return reportOf({
        client: { requests, concurrency, seconds: clientSeconds },
        instant: { samples: instant.records.length, seconds: instant.seconds },
        workers: opts.workers,
        repeat,
        evalSeconds,
        sandboxSeconds,
        runInstant,
        latency,
        generateSeconds: median(slowSeconds),
        runSeconds: median(slowRuns.second),
        passed: verdicts.filter((v) => v.status === "pass").length,
      });
    } finally {
      await session.close();
    }
  } finally {
    await server.close();
  }
}
