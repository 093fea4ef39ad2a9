import { describe, expect, it } from "vitest";
import { figure } from "../../src/pipelines/bench-jobs.js";
import type { SearchBenchReport, SearchBenchRun } from "../../src/pipelines/bench-search.js";
import { searchBenchRows } from "../../src/report/bench-search-rows.js";
import { renderBench } from "../../src/report/bench-table.js";

const run = (latency: number, busy: number[]): SearchBenchRun => ({
  model_latency_ms: latency,
  nodes: 2418,
  expansions: 1109,
  rewards: 2018,
  judged: 2018,
  solved: 100,
  seconds: figure([26.7, 27.4, 23.6]),
  nodes_per_second: figure([90.6, 88.3, 102.5]),
  rewards_per_second: figure([75.6, 73.7, 85.5]),
  pool_busy: figure(busy),
  model_waited_on_pool: figure([0.034, 0.03, 0.051]),
  pool_waited_on_model: figure([0.022, 0.028, 0.019]),
});

const report = (busy: number[], msPerNode: number): SearchBenchReport => ({
  tasks: 100,
  rollouts: 15,
  workers: 2,
  concurrency: 32,
  repeat: 3,
  host: { nodes: 2418, seconds: figure([0.91]), ms_per_node: figure([msPerNode]) },
  instant: run(0, busy),
  latency: run(100, [0.97, 0.98, 0.98]),
  targets: {
    pool_busy: { limit: 0.8, value: figure(busy).median, met: figure(busy).median >= 0.8 },
    host_ms_per_node: { limit: 5, value: msPerNode, met: msPerNode < 5 },
  },
});

describe("the bench's search rows", () => {
  it("print rates, the pool's busy share and the host's cost per node against their targets, and both waits", () => {
    const rows = searchBenchRows(report([0.99, 0.987, 0.994], 0.378));
    const byStart = (start: string) => rows.find((r) => r[0]?.startsWith(start));
    expect(byStart("search, server answering at once: pool busy")?.slice(1)).toEqual(["99 (min 99, max 99) %", ">= 80 %", "yes"]);
    expect(byStart("search host overhead")?.slice(1)).toEqual(["0.378 (min 0.378, max 0.378)", "< 5 ms", "yes"]);
    expect(byStart("search, server answering at once: 100 MBPP train tasks x 15 rollouts, 2 workers, 32 requests in flight; 2418 nodes")?.[1]).toBe("26.70 (min 23.60, max 27.40)");
    expect(byStart("search, model latency 100 ms: model waited on the pool")?.[1]).toBe("3 (min 3, max 5) %");
    expect(byStart("search, model latency 100 ms: pool waited on the model")?.[1]).toBe("2 (min 2, max 3) %");
    const missed = searchBenchRows(report([0.5, 0.6, 0.7], 7));
    expect(missed.filter((r) => r[3] === "NO")).toHaveLength(2);
  });

  it("are part of the bench table when the section ran", () => {
    expect(renderBench({ workers: 2, search: report([0.99], 0.4) })).toContain("search host overhead");
    expect(renderBench({ workers: 2 })).not.toContain("search");
  });
});
