import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReportCommand, type ReportFlags } from "../../../src/cli/commands/report.js";
import { parseSearchConfigText } from "../../../src/pipelines/search-run-config.js";
import { runSearchPipeline } from "../../../src/pipelines/search-run.js";
import { nodeRadius, valueColor } from "../../../src/report/html/search-tree-svg.js";
import { readTreeSummaries, type TreeSummary } from "../../../src/search/tree-summary.js";
import { code, loadMbppTasks, plan, scriptedSearchPolicy, type SearchScript } from "../../fixtures/models/scripted-search-policy.js";
import { chromiumMissing, launchOfflineBrowser, type OfflineBrowser } from "../../helpers/browser.js";
import { startOpenAITestServer, type OpenAITestServer } from "../../helpers/openai-test-server.js";
import { testImage } from "../../helpers/sandbox-image.js";

/*
 * A real search run (scripted policy over real HTTP, rewards from the sandbox) on two MBPP train
 * tasks, drawn by `verdict report`. Task 601: root → P (plan), W (wrong code), H (right on the
 * first test only); P → C (the reference). Task 602: a plan whose label is markup, → C.
 */
const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../../shared/data");
const MARKUP = "<b/id=injected>";
const SCRIPTS: Record<string, SearchScript> = {
  "601": { "": [plan("P"), code("W", "W"), code("H", "P")], P: [code("C", "C")] },
  "602": { "": [plan(MARKUP), code("W", "W")], [MARKUP]: [code("C", "C")] },
};

let root: string;
let server: OpenAITestServer;
let runDir: string;
let trees: TreeSummary[];
let savedCacheDir: string | undefined;

const flags = (html: string): ReportFlags => ({ html, results: "results", alpha: 0.05, seed: 0 });
const byLabel = (tree: TreeSummary, label: string) => {
  const node = tree.nodes.find((n) => n.step.startsWith(`${label} `));
  if (!node) throw new Error(`no node ${label} in ${tree.task_id}`);
  return node;
};

beforeAll(async () => {
  await testImage();
  root = mkdtempSync(join(tmpdir(), "verdict-search-report-"));
  savedCacheDir = process.env.VERDICT_CACHE_DIR;
  process.env.VERDICT_CACHE_DIR = join(root, "cache");
  server = await startOpenAITestServer(scriptedSearchPolicy((id) => SCRIPTS[id] ?? {}, loadMbppTasks(DATA)));
  const yaml = [
    "benchmark: mbpp",
    "split: train",
    "limit: 2",
    `data: ${DATA}`,
    "models:",
    `  - {name: policy, base_url: "${server.baseUrl}", model: scripted, retries: 0}`,
    "sandbox: {workers: 2, timeout_s: 1}",
    "search: {rollouts: 6, max_depth: 2}",
  ].join("\n");
  const result = await runSearchPipeline({ config: parseSearchConfigText(yaml, join(root, "search.yaml")), outDir: join(root, "run"), responseCacheDir: join(root, "responses") });
  expect(result.status).toBe("complete");
  runDir = result.runDir;
  trees = readTreeSummaries(join(runDir, "policy", "trees"));
});

afterAll(async () => {
  await server?.close();
  if (savedCacheDir === undefined) delete process.env.VERDICT_CACHE_DIR;
  else process.env.VERDICT_CACHE_DIR = savedCacheDir;
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("verdict report of a search run", () => {
  it("writes one page with every task's tree, and refuses to compare a search run", async () => {
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) };
    const file = join(root, "trees.html");
    expect(await runReportCommand([runDir], flags(file), io)).toBe(0);
    const nodes = trees.reduce((a, t) => a + t.nodes.length, 0);
    expect(out.join("")).toContain(`wrote ${file}`);
    expect(out.join("")).toContain(`2 trees, ${nodes} nodes`);
    const html = readFileSync(file, "utf8");
    expect(html.match(/<svg class="tree"/g)).toHaveLength(2);
    expect(html).not.toContain(MARKUP);

    const err: string[] = [];
    expect(await runReportCommand([runDir, runDir], flags(join(root, "x.html")), { stdout: () => undefined, stderr: (t) => err.push(t) })).toBe(2);
    expect(err.join("")).toContain("search run's report takes that one run alone");
  });
});

