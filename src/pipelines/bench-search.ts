import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { loadBenchmark } from "../benchmarks/registry.js";
import { runSearch, type SearchRunStats } from "../search/driver.js";
import { searchSettings } from "../search/search-config.js";
import { benchScript, instantJudge, instantPolicy, startScriptServer, type BenchScript } from "./bench-search-policy.js";
import { figure, type Figure } from "./bench-jobs.js";
import { searchConfigSchema } from "./search-run-config.js";
import { runSearchPipeline } from "./search-run.js";

/**
 * `npm run bench`'s search section: `verdict search` on MBPP train tasks against a scripted
 * policy server on loopback (bench-search-policy.ts), every reward judged in the sandbox pool.
 * Against a server that answers at once, the pool should be the bottleneck: busy ≥ 80 % of the
 * search's wall time. The host's own cost per node is measured beside it, in the same run, by
 * the same search with the same script in process and a judge that runs nothing (< 5 ms per
 * node). With a scripted model latency, the figures say who waited on whom: the share of the
 * wall time the model server had no request while programs were judged, and the share the
 * workers sat idle while requests ran.
 */

/** What the search section measures. */
export interface SearchBenchOptions {
  workers: number;
  repeat: number;
  /** MBPP train tasks (default 100) and rollouts per task (default 15). */
  tasks?: number;
  rollouts?: number;
  /** Model latency of the second measure (default 100 ms). */
  latencyMs?: number;
  /** Requests in flight at the model server (default 32, a vLLM-like server's batch). */
  concurrency?: number;
  dataDir?: string;
  docker?: Docker;
  log: (line: string) => void;
}

/** One measured search: its size, rates and who waited on whom (medians over the repeats, each with min and max). */
export interface SearchBenchRun {
  model_latency_ms: number;
  nodes: number;
  expansions: number;
  rewards: number;
  /** Programs the sandbox ran (distinct programs; rewards minus cache hits). */
  judged: number;
  solved: number;
  seconds: Figure;
  nodes_per_second: Figure;
  rewards_per_second: Figure;
  /** ∫ busy workers / workers over the search's wall time. */
  pool_busy: Figure;
  /** Share of the wall time the model server had no request while programs were at the judge. */
  model_waited_on_pool: Figure;
  /** Share of the wall time workers sat idle while requests were at the model. */
  pool_waited_on_model: Figure;
}

/** The search section of the bench report. */
export interface SearchBenchReport {
  tasks: number;
  rollouts: number;
  workers: number;
  concurrency: number;
  repeat: number;
  /** The search in process, instant policy and a judge that runs nothing: the host's own work per node. */
  host: { nodes: number; seconds: Figure; ms_per_node: Figure };
  instant: SearchBenchRun;
  latency: SearchBenchRun;
  targets: {
    pool_busy: { limit: number; value: number; met: boolean };
    host_ms_per_node: { limit: number; value: number; met: boolean };
  };
}

/** The targets. */
export const POOL_BUSY_TARGET = 0.8;
export const HOST_MS_PER_NODE_TARGET = 5;

