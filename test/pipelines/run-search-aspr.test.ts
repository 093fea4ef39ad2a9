import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRunConfig } from "../../src/pipelines/run-config.js";
import { runPipeline } from "../../src/pipelines/run-pipeline.js";
import { parseSearchConfigText } from "../../src/pipelines/search-run-config.js";
import { runSearchPipeline } from "../../src/pipelines/search-run.js";
import { buildTable1Json, renderTable1, renderTable1Markdown } from "../../src/report/table1.js";
import { searchAspr } from "../../src/search/search-aspr.js";
import { readTreeSummaries } from "../../src/search/tree-summary.js";
import { loadMbppTasks, oneCorrectPath, scriptedSearchPolicy } from "../fixtures/models/scripted-search-policy.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");

let root: string;
let server: OpenAITestServer;
let savedCacheDir: string | undefined;

beforeAll(async () => {
  await testImage();
  root = mkdtempSync(join(tmpdir(), "verdict-run-search-aspr-"));
  savedCacheDir = process.env.VERDICT_CACHE_DIR;
  process.env.VERDICT_CACHE_DIR = join(root, "cache");
  server = await startOpenAITestServer(scriptedSearchPolicy(() => oneCorrectPath(), loadMbppTasks(DATA)));
});

afterAll(async () => {
  await server?.close();
  if (savedCacheDir === undefined) delete process.env.VERDICT_CACHE_DIR;
  else process.env.VERDICT_CACHE_DIR = savedCacheDir;
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("ASPR C and D in verdict run and table1, from a search run", () => {
  it("reads the pseudocode column's ASPR from the search run's trees, draws no ASPR samples, and names the definition", async () => {
    const model = `  - {name: policy, base_url: "${server.baseUrl}", model: scripted, retries: 0}`;
    const search = await runSearchPipeline({
      config: parseSearchConfigText(["benchmark: mbpp", "split: train", "limit: 3", `data: ${DATA}`, "models:", model, "search: {rollouts: 12, max_depth: 3, seed: 2}"].join("\n"), join(root, "s.yaml")),
      outDir: join(root, "search"),
    });
    const trees = readTreeSummaries(join(search.runDir, "policy", "trees"));
    for (const definition of ["C", "D"] as const) {
      const cfg = parseRunConfig(
        {
          benchmark: "mbpp",
          split: "train",
          limit: 3,
          data: DATA,
          out: join(root, "runs"),
          models: [{ name: "policy", base_url: server.baseUrl, model: "scripted", retries: 0 }],
          prompt: { shots: 0, max_steps: 3 },
          aspr: { definition, search_run: search.runDir },
        },
        "run.yaml",
      );
      const result = await runPipeline({ config: cfg, noCache: false, outDir: join(root, `run-${definition}`) });
      const row = result.models[0];
      const expected = searchAspr(trees, definition);
      expect(row?.styles.pseudocode?.aspr).toMatchObject({ definition, value: expected.value, tasks: 3, tasksCounted: expected.tasksCounted });
      expect(row?.styles.vanilla?.aspr).toMatchObject({ definition, value: null });
      expect(row?.styles.vanilla?.pass1.value).toBe(1);
      expect(existsSync(join(result.runDir, "policy", "pseudocode", "aspr"))).toBe(false);
      const table = buildTable1Json(result);
      expect(table.aspr).toMatchObject({ definition, search_run: search.runDir, description: expect.stringContaining(`ASPR (${definition})`) });
      expect(renderTable1(result)).toContain(`ASPR-${definition} (%)`);
      expect(renderTable1Markdown(result)).toContain(`read from the finished MCTS trees of the search run ${search.runDir}`);
    }
    expect(searchAspr(trees, "D").value).toBe(1);
  });

  it("refuses a search run without the config's model before anything runs", async () => {
    const cfg = parseRunConfig(
      { benchmark: "mbpp", split: "train", limit: 3, data: DATA, models: [{ name: "other", base_url: server.baseUrl, model: "m" }], aspr: { definition: "C", search_run: join(root, "search") } },
      "run.yaml",
    );
    await expect(runPipeline({ config: cfg, noCache: false, outDir: join(root, "refused") })).rejects.toThrow(/has no model named "other"/);
    expect(existsSync(join(root, "refused"))).toBe(false);
  });
});
