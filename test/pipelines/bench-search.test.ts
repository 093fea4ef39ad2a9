import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { benchScript, instantJudge } from "../../src/pipelines/bench-search-policy.js";
import { runSearchBench } from "../../src/pipelines/bench-search.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");

beforeAll(async () => {
  await testImage();
});

describe("the bench's search script", () => {
  it("offers three plans, then a plan and two code steps; code under plan B is the reference", async () => {
    const spec = await loadBenchmark("mbpp", { split: "train", dataDir: DATA });
    const script = benchScript(spec.tasks.slice(0, 2));
    const task = script.tasks[1];
    if (!task) throw new Error("no task");
    const prompt = `header\n### Task:\n${task.prompt.text}\n${task.prompt.tests.join("\n")}\n<Step_Begin>\n### Step 1:`;
    const first = script.stepsFor(prompt, 3);
    expect(first.map((s) => /^ (\S+) \(Action 1\)/.exec(s)?.[1])).toEqual(["A", "B", "C"]);
    const underB = script.stepsFor(`${prompt}${first[1]}<Step_End>\n\n<Step_Begin>\n### Step 2:`, 3);
    expect(underB.map((s) => /^ (\S+) \(Action (\d)\)/.exec(s)?.slice(1, 3))).toEqual([["Bp", "2"], ["Bc", "3"], ["Bw", "3"]]);
    const scores = await Promise.all(underB.slice(1).map((s) => instantJudge.judge(task, s)));
    expect(scores.map((s) => s.passed)).toEqual([3, 0]);
    expect(() => script.stepsFor("### Task:\nno such task\n### Step 1:", 3)).toThrow(/no known task/);
  });
});

describe("the search section of verdict bench", () => {
  it("measures the search against the script server with rewards from the pool, and the host's cost per node in process", async () => {
    const r = await runSearchBench({ workers: 2, repeat: 1, tasks: 4, rollouts: 4, latencyMs: 20, dataDir: DATA, log: () => undefined });
    expect(r).toMatchObject({ tasks: 4, rollouts: 4, workers: 2, repeat: 1 });
    for (const run of [r.instant, r.latency]) {
      expect(run.nodes).toBeGreaterThan(4);
      expect(run.judged).toBeGreaterThan(0);
      expect(run.solved).toBeGreaterThan(0);
      expect(run.pool_busy.median).toBeGreaterThan(0);
      expect(run.pool_busy.median).toBeLessThanOrEqual(1);
      expect(run.nodes_per_second.median).toBeCloseTo(run.nodes / run.seconds.median, 6);
    }
    // The same seeded search in process builds the same trees as the one over HTTP and the pool.
    expect(r.host.nodes).toBe(r.instant.nodes);
    expect(r.latency.model_latency_ms).toBe(20);
    expect(r.targets.host_ms_per_node.value).toBe(r.host.ms_per_node.median);
  });
});
