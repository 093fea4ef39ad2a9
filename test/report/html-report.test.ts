import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { Outcome, RunManifest, SampleVerdict, TestVerdict } from "../../src/core/index.js";
import { runReportCommand } from "../../src/cli/commands/report.js";
import type { ReportFlags } from "../../src/cli/commands/report.js";
import { createHtmlReport } from "../../src/report/html/build-report.js";
import { capStream, runLength, STREAM_CHARS } from "../../src/report/html/report-data.js";
import type { ReportData, RunTaskDetail } from "../../src/report/html/report-data.js";
import { sha256 } from "../../src/util/hash.js";
import { chromiumMissing, launchOfflineBrowser, pngSize } from "../helpers/browser.js";
import type { OfflineBrowser } from "../helpers/browser.js";
import { writeRun } from "../fixtures/runs/write-run.js";

/*
 * Two runs of a six-task custom benchmark, four samples per task, with known flips:
 * regressions at (1, 3) pass → timeout and (4, 2) pass → wrong_answer; improvements at
 * (2, 1) wrong_answer → pass and (6, 1) runtime_error → pass. Run A has 14 passes of 24.
 */
const TASKS = [
  { id: "1", fn: "add_one", text: "Write a function add_one that adds one to a number.", f: (x: number) => x + 1 },
  { id: "2", fn: "double", text: "Write a function double that doubles a number.", f: (x: number) => 2 * x },
  { id: "3", fn: "triple_it", text: "Write a function triple_it that multiplies a number by three.", f: (x: number) => 3 * x },
  { id: "4", fn: "square", text: "Write a function square.", f: (x: number) => x * x },
  { id: "5", fn: "negate", text: "Write a function negate.", f: (x: number) => -x },
  { id: "6", fn: "safe_div", text: "Write a function safe_div that divides ten by a number.", f: (x: number) => 10 / x },
];
const A: Record<string, Outcome[]> = {
  "1": ["pass", "pass", "pass", "pass"],
  "2": ["pass", "wrong_answer", "pass", "pass"],
  "3": ["wrong_answer", "wrong_answer", "timeout", "pass"],
  "4": ["syntax_error", "pass", "pass", "runtime_error"],
  "5": ["pass", "pass", "pass", "pass"],
  "6": ["runtime_error", "runtime_error", "runtime_error", "runtime_error"],
};
const B: Record<string, Outcome[]> = {
  ...A,
  "1": ["pass", "pass", "pass", "timeout"],
  "2": ["pass", "pass", "pass", "pass"],
  "4": ["syntax_error", "pass", "wrong_answer", "runtime_error"],
  "6": ["runtime_error", "pass", "runtime_error", "runtime_error"],
};
const INPUTS = [1, 2, 3];
/** Markup a hostile submission might print or embed; the report must show it as text. */
const HOSTILE = '</script><img src=x onerror="window.__pwned=1"><b id="injected">bold</b>';

function program(label: string, taskId: string, sample: number, outcome: Outcome): string {
  const fn = TASKS.find((t) => t.id === taskId)?.fn ?? "f";
  if (outcome === "syntax_error") return `def ${fn}(x:\n    return x\n`;
  const note = taskId === "3" && sample === 1 ? `    banner = ${JSON.stringify(HOSTILE)}\n` : "";
  return `def ${fn}(x):\n    # run ${label}, sample ${sample}\n${note}    return x  # placeholder\n`;
}

function verdictFor(taskId: string, sample: number, status: Outcome, prog: string): SampleVerdict {
  const task = TASKS.find((t) => t.id === taskId);
  const tests: TestVerdict[] = INPUTS.map((_, k) => ({ id: `test/${k}`, outcome: "pass", seconds: 0.0012 }));
  const v: SampleVerdict = { task_id: taskId, sample_index: sample, status, tests, weak: false, seconds: 0.05, cached: false, program_sha256: sha256(prog) };
  if (status === "wrong_answer") {
    const want = task?.f(INPUTS[1] as number) ?? 0;
    tests[1] = { id: "test/1", outcome: "wrong_answer", seconds: 0.001, detail: `expected ${want} got ${want - 1}` };
  } else if (status === "timeout") {
    tests[2] = { id: "test/2", outcome: "timeout", seconds: 4, detail: "time limit exceeded" };
  } else if (status === "runtime_error") {
    v.tests = INPUTS.map((_, k) => ({ id: `test/${k}`, outcome: "runtime_error", seconds: 0.002, detail: "ZeroDivisionError: division by zero" }));
  } else if (status === "syntax_error") {
    v.tests = INPUTS.map((_, k) => ({ id: `test/${k}`, outcome: "syntax_error" }));
    v.load_detail = "SyntaxError: invalid syntax (line 1)";
  }
  return v;
}