/** Runs the search section (needs Docker and MBPP data). */
export async function runSearchBench(opts: SearchBenchOptions): Promise<SearchBenchReport> {
  const tasks = opts.tasks ?? 100;
  const rollouts = opts.rollouts ?? 15;
  const latencyMs = opts.latencyMs ?? 100;
  const concurrency = opts.concurrency ?? 32;
  const spec = await loadBenchmark("mbpp", { split: "train", ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
  const script = benchScript(spec.tasks.slice(0, tasks));
  const root = mkdtempSync(join(tmpdir(), "verdict-bench-search-"));
  const server = await startScriptServer(script);
  try {
    opts.log(`bench: search host overhead, ${tasks} tasks x ${rollouts} rollouts in process (x ${opts.repeat})`);
    const host = await hostOverhead(script, rollouts, opts.repeat, root);
    const measure = async (latency: number): Promise<SearchBenchRun> => {
      server.setLatency(latency);
      const runs: SearchRunStats[] = [];
      for (let r = 0; r < opts.repeat; r++) {
        opts.log(`bench: verdict search, ${tasks} MBPP train tasks x ${rollouts} rollouts, model latency ${latency} ms (${r + 1}/${opts.repeat})`);
        runs.push(await pipelineStats(opts, server.baseUrl, tasks, rollouts, concurrency, join(root, `run-${latency}-${r}`)));
      }
      return runOf(latency, runs);
    };
    const instant = await measure(0);
    const latency = await measure(latencyMs);
    const msPerNode = host.ms_per_node.median;
    return {
      tasks: script.tasks.length,
      rollouts,
      workers: opts.workers,
      concurrency,
      repeat: opts.repeat,
      host,
      instant,
      latency,
      targets: {
        pool_busy: { limit: POOL_BUSY_TARGET, value: instant.pool_busy.median, met: instant.pool_busy.median >= POOL_BUSY_TARGET },
        host_ms_per_node: { limit: HOST_MS_PER_NODE_TARGET, value: msPerNode, met: msPerNode < HOST_MS_PER_NODE_TARGET },
      },
    };
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The search with the same script in process and a judge that runs nothing: what the host spends per node. */
async function hostOverhead(script: BenchScript, rollouts: number, repeat: number, root: string): Promise<SearchBenchReport["host"]> {
  const settings = searchSettings({ rollouts });
  const seconds: number[] = [];
  const perNode: number[] = [];
  let nodes = 0;
  // One uncounted warm-up: the first run pays for compiling the search's code paths.
  for (let r = -1; r < repeat; r++) {
    const dir = join(root, `host-${r + 1}`);
    const t0 = performance.now();
    const result = await runSearch({ dir, tasks: script.tasks, settings, policy: instantPolicy(script), judge: instantJudge });
    const s = (performance.now() - t0) / 1000;
    rmSync(dir, { recursive: true, force: true });
    if (r < 0) continue;
    nodes = result.stats.nodes;
    seconds.push(s);
    perNode.push((s * 1000) / Math.max(1, nodes));
  }
  return { nodes, seconds: figure(seconds), ms_per_node: figure(perNode) };
}

/** One `verdict search` run (the pipeline: session, manifest, trees) against the script server; its stats. */
async function pipelineStats(opts: SearchBenchOptions, baseUrl: string, tasks: number, rollouts: number, concurrency: number, outDir: string): Promise<SearchRunStats> {
  const config = searchConfigSchema.parse({
    benchmark: "mbpp",
    split: "train",
    limit: tasks,
    ...(opts.dataDir !== undefined ? { data: opts.dataDir } : {}),
    out: outDir,
    models: [{ name: "policy", base_url: baseUrl, model: "bench-script", retries: 0, concurrency }],
    sandbox: { workers: opts.workers },
    search: { rollouts },
  });
  const result = await runSearchPipeline({ config, outDir, noCache: true, ...(opts.docker !== undefined ? { docker: opts.docker } : {}) });
  const stats = result.models[0]?.stats;
  if (result.status !== "complete" || stats === undefined) throw new Error(`bench search run ${outDir} ended ${result.status}: ${JSON.stringify(result.models[0]?.incomplete.slice(0, 3))}`);
  return stats;
}

/** The medians of some runs of the same search. */
function runOf(latency: number, runs: SearchRunStats[]): SearchBenchRun {
  const first = runs[0];
  if (first === undefined) throw new Error("internal: no bench search run");
  const of = (f: (s: SearchRunStats) => number): Figure => figure(runs.map(f));
  return {
    model_latency_ms: latency,
    nodes: first.nodes,
    expansions: first.expansions,
    rewards: first.rewards,
    judged: first.judged,
    solved: first.solved,
    seconds: of((s) => s.seconds),
    nodes_per_second: of((s) => s.nodes / s.seconds),
    rewards_per_second: of((s) => s.rewards / s.seconds),
    pool_busy: of((s) => s.poolBusySeconds / s.seconds),
    model_waited_on_pool: of((s) => s.modelWaitedOnPoolSeconds / s.seconds),
    pool_waited_on_model: of((s) => s.poolWaitedOnModelSeconds / s.seconds),
  };
}
