import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linePlot, renderRoundsHtml } from "../../../src/report/html/selfplay-report.js";
import type { RoundRow, RoundsReport } from "../../../src/selfplay/round-report.js";
import { chromiumMissing, launchOfflineBrowser, pngSize, type OfflineBrowser } from "../../helpers/browser.js";

/** Four rounds whose Pass@1 rises 25 → 100 % (the learnable policy's), with a round still unfinished as the last. */
function report(): RoundsReport {
  const row = (round: number): RoundRow => ({
    round,
    complete: round < 3,
    checkpoint: round === 0 ? "/ckpt/start" : `/run/round-${round}/train/checkpoint`,
    served_model: "policy",
    data: round === 0 ? {} : { dpo: { rows: 8, sha256: "x", file: "dpo.jsonl" }, prm: { rows: 12, sha256: "y", file: "prm.jsonl" } },
    tcg_validity: round === 0 ? null : { value: 13 / 24, low: 0.35, high: 0.72 },
    search: round === 0 ? null : { tasks: 4, solved: round + 1, solve_rate: (round + 1) / 4 },
    evaluation: {
      vanilla: {
        pass1: { value: (round + 1) / 4, low: round / 4, high: Math.min(1, (round + 2) / 4), tasks: 4, samples: 16 },
        aspr: { value: 0.5, low: 0.2, high: 0.8, definition: "A" },
        delta_vs_round0: round === 0 ? null : { value: round / 4, low: round / 4, high: round / 4, tasks: 4, p_value: 0.125 },
      },
    },
    trainer: round === 0 ? null : { command: "train <script>", exit_code: 0 },
    budgets: { phases: { evaluate: { seconds: 1.5, attempts: 1, model_calls: 12 } }, model_calls: 12 + round * 16, tokens: 0, sandbox_cpu_seconds: 3 },
  });
  return { rounds: [0, 1, 2, 3].map(row) };
}

describe("the HTML round report", () => {
  it("escapes what it prints and allows no script and no connection", () => {
    const hostile = report();
    const first = hostile.rounds[1];
    if (first) first.served_model = "<img src=x>";
    const html = renderRoundsHtml(hostile, "selfplay <run>");
    expect(html).toContain("<title>selfplay &lt;run&gt;</title>");
    expect(html).toContain("(&lt;img src=x&gt;)");
    expect(html).not.toContain("<img");
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"`);
    expect(html).not.toMatch(/<script/i);
  });

  it("leaves a round without a value out of its line instead of drawing it at zero", () => {
    const svg = linePlot("p", "t", [0, 1, 2], [{ name: "s", values: [0.5, null, 1] }], true);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('data-round="2" data-value="1"');
  });
});

if (chromiumMissing) console.warn(chromiumMissing);

describe.skipIf(chromiumMissing !== null)(chromiumMissing ? `HTML round report in Chromium: skipped, ${chromiumMissing}` : "HTML round report in Chromium", () => {
  let browser: OfflineBrowser;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "verdict-rounds-html-"));
    file = join(dir, "rounds.html");
    writeFileSync(file, renderRoundsHtml(report(), "verdict selfplay: test"));
    browser = await launchOfflineBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("renders offline: five line plots across the rounds, Pass@1 rising with its interval band, and the rounds table", async () => {
    await browser.open(file, "svg#plot-pass1");
    expect(browser.blocked).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    const page = browser.page;
    expect(await page.locator("svg.plot").count()).toBe(5);
    const dots = page.locator("svg#plot-pass1 circle");
    expect(await dots.count()).toBe(4);
    const points = await dots.evaluateAll((els) => els.map((e) => ({ round: e.getAttribute("data-round"), value: Number(e.getAttribute("data-value")), y: (e as unknown as { getBoundingClientRect(): { y: number } }).getBoundingClientRect().y })));
    expect(points.map((p) => p.value)).toEqual([0.25, 0.5, 0.75, 1]);
    // Higher on the page each round: the line rises.
    for (let i = 1; i < points.length; i++) expect(points[i]?.y ?? 0).toBeLessThan(points[i - 1]?.y ?? 0);
    expect(await page.locator("svg#plot-pass1 polygon.band").count()).toBe(1);
    const box = await page.locator("svg#plot-pass1").boundingBox();
    expect(box?.width).toBeGreaterThan(400);
    expect(box?.height).toBeGreaterThan(200);
    expect(await page.locator("svg#plot-pass1 circle title").first().textContent()).toBe("vanilla, round 0: 25.0%");
    // Round 0 has no search: the solve-rate line starts at round 1.
    expect(await page.locator("svg#plot-search circle[data-series='search solved']").count()).toBe(3);
    expect(await page.locator("table.rounds tbody tr").count()).toBe(4);
    expect(await page.locator("table.rounds tr[data-round='3'] td").first().innerText()).toBe("3 (unfinished)");
    expect(await page.locator("table.rounds tr[data-round='2']").innerText()).toContain("+50.0 pts (p 0.125)");
    const png = await page.screenshot({ fullPage: true, ...(process.env.VERDICT_SCREENSHOT ? { path: process.env.VERDICT_SCREENSHOT } : {}) });
    expect(pngSize(png).width).toBe(1280);
  });
});