let root: string;
let benchPath: string;
let dirA: string;
let dirB: string;

/** Writes a run of the custom benchmark: manifest, summary, rich verdicts and samples.jsonl. */
async function writeRichRun(runId: string, label: string, outcomes: Record<string, Outcome[]>): Promise<string> {
  const dir = await writeRun(root, { runId, outcomes, benchmark: benchPath, split: "all", k: [1, 2] });
  const manifestFile = join(dir, "manifest.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as RunManifest;
  manifest.data_sha256 = { [benchPath]: sha256(await readFile(benchPath)) };
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
  const verdicts: string[] = [];
  const samples: string[] = [];
  for (const [taskId, list] of Object.entries(outcomes)) {
    list.forEach((status, i) => {
      const prog = program(label, taskId, i, status);
      verdicts.push(JSON.stringify(verdictFor(taskId, i, status, prog)));
      const record: Record<string, unknown> = { task_id: taskId, sample_index: i, program: prog };
      if (taskId === "3" && i === 1) Object.assign(record, { stdout: `${HOSTILE}\nprinted line\n`, stderr: "warning: from stderr\n" });
      samples.push(JSON.stringify(record));
    });
  }
  await writeFile(join(dir, "verdicts.jsonl"), `${verdicts.join("\n")}\n`);
  await writeFile(join(dir, "samples.jsonl"), `${samples.join("\n")}\n`);
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-html-report-"));
  benchPath = join(root, "six-tasks.jsonl");
  const rows = TASKS.map((t) => ({
    task_id: Number(t.id),
    text: t.text,
    code: `def ${t.fn}(x):\n    return x\n`,
    test_list: INPUTS.map((x) => `assert ${t.fn}(${x}) == ${t.f(x)}`),
    test_setup_code: "",
  }));
  await writeFile(benchPath, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  dirA = await writeRichRun("run-a", "A", A);
  dirB = await writeRichRun("run-b", "B", B);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The data a page embeds. */
function embedded(html: string): ReportData {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error("no embedded data");
  return JSON.parse(m[1] as string) as ReportData;
}

/** What tests reach in the report page (the project compiles without DOM types). */
interface PageGlobals {
  document: { getElementById(id: string): { textContent: string | null } | null };
  verdictReport: { cellCenter(taskId: string, sample: number): { x: number; y: number } | null };
  __pwned?: number;
}

const flags = (over: Partial<ReportFlags> = {}): ReportFlags => ({ results: root, alpha: 0.05, seed: 0, ...over });

function capture() {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

describe("report data encodings", () => {
  it("run-length codes per-test outcomes as letters with repeat counts", () => {
    expect(runLength([0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe("a3ca12");
    expect(runLength([1])).toBe("b");
    expect(runLength([])).toBe("");
  });

  it("keeps the start of a long stream and says how much it left out", () => {
    const long = "x".repeat(STREAM_CHARS + 1234);
    expect(capStream(long)).toBe(`${"x".repeat(STREAM_CHARS)}\n… [1,234 more characters not shown]`);
    expect(capStream("short\n")).toBe("short\n");
  });
});

describe("createHtmlReport", () => {
  it("writes one self-contained page: no URL to fetch, a CSP that forbids connections, the script allowed by hash", async () => {
    const { html, notes } = await createHtmlReport([dirA]);
    expect(notes).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b|<script[^>]+src=|<img\b|@import|url\(/i);
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    expect(csp).toContain(`script-src 'sha256-${Buffer.from(sha256(script), "hex").toString("base64")}'`);
    // The hostile program and output are in the data, but cannot close its script element.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain("\\u003c/script>\\u003cimg");
  });

  it("embeds the grid as one outcome letter per cell and each task's details as JSON", async () => {
    const data = embedded((await createHtmlReport([dirA])).html);
    expect(data.taskIds).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(data.width).toBe(4);
    const letter = (o: Outcome) => String.fromCharCode(97 + data.outcomes.findIndex((x) => x.name === o));
    expect(data.runs[0]?.cells).toBe(Object.values(A).flat().map(letter).join(""));
    const detail = JSON.parse(data.runs[0]?.details[2] ?? "") as RunTaskDetail;
    expect(detail.t).toEqual(["test/0", "test/1", "test/2"]);
    const s1 = detail.s.find((s) => s.i === 1);
    expect(s1?.d).toEqual({ 1: ["6", "5"] });
    expect(s1?.out).toContain(HOSTILE);
    expect(detail.p[s1?.p ?? -1]).toContain("triple_it");
    expect(JSON.parse(data.taskDetails[2] ?? "")).toEqual({
      text: TASKS[2]?.text,
      tests: { "test/0": "assert triple_it(1) == 3", "test/1": "assert triple_it(2) == 6", "test/2": "assert triple_it(3) == 9" },
    });
    expect(data.search[5]).toContain("zerodivisionerror");
  });

  it("shows a comparison's verdict, test and flips, from compareRuns", async () => {
    const { html } = await createHtmlReport([dirA, dirB]);
    expect(html).toContain('id="headline"');
    const flipRows = [...html.matchAll(/class="flip-row"[^>]*data-task="(\d+)" data-sample="(\d+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(flipRows).toEqual(["1:3", "4:2", "2:1", "6:1"]);
    expect(html).toContain("Paired permutation test");
    expect(embedded(html).runs.map((r) => r.label)).toEqual(["A", "B"]);
  });

  it("shows only programs that hash to what was judged, and says how many it left out", async () => {
    const dir = await writeRichRun("run-tampered", "T", { "1": ["pass", "pass"] });
    const lines = (await readFile(join(dir, "samples.jsonl"), "utf8")).trim().split("\n");
    const first = JSON.parse(lines[0] as string) as { program: string };
    first.program += "# changed after judging\n";
    lines[0] = JSON.stringify(first);
    await writeFile(join(dir, "samples.jsonl"), lines.join("\n") + "\n");
    const { html, notes } = await createHtmlReport([dir]);
    expect(notes).toEqual(["1 program(s) in samples.jsonl differ from what was judged and are not shown"]);
    const detail = JSON.parse(embedded(html).runs[0]?.details[0] ?? "") as RunTaskDetail;
    expect(detail.s.map((s) => s.p)).toEqual([undefined, 0]);
  });

  it("without samples.jsonl, takes the programs of a reference run from the benchmark", async () => {
    const dir = await writeRichRun("run-reference", "R", { "2": ["pass"] });
    await rm(join(dir, "samples.jsonl"));
    const reference = "def double(x):\n    return x\n";
    await writeFile(join(dir, "verdicts.jsonl"), JSON.stringify(verdictFor("2", 0, "pass", reference)) + "\n");
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as RunManifest;
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, samples_source: "reference" }));
    const { html, notes } = await createHtmlReport([dir]);
    expect(notes).toEqual([]);
    expect((JSON.parse(embedded(html).runs[0]?.details[0] ?? "") as RunTaskDetail).p).toEqual([reference]);
  });

  it("says a partial run is partial, with its missing and unscorable tasks and the reference failures", async () => {
    const dir = await writeRichRun("run-partial", "P", { "1": ["pass", "pass"], "2": ["wrong_answer", "pass"] });
    const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      join(dir, "summary.json"),
      JSON.stringify({
        ...summary,
        tasks_total: 6,
        partial: true,
        missing_policy: "skip",
        tasks_missing: ["3", "4", "5"],
        tasks_unscorable: ["6"],
        reference_failures: { "6": [{ test: "test/0", why: "raised ZeroDivisionError: division by zero", handling: "left_out" }] },
      }),
    );
    const { html } = await createHtmlReport([dir]);
    expect(html).toContain('<p class="headline worse" id="partial">partial: 2 of 6 tasks: every figure on this page covers only these tasks</p>');
    expect(html).toMatch(/id="tasks-total"><div class="card-title">tasks<\/div><div class="card-value">2 of 6<\/div>/);
    expect(html).toMatch(/id="reference-failures"><div class="card-title">reference failures<\/div><div class="card-value">1 test\(s\) in 1 task\(s\), 1 task\(s\) unscorable</);
    expect(html).toContain("<li>3 task(s) have no sample (3, 4, 5): left out of the figures</li>");
    expect(html).toContain("<li>reference failure: 6 test/0: raised ZeroDivisionError: division by zero (left out)</li>");
    // Beside the six-task run A: compared on the two shared tasks, and the page says so.
    const { html: both } = await createHtmlReport([dirA, dir]);
    expect(both).toContain("(partial: compared on 2 of 6 tasks)");
    expect(both).toMatch(/<tr><th>tasks<\/th><td>6<\/td><td>2 of 6 \(partial\)<\/td>/);
  });

  it("says how many verdicts came from the cache, which tasks are timing-bound, and how a timeout's limit was counted", async () => {
    const dir = await writeRichRun("run-cached", "C", { "1": ["pass", "timeout"], "2": ["pass", "pass"] });
    const summary = JSON.parse(await readFile(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "summary.json"), JSON.stringify({ ...summary, cached: { verdicts: 3, expected_values: true } }));
    const lines = (await readFile(join(dir, "verdicts.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as SampleVerdict);
    const detail = "4.0 s CPU limit (4 × reference 0.9 s), 12.0 s wall (the wall-clock backstop, 3 × the limit)";
    // The page counts from the verdicts (as its grid does): three reused, task 2's first sample 3.5 s into a 4 s limit.
    const edited = lines.map((v, i) => ({
      ...v,
      cached: i > 0,
      tests: v.tests.map((t, j) => ({ ...t, limit_s: 4, ...(t.outcome === "timeout" ? { detail } : {}), ...(v.task_id === "2" && v.sample_index === 0 && j === 0 ? { seconds: 3.5 } : {}) })),
    }));
    await writeFile(join(dir, "verdicts.jsonl"), `${edited.map((v) => JSON.stringify(v)).join("\n")}\n`);
    const { html } = await createHtmlReport([dir]);
    expect(html).toMatch(/id="from-cache"><div class="card-title">from cache<\/div><div class="card-value">3 of 4<\/div>/);
    expect(html).toContain("<li>3 of 4 verdicts from cache (the verdict cache: --no-verdict-cache judges every sample afresh); expected values and reference timings from cache.</li>");
    expect(html).toContain("<li>UNSTABLE: 1 task(s) are timing-bound (a sample finished a test within 25% of its time limit): 2; their verdicts may flip between runs.</li>");
    expect(JSON.stringify(embedded(html))).toContain(JSON.stringify(detail).slice(1, -1));
    // Each reused sample is marked, for its details ("from the verdict cache"); the fresh one is not.
    const rows = embedded(html).runs[0]?.details.flatMap((d) => (JSON.parse(d) as RunTaskDetail).s) ?? [];
    expect(rows.map((r) => r.c ?? 0)).toEqual([0, 1, 1, 1]);
  });

  it("a comparison lists flips on timing-bound tasks apart from the regressions", async () => {
    const a = await writeRichRun("run-tb-a", "A", { "1": ["pass"], "2": ["pass"] });
    const b = await writeRichRun("run-tb-b", "B", { "1": ["timeout"], "2": ["wrong_answer"] });
    // In A, task 1's sample finished a test 3.5 s into its 4 s limit.
    const file = join(a, "verdicts.jsonl");
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as SampleVerdict);
    const near = lines.map((v) => ({ ...v, tests: v.tests.map((t, j) => ({ ...t, limit_s: 4, ...(v.task_id === "1" && j === 0 ? { seconds: 3.5 } : {}) })) }));
    await writeFile(file, `${near.map((v) => JSON.stringify(v)).join("\n")}\n`);
    const { html } = await createHtmlReport([a, b]);
    expect(html).toContain("Regressions: passed in A, failed in B (1)</b>");
    expect(html).toContain("Flips on timing-bound tasks: a sample ran within 25% of a time limit, so a busier machine alone may flip it (1)</b>");
    expect(html).toMatch(/Flips on timing-bound tasks[^]*?<tr class="flip-row" tabindex="0" data-task="1" data-sample="0">/);
  });

  it("says what it cannot show when the benchmark data is not on this machine", async () => {
    const dir = await writeRun(root, { runId: "run-mbpp", outcomes: { "11": ["pass"] } });
    const saved = { data: process.env.VERDICT_DATA_DIR, cache: process.env.VERDICT_CACHE_DIR };
    // Set and empty: no data directory at all, not even one beside the checkout.
    process.env.VERDICT_DATA_DIR = "";
    process.env.VERDICT_CACHE_DIR = join(root, "empty-cache");
    try {
      const { html, notes } = await createHtmlReport([dir]);
      expect(notes).toEqual([
        "test inputs and task descriptions are not shown: no local data for mbpp (pass --data DIR)",
        "programs are not shown: the run directory has no samples.jsonl",
      ]);
      expect(embedded(html).taskDetails).toEqual([""]);
      expect(html).toContain("no local data for mbpp");
    } finally {
      if (saved.data === undefined) delete process.env.VERDICT_DATA_DIR;
      else process.env.VERDICT_DATA_DIR = saved.data;
      if (saved.cache === undefined) delete process.env.VERDICT_CACHE_DIR;
      else process.env.VERDICT_CACHE_DIR = saved.cache;
    }
  });
});

describe("verdict report", () => {
  it("writes report.html into the run, or compare-<A>.html into run B, and names the file", async () => {
    const one = capture();
    expect(await runReportCommand(["run-a"], flags(), one.io)).toBe(0);
    expect(one.out.stdout).toMatch(new RegExp(`^wrote ${join(dirA, "report.html")} \\(\\d+ KiB; 6 tasks, 24 samples\\)\\n$`));
    expect(await readFile(join(dirA, "report.html"), "utf8")).toContain("<!doctype html>");
    const two = capture();
    expect(await runReportCommand([dirA, dirB], flags(), two.io)).toBe(0);
    expect(two.out.stdout).toContain(join(dirB, "compare-run-a.html"));
    const custom = capture();
    const file = join(root, "custom.html");
    expect(await runReportCommand([dirA], flags({ html: file }), custom.io)).toBe(0);
    expect((await readFile(file, "utf8")).length).toBeGreaterThan(1000);
  });

  it("exits 2 with the reason when runs cannot be compared or read", async () => {
    const other = await writeRun(root, { runId: "run-other", outcomes: { "1": ["pass"] }, benchmark: "mbpp-plus" });
    const mixed = capture();
    expect(await runReportCommand([dirA, other], flags(), mixed.io)).toBe(2);
    expect(mixed.out.stderr).toContain("different benchmark");
    const missing = capture();
    expect(await runReportCommand([join(root, "nope")], flags(), missing.io)).toBe(2);
    expect(missing.out.stderr).toContain("not a run directory");
  });
});

// Say why in the run log too: a skipped test is easy to miss in a summary.
if (chromiumMissing) console.warn(chromiumMissing);

describe.skipIf(chromiumMissing !== null)(chromiumMissing ? `HTML report in Chromium: skipped, ${chromiumMissing}` : "HTML report in Chromium", () => {
  let browser: OfflineBrowser;
  let single: string;
  let compare: string;
  beforeAll(async () => {
    single = join(root, "single.html");
    compare = join(root, "compare.html");
    await writeFile(single, (await createHtmlReport([dirA])).html);
    await writeFile(compare, (await createHtmlReport([dirA, dirB])).html);
    browser = await launchOfflineBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const text = (selector: string) => browser.page.locator(selector).first().innerText();
  async function counts(): Promise<[string, string]> {
    return [await text("#count-tasks"), await text("#count-samples")];
  }
  async function waitForCounts(tasks: string, samples: string): Promise<void> {
    await browser.page.waitForFunction(
      ([t, s]) => {
        const doc = (globalThis as unknown as PageGlobals).document;
        return doc.getElementById("count-tasks")?.textContent === t && doc.getElementById("count-samples")?.textContent === s;
      },
      [tasks, samples],
      { timeout: 5000 },
    );
  }

  it("loads from a file:// URL with every network request blocked, and shows the right counts", async () => {
    await browser.open(single);
    expect(browser.blocked).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    expect(await counts()).toEqual(["6", "24"]);
    expect(await text("#total-tasks")).toBe("6");
    expect(await text("#pass-at-1 .card-value")).toBe("58.3%");
    expect(await text(".chip[data-outcome='pass']")).toContain("14");
    expect(await text(".chip[data-outcome='runtime_error']")).toContain("5");
    expect(await browser.page.locator("svg.chart rect[data-outcome]").count()).toBe(5);
  });

  it("an outcome filter changes what is shown", async () => {
    await browser.open(single);
    await browser.page.click(".chip[data-outcome='pass']");
    await waitForCounts("4", "10");
    expect(await browser.page.getAttribute(".chip[data-outcome='pass']", "aria-pressed")).toBe("false");
    await browser.page.click("#outcomes-none");
    await waitForCounts("0", "0");
    expect(await browser.page.isVisible("#grid-empty")).toBe(true);
    await browser.page.click(".chip[data-outcome='wrong_answer']");
    await waitForCounts("2", "3");
    await browser.page.click("#outcomes-all");
    await waitForCounts("6", "24");
  });

  it("the text filter matches task ids, descriptions and failure details", async () => {
    await browser.open(single);
    await browser.page.fill("#search", "triple");
    await waitForCounts("1", "4");
    await browser.page.fill("#search", "ZeroDivisionError");
    await waitForCounts("1", "4");
    await browser.page.fill("#search", "no such text anywhere");
    await waitForCounts("0", "0");
    await browser.page.fill("#search", "");
    await waitForCounts("6", "24");
  });

  it("clicking a cell opens the sample: highlighted program, tests with input, expected and actual, and its output as text", async () => {
    await browser.open(single);
    const at = await browser.page.evaluate(() => (globalThis as unknown as PageGlobals).verdictReport.cellCenter("3", 1));
    expect(at).not.toBeNull();
    await browser.page.mouse.click(at?.x ?? 0, at?.y ?? 0);
    await browser.page.waitForSelector("#details:not([hidden])");
    expect(await text("#details-title")).toBe("Task 3 · sample 1");
    expect(await text("#details .task-text")).toBe(TASKS[2]?.text);
    expect(await text("#details .status")).toBe("wrong answer");
    const row = browser.page.locator("#details table.tests tr.fail");
    expect(await row.count()).toBe(1);
    expect(await row.locator("td").allInnerTexts()).toEqual(["test/1", "assert triple_it(2) == 6", "6", "5", "wrong answer", "1 ms"]);
    expect(await browser.page.locator("#details .src span.k", { hasText: "def" }).count()).toBe(1);
    expect(await browser.page.locator("#details .src span.f").first().innerText()).toBe("triple_it");
    expect(await text("#details pre.stdout")).toContain(HOSTILE);
    expect(await browser.page.locator("#details pre.stderr").textContent()).toBe("warning: from stderr\n");
    // The hostile markup stayed text: no element was created from it and nothing ran.
    expect(await browser.page.locator("#injected, #details img").count()).toBe(0);
    expect(await browser.page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned)).toBeUndefined();
    await browser.page.keyboard.press("Escape");
    expect(await browser.page.isHidden("#details")).toBe(true);
    expect(browser.pageErrors).toEqual([]);
  });

  it("a comparison highlights the flips, filters to them, and opens both sides of one", async () => {
    await browser.open(compare);
    expect(await text("#headline")).toMatch(/^No significant difference/);
    expect(await counts()).toEqual(["6", "24"]);
    await browser.page.selectOption("#flip-filter", "regressions");
    await waitForCounts("2", "2");
    await browser.page.selectOption("#flip-filter", "improvements");
    await waitForCounts("2", "2");
    await browser.page.click(".flip-row[data-task='4'][data-sample='2']");
    await browser.page.waitForSelector("#details:not([hidden])");
    expect(await text("#details .flip-note")).toBe("Regression: passed in A, fails in B");
    expect(await browser.page.locator("#details .run-detail .status").allInnerTexts()).toEqual(["pass", "wrong answer"]);
    expect(browser.blocked).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });

  it("renders a screenshot of the right size", async () => {
    await browser.open(compare);
    await browser.page.click(".flip-row[data-task='1'][data-sample='3']");
    await browser.page.waitForSelector("#details:not([hidden])");
    const path = join(tmpdir(), `verdict-report-screenshot-${process.pid}.png`);
    await browser.page.screenshot({ path });
    const png = await readFile(path);
    expect(png.length).toBeGreaterThan(10_000);
    expect(pngSize(png)).toEqual({ width: 1280, height: 900 });
    console.log(`report screenshot: ${path} (${png.length.toLocaleString("en")} bytes)`);
  });
});
