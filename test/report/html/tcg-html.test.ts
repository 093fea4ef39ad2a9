import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TcgSummary } from "../../../src/pipelines/tcg-summary.js";
import { readTcgSummary, renderTcgSection } from "../../../src/report/html/tcg-html.js";

const rate = (successes: number, n: number) => ({ successes, n, estimate: n === 0 ? 0 : successes / n, low: 0.1, high: 0.9 });
const programRate = (successes: number, n: number, untested = 0) => ({ rate: rate(successes, n), untested, undetermined: 0 });

/** A TCG summary of one model whose name is markup, one unit failed. */
const summary: TcgSummary = {
  complete: false,
  tasks: 2,
  settings: { requests: 1, cases: 3, max_case_chars: 100 },
  units: { total: 2, validated_now: 1, from_disk: 0 },
  incomplete: [{ model: "<m>", task_id: "601", error: "HTTP 500" }],
  models: [
    {
      name: "<m>",
      model: "tcg-1.3b",
      provider: "completions",
      requests: { asked: 2, answered: 1, cached: 0, failed: 1 },
      cases: { asked: 3, extra: 0, missing: 0 },
      programs: { reference: 1, correct: 0, wrong_samples: 0, mutants: 2 },
      quality: {
        cases: { total: 3, counted: 3, byValidity: { valid: 2, wrong_output: 1, reference_error: 0, timeout: 0, unparsable: 0, duplicate: 0, too_long: 0, sandbox_error: 0 } },
        validity: rate(2, 3),
        validityOfExecuted: rate(2, 3),
        tasks: { total: 1, withoutCases: 0, allValid: rate(0, 1) },
        perTask: { "602": { counted: 3, valid: 2 } },
        tpr: { reference: programRate(1, 1), correct: programRate(0, 0), all: programRate(1, 1), testPassRate: rate(2, 2) },
        killRate: { samples: programRate(0, 0), mutants: programRate(1, 2, 1), all: programRate(1, 2, 1) },
      },
    },
  ],
  mutants: { max: 3, seed: 0, made: 3, kept: 2, equivalent: 1, stillborn: 0, undetermined: 0, references_not_mutated: 0 },
  runs: [],
  exports: null,
  seconds: 1,
};

describe("the TCG section of verdict report", () => {
  it("shows the terminal table's rows, escaped, and says the run is incomplete", () => {
    const html = renderTcgSection(summary, "/runs/t<1>");
    expect(html).toContain("<th>&lt;m&gt;</th>");
    expect(html).not.toContain("<m>");
    expect(html).toContain("<th>validity: valid / cases</th><td>66.7% [10.0%, 90.0%] (2/3)</td>");
    expect(html).toContain("<th>&nbsp;&nbsp;mutants (equivalent ones left out)</th><td>50.0% [10.0%, 90.0%] (1/2); 1 untested</td>");
    expect(html).toContain("INCOMPLETE: 1 (model, task) unit(s)");
    expect(html).toContain("mutants: 3 made (at most 3 per reference, seed 0); 2 kept, 1 equivalent");
    expect(html).toContain("verdict eval --tests tcg:/runs/t&lt;1&gt;");
  });

  it("reads the tcg section of summary.json, and nothing from another run's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-tcg-html-"));
    try {
      expect(await readTcgSummary(dir)).toBeUndefined();
      writeFileSync(join(dir, "summary.json"), JSON.stringify({ benchmark: "mbpp", split: "train", pass_at_k: { "1": 1 } }));
      expect(await readTcgSummary(dir)).toBeUndefined();
      writeFileSync(join(dir, "summary.json"), JSON.stringify({ benchmark: "mbpp", split: "train", tcg: summary }));
      expect((await readTcgSummary(dir))?.models[0]?.quality.validity).toMatchObject({ successes: 2, n: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