describe.skipIf(chromiumMissing !== null)(chromiumMissing ? `search tree view in Chromium: skipped, ${chromiumMissing}` : "search tree view in Chromium", () => {
  let browser: OfflineBrowser;
  const file = () => join(root, "view.html");

  beforeAll(async () => {
    expect(await runReportCommand([runDir], flags(file()), { stdout: () => undefined, stderr: () => undefined })).toBe(0);
    browser = await launchOfflineBrowser();
    await browser.open(file());
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("sizes nodes by N and colours them by Q, and shows a node's step, program and test outcomes on a click", async () => {
    const page = browser.page;
    const [t601, t602] = trees;
    if (!t601 || !t602) throw new Error("two trees expected");
    expect(await page.locator("#tree-select option").allInnerTexts()).toEqual([
      `policy · task 601 ✓ solved (${t601.nodes.length} nodes)`,
      `policy · task 602 ✓ solved (${t602.nodes.length} nodes)`,
    ]);
    expect(await page.isVisible("svg[data-tree='0']")).toBe(true);
    expect(await page.isVisible("svg[data-tree='1']")).toBe(false);

    // Every node drawn with the radius of its N and the colour of its Q, as stored in the tree.
    const drawn = await page.$$eval("svg[data-tree='0'] circle", (cs) => cs.map((c) => ({ id: Number(c.getAttribute("data-node")), r: Number(c.getAttribute("r")), fill: c.getAttribute("fill") })));
    expect(drawn.map((d) => d.id)).toEqual(t601.nodes.map((n) => n.id));
    for (const n of t601.nodes) {
      const d = drawn[n.id];
      expect(d?.r).toBeCloseTo(nodeRadius(n.n, t601.nodes[0]?.n ?? 0), 1);
      expect(d?.fill).toBe(valueColor(n.q));
    }
    const [p, c, h] = [byLabel(t601, "P"), byLabel(t601, "C"), byLabel(t601, "H")];
    expect(p.n).toBeGreaterThan(h.n);
    expect(drawn[p.id]?.r).toBeGreaterThan(drawn[h.id]?.r ?? Infinity);
    expect(drawn[c.id]?.fill).toBe(valueColor(1));
    expect(drawn[h.id]?.fill).toBe(valueColor(1 / 3));

    await page.click(`svg[data-tree='0'] circle[data-node='${c.id}']`);
    await page.waitForSelector("#details:not([hidden])");
    expect(await page.innerText("#details-title")).toBe(`policy · task 601 · node ${c.id}`);
    expect(await page.locator("#details pre.step").innerText()).toMatch(/^C \(Action 3\)/);
    expect(await page.locator("#details pre.src span.k", { hasText: "def" }).count()).toBeGreaterThan(0);
    expect(await page.locator("#details pre.src").innerText()).toContain("# step C");
    expect(await page.locator("#details table.tests tr[data-outcome]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")))).toEqual(["pass", "pass", "pass"]);
    expect(await page.locator("#details table.node-facts").innerText()).toContain("3 of 3");

    await page.click(`svg[data-tree='0'] circle[data-node='${h.id}']`);
    expect(await page.locator("#details table.tests tr[data-outcome]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")))).toEqual(["pass", "wrong_answer", "wrong_answer"]);

    // The root shows the prompt and the code step the paper's rule left out (W, beaten by H).
    await page.click("svg[data-tree='0'] circle[data-node='0']");
    expect(await page.locator("#details pre.step").innerText()).toContain("### Task:");
    expect(await page.locator("#details pre.src").innerText()).toContain("# step W");
    await page.keyboard.press("Escape");
    expect(await page.isHidden("#details")).toBe(true);
  });

  it("switches trees, and shows a step written as markup as text", async () => {
    const page = browser.page;
    const t602 = trees[1] as TreeSummary;
    await page.selectOption("#tree-select", "1");
    expect(await page.isVisible("svg[data-tree='1']")).toBe(true);
    expect(await page.isVisible("svg[data-tree='0']")).toBe(false);
    const marked = byLabel(t602, MARKUP);
    await page.focus(`svg[data-tree='1'] circle[data-node='${marked.id}']`);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#details:not([hidden])");
    expect(await page.locator("#details pre.step").innerText()).toContain(MARKUP);
    expect(await page.locator("#injected").count()).toBe(0);
    expect(browser.blocked).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });
});
