import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schemaText } from "../../src/cli/commands/schema.js";
import { OPENRLHF_PLACEHOLDER } from "../../src/search/exports/openrlhf-prm.js";
import { leftovers, REPO, runVerdict, spawnVerdict, startEvalTests, waitUntil } from "../helpers/eval-run.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { loadMbppTasks, oneCorrectPath, scriptedSearchPolicy } from "../fixtures/models/scripted-search-policy.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(REPO, "..", "shared", "data");
const TASKS = loadMbppTasks(DATA);

let docker: Docker;
let root: string;
let server: OpenAITestServer;
let configPath: string;

beforeAll(async () => {
  ({ docker, root } = await startEvalTests("verdict-cli-search-"));
  // Every request takes a moment, so a run can be hit mid-way.
  server = await startOpenAITestServer(scriptedSearchPolicy(() => oneCorrectPath(), TASKS, 25));
  configPath = join(root, "search.yaml");
  writeFileSync(
    configPath,
    [
      "benchmark: mbpp",
      "split: train",
      "limit: 4",
      "models:",
      `  - {name: policy, base_url: "${server.baseUrl}", model: scripted, retries: 0}`,
      "sandbox: {workers: 2}",
      "search: {rollouts: 10, max_depth: 3, seed: 7}",
      "",
    ].join("\n"),
  );
});

afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Every tree file of a run's model, by name, as text. */
function treeFiles(runDir: string): Record<string, string> {
  const dir = join(runDir, "policy", "trees");
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

/** The environment of one verdict process: the data, and a cache of its own (no answer is reused across runs). */
const env = (cache: string) => ({ VERDICT_DATA_DIR: DATA, VERDICT_CACHE_DIR: join(root, cache) });

const logLines = (runDir: string): number => {
  const log = join(runDir, "policy", "nodes.jsonl");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").length - 1 : 0;
};

let reference: Record<string, string> = {};

describe("verdict search", () => {
  it("writes trees, a summary and a manifest, and exports every format in the shape its trainer reads", async () => {
    const out = join(root, "whole");
    const run = await runVerdict(["search", configPath, "--out", out, "--json"], env("cache-whole"));
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { status: string; models: { stats: { tasks: number; solved: number } }[] };
    expect(summary).toMatchObject({ status: "complete", models: [{ stats: { tasks: 4, solved: 4 } }] });
    reference = treeFiles(out);
    expect(Object.keys(reference)).toEqual(["601.json", "602.json", "603.json", "604.json"]);
    expect(JSON.parse(readFileSync(join(out, "search-manifest.json"), "utf8"))).toMatchObject({ kind: "search", status: "complete", tasks: ["601", "602", "603", "604"] });

    const prm = await runVerdict(["search", "export", out, "--format", "prm"], env("cache-whole"));
    expect(prm.code, prm.stderr).toBe(0);
    expect(prm.stdout).toMatch(/policy: \d+ prm rows from 4 trees/);
    const prmRows = readFileSync(join(out, "policy", "exports", "prm.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const row of prmRows) {
      expect(Object.keys(row)).toEqual(["prompt", "completions", "labels"]);
      const completions = row.completions as string[];
      expect(completions.every((c) => c.startsWith("<Step_Begin>\n### Step ") && c.endsWith("<Step_End>"))).toBe(true);
      expect((row.labels as unknown[]).every((l) => typeof l === "boolean")).toBe(true);
      expect(completions).toHaveLength((row.labels as unknown[]).length);
    }
    const orl = await runVerdict(["search", "export", out, "--format", "openrlhf-prm", "--out", join(root, "orl")], env("cache-whole"));
    expect(orl.code, orl.stderr).toBe(0);
    for (const line of readFileSync(join(root, "orl", "openrlhf-prm.jsonl"), "utf8").trim().split("\n")) {
      const row = JSON.parse(line) as { input: string; label: number[] };
      expect(Object.keys(row)).toEqual(["input", "label"]);
      expect(row.input.split(` ${OPENRLHF_PLACEHOLDER}\n`).length - 1).toBe(row.label.length);
      expect(row.label.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(root, "orl", "openrlhf-prm.manifest.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ format: "openrlhf-prm", tasks: 4, file: "openrlhf-prm.jsonl", options: { placeholder: OPENRLHF_PLACEHOLDER } });
    const bad = await runVerdict(["search", "export", out, "--format", "kto"], env("cache-whole"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected one of sft, dpo, prm, openrlhf-prm");
  });

  it("resumes after a SIGKILL of the real CLI to the same trees as the uninterrupted run", async () => {
    const out = join(root, "killed");
    const child = spawnVerdict(["search", configPath, "--out", out], env("cache-killed"));
    await waitUntil(() => logLines(out) >= 12, 60_000, "the search to log a dozen events");
    child.child.kill("SIGKILL");
    expect((await child.exited).signal).toBe("SIGKILL");
    expect(existsSync(join(out, "run.lock"))).toBe(true);
    const resumed = await runVerdict(["search", "--resume", out], env("cache-killed"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(treeFiles(out)).toEqual(reference);
    expect(await leftovers(docker, out)).toEqual([]);
  });

  it("stops on SIGINT: no container left, the manifest marked interrupted, and the exact command that continues it", async () => {
    const out = join(root, "interrupted");
    const child = spawnVerdict(["search", configPath, "--out", out], env("cache-interrupted"));
    await waitUntil(() => logLines(out) >= 8, 60_000, "the search to log some events");
    child.child.kill("SIGINT");
    const { code } = await child.exited;
    expect(code, child.stderr()).toBe(130);
    expect(child.stderr()).toContain("interrupted by SIGINT");
    expect(child.stderr()).toContain(`continue with: verdict search --resume ${out}`);
    expect(child.stderr()).toMatch(/policy: \d+ of 4 tasks finished/);
    expect(JSON.parse(readFileSync(join(out, "search-manifest.json"), "utf8"))).toMatchObject({ status: "interrupted" });
    expect(await leftovers(docker, out)).toEqual([]);
    const resumed = await runVerdict(["search", "--resume", out], env("cache-interrupted"));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(treeFiles(out)).toEqual(reference);
  });

  it("--baseline best-of-n spends each task's budget on independent paths and prints both solved rates side by side with a paired interval", async () => {
    const out = join(root, "whole");
    // A resume of the finished run asks the model nothing for the trees (all replayed) and adds the baseline.
    const run = await runVerdict(["search", "--resume", out, "--baseline", "best-of-n"], env("cache-whole"));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("MCTS solved % [95% CI]");
    expect(run.stdout).toContain("best-of-N solved % [95% CI]");
    expect(run.stdout).toContain("MCTS − best-of-N [95% CI]");
    expect(run.stdout).toMatch(/the search's calls/);
    expect(treeFiles(out)).toEqual(reference);
    // n = 1 per step: every independent path takes the first candidate (S1, wrong code), so best-of-N solves nothing here.
    const summary = JSON.parse(readFileSync(join(out, "search-summary.json"), "utf8")) as { models: { stats: { expansions: number }; baseline: { tasks: number; mcts: { solved: number }; best_of_n: { solved: number }; difference: { estimate: number; low: number; high: number } } }[] };
    const [m] = summary.models;
    expect(m?.stats.expansions).toBe(0);
    expect(m?.baseline).toMatchObject({ tasks: 4, mcts: { solved: 4 }, best_of_n: { solved: 0 } });
    expect(m?.baseline.difference.estimate).toBe(1);
    expect(m?.baseline.difference.low).toBeLessThanOrEqual(1);
    expect(m?.baseline.difference.high).toBeGreaterThanOrEqual(1);
    const paths = readFileSync(join(out, "policy", "best-of-n.jsonl"), "utf8").trim().split("\n");
    expect(paths).toHaveLength(4);
  });

  it("prints the JSON Schema of its config as committed", async () => {
    const run = await runVerdict(["schema", "search-config"]);
    expect(run.stdout).toBe(schemaText("search-config"));
    expect(readFileSync(join(REPO, "benchmarks", "search-config.schema.json"), "utf8")).toBe(schemaText("search-config"));
  });
});
