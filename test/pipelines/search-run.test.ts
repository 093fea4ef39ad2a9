import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_LABEL } from "../../src/sandbox/container-spec.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { runLabel } from "../../src/runner/cleanup.js";
import { exportSearchRun } from "../../src/pipelines/search-export.js";
import { readSearchManifest } from "../../src/pipelines/search-manifest.js";
import { parseSearchConfigText, type SearchConfig } from "../../src/pipelines/search-run-config.js";
import { runSearchPipeline, type SearchPipelineResult } from "../../src/pipelines/search-run.js";
import { readTreeSummaries, type TreeSummary } from "../../src/search/tree-summary.js";
import { code, loadMbppTasks, oneCorrectPath, plan, scriptedSearchPolicy, type SearchScript } from "../fixtures/models/scripted-search-policy.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const TASKS = loadMbppTasks(DATA);

let root: string;
let server: OpenAITestServer;
let savedCacheDir: string | undefined;
/** The script of each task (MBPP train ids), set by each test. */
let scripts: Record<string, SearchScript> = {};

beforeAll(async () => {
  await testImage();
  root = mkdtempSync(join(tmpdir(), "verdict-search-pipeline-"));
  savedCacheDir = process.env.VERDICT_CACHE_DIR;
  process.env.VERDICT_CACHE_DIR = join(root, "cache");
  server = await startOpenAITestServer(scriptedSearchPolicy((id) => scripts[id] ?? {}, TASKS));
});

afterAll(async () => {
  await server?.close();
  if (savedCacheDir === undefined) delete process.env.VERDICT_CACHE_DIR;
  else process.env.VERDICT_CACHE_DIR = savedCacheDir;
  if (root && !process.env.KEEP_SEARCH_TEST) rmSync(root, { recursive: true, force: true });
});

/** A search config over the first `limit` MBPP train tasks (601, 602, ...), against the scripted server. */
function config(limit: number, search: string, extra = ""): SearchConfig {
  const yaml = [
    "benchmark: mbpp",
    "split: train",
    `limit: ${limit}`,
    `data: ${DATA}`,
    `out: ${join(root, "results")}`,
    "models:",
    `  - {name: policy, base_url: "${server.baseUrl}", model: scripted, retries: 0}`,
    "sandbox: {workers: 2, timeout_s: 1}",
    `search: {${search}}`,
    extra,
  ].join("\n");
  return parseSearchConfigText(yaml, join(root, "search.yaml"));
}

function byLabel(tree: TreeSummary, label: string) {
  const node = tree.nodes.find((n) => n.step.startsWith(`${label} `));
  if (!node) throw new Error(`no node ${label} in ${tree.task_id}`);
  return node;
}

