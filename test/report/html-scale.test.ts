import { createWriteStream } from "node:fs";
import { mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { Outcome, SampleVerdict, TestVerdict } from "../../src/core/index.js";
import { createHtmlReport } from "../../src/report/html/build-report.js";
import { sha256 } from "../../src/util/hash.js";
import { chromiumMissing, launchOfflineBrowser } from "../helpers/browser.js";
import { writeRun } from "../fixtures/runs/write-run.js";

/*
 * A synthetic run the size the report must stay fast at: 500 tasks × 200 samples, 3 to 8
 * tests per task, outcomes drawn per task difficulty, every program distinct (as sampling at a
 * temperature gives). Sizes and times are printed for the record, not asserted.
 */
const TASKS = 500;
const SAMPLES = 200;
const FAILURES: Outcome[] = ["wrong_answer", "wrong_answer", "wrong_answer", "runtime_error", "runtime_error", "timeout", "syntax_error", "memory_exceeded"];

/** A small seeded generator, so the run is the same every time. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function program(t: number, s: number): string {
  return `def solve_${t}(xs):\n    """Sample ${s}."""\n    total = 0\n    for i, x in enumerate(xs):\n        if i % ${(s % 5) + 2} == 0:\n            total += x * ${s % 9}\n    return total\n`;
}

function verdict(t: number, s: number, status: Outcome, tests: number): SampleVerdict {
  const list: TestVerdict[] = Array.from({ length: tests }, (_, k) => ({ id: `test/${k}`, outcome: "pass", seconds: 0.0004 + k * 0.0001 }));
  const v: SampleVerdict = { task_id: `Mbpp/${t + 2}`, sample_index: s, status, tests: list, weak: false, seconds: 0.03, cached: false, program_sha256: sha256(program(t, s)) };
  const at = s % tests;
  if (status === "syntax_error") {
    v.tests = list.map((x) => ({ id: x.id, outcome: "syntax_error" }));
    v.load_detail = `SyntaxError: invalid syntax (line ${(s % 6) + 1})`;
  } else if (status !== "pass") {
    const detail =
      status === "wrong_answer" ? `expected [${t}, ${s}, 3] got [${t}, ${s}]` : status === "runtime_error" ? `IndexError: list index out of range` : `${status.replace("_", " ")}`;
    list[at] = { id: `test/${at}`, outcome: status, seconds: status === "timeout" ? 4 : 0.001, detail };
  }
  return v;
}

let root: string;
let dir: string;
let samplesFile: string;
let verdictCount = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-html-scale-"));
  dir = await writeRun(root, { runId: "big", outcomes: {}, benchmark: "synthetic.jsonl", split: "all", k: [1, 10, 100] });
  const rand = lcg(7);
  const verdicts = createWriteStream(join(dir, "verdicts.jsonl"));
  const samples = createWriteStream(join(root, "samples.jsonl.pending"));
  for (let t = 0; t < TASKS; t++) {
    const difficulty = rand();
    const tests = 3 + Math.floor(rand() * 6);
    let chunkV = "";
    let chunkS = "";
    for (let s = 0; s < SAMPLES; s++) {
      const status: Outcome = rand() < difficulty ? "pass" : (FAILURES[Math.floor(rand() * FAILURES.length)] as Outcome);
      chunkV += `${JSON.stringify(verdict(t, s, status, tests))}\n`;
      chunkS += `${JSON.stringify({ task_id: `Mbpp/${t + 2}`, sample_index: s, program: program(t, s) })}\n`;
      verdictCount++;
    }
    if (!verdicts.write(chunkV)) await once(verdicts, "drain");
    if (!samples.write(chunkS)) await once(samples, "drain");
  }
  verdicts.end();
  samples.end();
  await Promise.all([once(verdicts, "close"), once(samples, "close")]);
  samplesFile = join(root, "samples.jsonl.pending");
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Say why in the run log too: a skipped test is easy to miss in a summary.
if (chromiumMissing) console.warn(chromiumMissing);

/** Builds the report, writes it, and returns its path, byte size and build time. */
async function build(name: string): Promise<{ file: string; bytes: number; ms: number }> {
  const t0 = performance.now();
  const report = await createHtmlReport([dir]);
  const ms = performance.now() - t0;
  const file = join(root, name);
  await writeFile(file, report.html);
  expect(report.samples).toBe(TASKS * SAMPLES);
  return { file, bytes: (await stat(file)).size, ms };
}

/** What tests reach in the report page (the project compiles without DOM types). */
interface PageGlobals {
  document: { getElementById(id: string): { textContent: string | null } | null };
  verdictReport: { cellCenter(taskId: string, sample: number): { x: number; y: number } | null; readyMs: number };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

describe(`an HTML report of ${TASKS} tasks × ${SAMPLES} samples`, () => {
  const built: Record<string, { file: string; bytes: number; ms: number }> = {};

  it("is generated, with and without the programs", async () => {
    expect(verdictCount).toBe(TASKS * SAMPLES);
    built.verdicts = await build("verdicts-only.html");
    await rename(samplesFile, join(dir, "samples.jsonl"));
    built.programs = await build("with-programs.html");
    console.log(`500 × 200 run: verdicts.jsonl ${mib((await stat(join(dir, "verdicts.jsonl"))).size)}, samples.jsonl ${mib((await stat(join(dir, "samples.jsonl"))).size)}`);
    for (const [what, b] of Object.entries(built)) {
      console.log(`500 × 200 report (${what === "verdicts" ? "verdicts only" : "with samples.jsonl programs"}): ${mib(b.bytes)}, built in ${Math.round(b.ms)} ms`);
    }
    expect(built.programs?.bytes ?? 0).toBeGreaterThan(built.verdicts?.bytes ?? 0);
  });

  it.skipIf(chromiumMissing !== null)(
    chromiumMissing ? `loads in Chromium: skipped, ${chromiumMissing}` : "loads in Chromium, filters and opens a sample",
    async () => {
      const browser = await launchOfflineBrowser();
      try {
        for (const [what, b] of Object.entries(built)) {
          const t0 = performance.now();
          await browser.open(b.file);
          const wall = performance.now() - t0;
          const inPage = await browser.page.evaluate(() => (globalThis as unknown as PageGlobals).verdictReport.readyMs);
          expect(await browser.page.innerText("#count-samples")).toBe("100,000");
          expect(await browser.page.innerText("#count-tasks")).toBe("500");

          const f0 = performance.now();
          await browser.page.click(".chip[data-outcome='pass']");
          await browser.page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.getElementById("count-samples")?.textContent !== "100,000");
          const filterMs = performance.now() - f0;
          const shown = Number((await browser.page.innerText("#count-samples")).replace(/,/g, ""));
          expect(shown).toBeGreaterThan(0);
          expect(shown).toBeLessThan(TASKS * SAMPLES);

          // The first sample of Mbpp/400 still shown once passes are hidden.
          const at = await browser.page.evaluate(() => {
            const api = (globalThis as unknown as PageGlobals).verdictReport;
            for (let s = 0; s < 200; s++) {
              const c = api.cellCenter("Mbpp/400", s);
              if (c) return { ...c, sample: s };
            }
            return null;
          });
          expect(at).not.toBeNull();
          if (what === "programs") {
            const shot = join(tmpdir(), `verdict-report-500x200-${process.pid}.png`);
            await browser.page.screenshot({ path: shot });
            console.log(`500 × 200 report screenshot (passes hidden): ${shot}`);
          }
          const d0 = performance.now();
          await browser.page.mouse.click(at?.x ?? 0, at?.y ?? 0);
          await browser.page.waitForSelector("#details:not([hidden]) table.tests");
          const detailsMs = performance.now() - d0;
          expect(await browser.page.innerText("#details-title")).toBe(`Task Mbpp/400 · sample ${at?.sample}`);
          expect(browser.blocked).toEqual([]);
          expect(browser.pageErrors).toEqual([]);
          console.log(
            `500 × 200 report (${what === "verdicts" ? "verdicts only" : "with programs"}, ${mib(b.bytes)}): ` +
              `ready ${Math.round(inPage)} ms after navigation (${Math.round(wall)} ms wall), ` +
              `outcome filter ${Math.round(filterMs)} ms, sample details ${Math.round(detailsMs)} ms`,
          );
        }
      } finally {
        await browser.close();
      }
    },
  );
});