async function containersOf(runDir: string): Promise<string[]> {
  const list = await connectDocker().listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${runLabel(runDir)}`] } });
  return list.map((c) => c.Id);
}

describe("verdict search on MBPP train tasks, rewards from the sandbox", () => {
  it("has the visit counts and values of a small tree computed by hand", async () => {
    // Task 601 (first of the train split): root → P (plan), W (wrong code, 0/3), H (right on test 1 only, 1/3);
    // P → C (the reference), sampled three times. The paper's rule judges W and H together and keeps H.
    scripts = { "601": { "": [plan("P"), code("W", "W"), code("H", "P")], P: [code("C", "C"), code("C", "C"), code("C", "C")] } };
    const result = await runSearchPipeline({ config: config(1, "rollouts: 6, max_depth: 2"), outDir: join(root, "small"), responseCacheDir: join(root, "responses-small") });
    const [tree] = readTreeSummaries(join(result.runDir, "policy", "trees"));
    if (!tree) throw new Error("no tree");
    // Rollouts 1-2 visit P (→ C, reward 1) and H (1/3), in a seeded random order.
    // 3 (N_root 2): P 1 + 2·sqrt(ln 2) = 2.67 > H 1/3 + 2·sqrt(ln 2) = 2.00 → P, C.
    // 4 (N_root 3): P 1 + 2·sqrt(ln 3 / 2) = 2.48 > H 1/3 + 2·sqrt(ln 3) = 2.43 → P, C.
    // 5 (N_root 4): H 1/3 + 2·sqrt(ln 4) = 2.69 > P 1 + 2·sqrt(ln 4 / 3) = 2.36 → H.
    // 6 (N_root 5): P 1 + 2·sqrt(ln 5 / 3) = 2.46 > H 1/3 + 2·sqrt(ln 5 / 2) = 2.13 → P, C.
    expect(tree.nodes[0]).toMatchObject({ n: 6 });
    expect(tree.nodes[0]?.w).toBeCloseTo(4 + 2 / 3, 12);
    expect([byLabel(tree, "P").n, byLabel(tree, "P").w]).toEqual([4, 4]);
    expect(byLabel(tree, "C")).toMatchObject({ n: 4, w: 4, q: 1, samples: 3, reward: 1, passed: 3, total: 3, correct: true, terminal: "code" });
    expect(byLabel(tree, "H")).toMatchObject({ n: 2, reward: 1 / 3, passed: 1, total: 3, correct: false });
    expect(byLabel(tree, "H").w).toBeCloseTo(2 / 3, 12);
    expect(byLabel(tree, "H").tests?.map((t) => t.outcome)).toEqual(["pass", "wrong_answer", "wrong_answer"]);
    expect(tree.dropped).toEqual([expect.objectContaining({ parent: 0, step: expect.stringMatching(/^W /), reward: 0, passed: 0, total: 3 })]);
    expect(tree.nodes).toHaveLength(4);
    expect(result.status).toBe("complete");
    expect(readSearchManifest(result.runDir)).toMatchObject({ kind: "search", status: "complete", benchmark: "mbpp", split: "train", tasks: ["601"] });
    expect(await containersOf(result.runDir)).toEqual([]);
  });

  it("finds the one correct path of a 3 × 3 tree within the budget, on every task, and exports it", async () => {
    scripts = Object.fromEntries(["601", "602", "603"].map((id) => [id, oneCorrectPath()]));
    const result = await runSearchPipeline({ config: config(3, "rollouts: 15, max_depth: 3, seed: 4"), outDir: join(root, "three"), responseCacheDir: join(root, "responses-three"), baseline: true });
    const trees = readTreeSummaries(join(result.runDir, "policy", "trees"));
    expect(trees.map((t) => [t.task_id, t.solved, t.finished])).toEqual([
      ["601", true, true],
      ["602", true, true],
      ["603", true, true],
    ]);
    for (const t of trees) expect(byLabel(t, "C22")).toMatchObject({ correct: true, reward: 1, passed: 3, total: 3 });
    const m = result.models[0] as SearchPipelineResult["models"][number];
    expect(m.aspr.D).toBe(1);
    expect(m.stats).toMatchObject({ tasks: 3, finished: 3, solved: 3, failed: 0 });
    // Best-of-N at the same number of calls: paths S?/T??/C?? take 3 calls each; with one of 27 paths correct it rarely solves.
    expect(m.baseline).toMatchObject({ unit: "calls", tasks: 3, mcts: { solved: 3, rate: 1 } });
    expect(m.baseline?.difference.estimate).toBeCloseTo(1 - (m.baseline?.best_of_n.rate ?? 0), 12);
    const bon = readFileSync(join(result.runDir, "policy", "best-of-n.jsonl"), "utf8").trim().split("\n");
    expect(bon).toHaveLength(3);
    for (const line of bon) {
      const r = JSON.parse(line) as { calls: number; budget: { amount: number } };
      expect(r.calls).toBe(r.budget.amount);
    }
    // SFT: one row per correct terminal, continuing the step-1 prompt; DPO: sibling steps at least 0.5 apart.
    const [sft] = exportSearchRun(result.runDir, "sft");
    const sftRows = readFileSync(sft?.file ?? "", "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    expect(sftRows).toHaveLength(3);
    for (const row of sftRows) {
      expect(Object.keys(row)).toEqual(["prompt", "completion"]);
      expect(row.prompt?.endsWith("<Step_Begin>\n### Step 1:")).toBe(true);
      expect(row.completion).toMatch(/^ S2 \(Action 2\)[\s\S]*<Step_Begin>\n### Step 2: T22 [\s\S]*### Step 3: C22 \(Action 3\)[\s\S]*```<Step_End>$/);
    }
    const [dpo] = exportSearchRun(result.runDir, "dpo", { outDir: join(root, "dpo-out") });
    expect(dpo?.file).toBe(join(root, "dpo-out", "dpo.jsonl"));
    for (const line of readFileSync(dpo?.file ?? "", "utf8").trim().split("\n")) {
      const row = JSON.parse(line) as Record<string, string>;
      expect(Object.keys(row)).toEqual(["prompt", "chosen", "rejected"]);
      expect(row.chosen).not.toBe(row.rejected);
      expect(row.chosen?.endsWith("<Step_End>")).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(root, "dpo-out", "dpo.manifest.json"), "utf8"))).toMatchObject({ format: "dpo", file: "dpo.jsonl", options: { margin: 0.5 } });
  });

  it("gives a hostile terminal program reward 0 and harms nothing: the pool judges the next task's correct code right", async () => {
    // Task 601 (its tests build Pair objects the hostile programs lack) gets no answer: a dead end.
    scripts = {
      "602": { "": [code("F", { hostile: "fork_bomb" }), code("L", { hostile: "busy_loop" }), code("G", { hostile: "dup_and_forge" })] },
      "603": { "": [plan("A")], A: [code("R", "C")] },
    };
    const result = await runSearchPipeline({ config: config(3, "rollouts: 2, max_depth: 2"), outDir: join(root, "hostile"), responseCacheDir: join(root, "responses-hostile") });
    const [, hostile, honest] = readTreeSummaries(join(result.runDir, "policy", "trees"));
    if (!hostile || !honest) throw new Error("missing trees");
    // All three judged together; each earns 0; the first is kept, the others are recorded as dropped.
    expect(byLabel(hostile, "F")).toMatchObject({ reward: 0, passed: 0, total: 3 });
    expect(byLabel(hostile, "F").tests?.every((t) => t.outcome === "timeout")).toBe(true);
    const dropped: Record<string, TreeSummary["dropped"][number]> = Object.fromEntries(hostile.dropped.map((d) => [d.step.split(" ")[0] ?? "", d]));
    expect(dropped.L).toMatchObject({ reward: 0, passed: 0 });
    expect(dropped.L?.tests?.every((t) => t.outcome === "timeout")).toBe(true);
    expect(dropped.G).toMatchObject({ reward: 0, passed: 0 });
    expect(dropped.G?.tests?.some((t) => t.outcome === "runtime_error" && /result channel/.test(t.detail ?? ""))).toBe(true);
    expect(honest).toMatchObject({ solved: true });
    expect(byLabel(honest, "R")).toMatchObject({ reward: 1, passed: 3, total: 3 });
    expect(await containersOf(result.runDir)).toEqual([]);
  });

  it("stops a task whose model request fails after retries: the run is incomplete, and a resume completes it", async () => {
    scripts = { "601": oneCorrectPath(), "602": oneCorrectPath() };
    let failing = true;
    const policy = scriptedSearchPolicy((id) => scripts[id] ?? {}, TASKS);
    server.respond((r) => (failing && String(r.body?.prompt ?? "").includes(TASKS.get("602")?.text ?? "?") && r.seq % 2 === 0 ? { kind: "status", status: 503 } : policy(r)));
    const cfg = config(2, "rollouts: 6, max_depth: 3");
    const dir = join(root, "failing");
    const first = await runSearchPipeline({ config: cfg, outDir: dir, responseCacheDir: join(root, "responses-failing") });
    expect(first.status).toBe("incomplete");
    expect(first.models[0]?.incomplete).toEqual([{ task_id: "602", error: expect.stringContaining("503") }]);
    expect(readSearchManifest(dir).status).toBe("incomplete");
    failing = false;
    const resumed = await runSearchPipeline({ config: cfg, resume: dir, responseCacheDir: join(root, "responses-failing") });
    server.respond(policy);
    expect(resumed.status).toBe("complete");
    expect(resumed.models[0]?.stats).toMatchObject({ tasks: 2, finished: 2, failed: 0 });
    expect(existsSync(join(dir, "run.lock"))).toBe(false);
  });
});
