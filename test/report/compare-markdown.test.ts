import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import type { Outcome } from "../../src/core/index.js";
import { compareRuns } from "../../src/report/compare.js";
import type { CompareResult } from "../../src/report/compare.js";
import { formatPoints, pText, renderCompareMarkdown, renderCompareText } from "../../src/report/compare-markdown.js";
import { readRunDir } from "../../src/report/run-dir.js";
import { taskIds, writeRun } from "../fixtures/runs/write-run.js";

let root: string;
let worse: CompareResult;
let multi: CompareResult;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-compare-md-"));
  const single = (f: (i: number) => Outcome) => Object.fromEntries(taskIds(30).map((id, i) => [id, [f(i)]]));
  const a = await readRunDir(await writeRun(root, { runId: "ckpt-100", outcomes: single((i) => (i < 24 ? "pass" : "wrong_answer")) }));
  const b = await readRunDir(
    await writeRun(root, {
      runId: "ckpt-200",
      imageId: "sha256:9999",
      outcomes: single((i) => (i < 12 ? "runtime_error" : i < 24 ? "pass" : i === 29 ? "pass" : "wrong_answer")),
    }),
  );
  worse = compareRuns(a, b);
  const many = (passes: number) => Object.fromEntries(taskIds(6).map((id) => [id, [0, 1, 2].map((s): Outcome => (s < passes ? "pass" : "timeout"))]));
  const c = await readRunDir(await writeRun(root, { runId: "m-a", outcomes: many(3), k: [1, 3] }));
  const d = await readRunDir(await writeRun(root, { runId: "m-b", outcomes: many(2), k: [1, 3] }));
  // 6 of 6 tasks lose a sample: p = 2/64, not significant at α = 0.01.
  multi = compareRuns(c, d, { alpha: 0.01 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("renderCompareMarkdown", () => {
  it("leads with the conclusion and a headline table", () => {
    const md = renderCompareMarkdown(worse);
    const lines = md.split("\n");
    expect(lines[0]).toBe("### verdict compare: mbpp / test");
    expect(lines[2]).toMatch(/^\*\*B is significantly worse than A: pass@1 −36\.7 points, p = 0\.0034 \(α = 0\.05\)\*\*$/);
    expect(md).toContain("|  | A (baseline) | B (candidate) | B − A (points) |");
    expect(md).toContain("| run | `ckpt-100` | `ckpt-200` |  |");
    expect(md).toMatch(/\| pass@1 \| 80\.0% \\\[\d+\.\d%, \d+\.\d%\\\] \| 43\.3% \\\[.*\\\] \| −36\.7 \\\[−\d+\.\d, −\d+\.\d\\\] \|/);
    expect(md).toContain("Exact McNemar test on 13 discordant samples (12 pass only in A, 1 only in B)");
  });

  it("folds long flip lists, escapes markdown and lists warnings", () => {
    const md = renderCompareMarkdown(worse);
    expect(md).toContain("#### Regressions (12): passed in A, failed in B");
    expect(md).toContain("<details><summary>show all</summary>");
    expect(md).toContain("| 11 | pass | runtime\\_error | test/0: runtime\\_error detail |");
    expect(md).toContain(
      "#### Improvements (1): failed in A, passed in B\n\n| task | A | B | why A failed |\n|---|---|---|---|\n| 40 | wrong\\_answer | pass | test/0: wrong\\_answer detail |",
    );
    expect(md).toContain("Flip kinds: pass → runtime\\_error ×12, wrong\\_answer → pass ×1.");
    expect(md).toContain("#### Warnings\n\n- different sandbox images: A sha256:1111, B sha256:9999");
  });

  it("shows sample indices and every pass@k with several samples per task", () => {
    const md = renderCompareMarkdown(multi);
    expect(md).toContain("| task | sample | A | B | why B failed |");
    expect(md).toContain("| 11 | 2 | pass | timeout | test/0: timeout detail |");
    expect(md).toMatch(/\| pass@3 \| 100\.0% \| 100\.0% \| 0\.0 \|/);
    expect(md).toContain("Paired permutation test on per-task pass rates (6 tasks differ; exact, all 64 sign flips): p = 0.031.");
    expect(md).toContain("**No significant difference: pass@1 −33.3 points, p = 0.031 (α = 0.01)**");
    expect(md).not.toContain("#### Warnings");
  });
});

describe("markdown escaping", () => {
  it("keeps a failure detail with pipes, backticks and newlines inside its cell", () => {
    const first = worse.flips.regressions[0];
    if (!first) throw new Error("fixture has regressions");
    const r: CompareResult = {
      ...worse,
      flips: { ...worse.flips, regressions: [{ ...first, detail: "expected `a|b`\ngot *x*" }] },
    };
    expect(renderCompareMarkdown(r)).toContain("| 11 | pass | runtime\\_error | expected \\`a\\|b\\` got \\*x\\* |");
  });
});

describe("renderCompareText", () => {
  it("renders the headline and flips as tables", () => {
    const text = renderCompareText(worse);
    expect(text.split("\n")[0]).toBe("mbpp / test: B is significantly worse than A: pass@1 −36.7 points, p = 0.0034 (α = 0.05)");
    expect(text).toMatch(/│ pass@1\s+│ 80\.0% \[/);
    expect(text).toMatch(/│ 11\s+│ pass\s+│ runtime_error\s+│ test\/0: runtime_error detail\s+│/);
    expect(text).toContain("Improvements (1): failed in A, passed in B:");
    expect(text).toContain("Warnings:\n  - different sandbox images");
    // No ANSI colour codes: the output goes to CI logs.
    expect(text).not.toContain("\u001b[");
  });
});

describe("long flip lists", () => {
  it("show 50 rows per direction in the terminal and say how many more there are", async () => {
    const outcomes = (o: Outcome) => Object.fromEntries(taskIds(60).map((id) => [id, [o]]));
    const a = await readRunDir(await writeRun(root, { runId: "all-pass", outcomes: outcomes("pass") }));
    const b = await readRunDir(await writeRun(root, { runId: "all-fail", outcomes: outcomes("killed") }));
    const r = compareRuns(a, b);
    expect(r.flips.regressions).toHaveLength(60);
    const text = renderCompareText(r);
    expect(text).toMatch(/│ 60\s+│ pass\s+│ killed/);
    expect(text).not.toMatch(/│ 61\s+│/);
    expect(text).toContain("… and 10 more (verdict compare --json lists them all)");
    expect(renderCompareMarkdown(r)).toMatch(/\| 70 \| pass \| killed \|/);
  });
});

describe("number formatting", () => {
  it("signs points with a real minus and formats p-values", () => {
    expect(formatPoints(-0.0461)).toBe("−4.6");
    expect(formatPoints(0.012)).toBe("+1.2");
    expect(formatPoints(-0.0001)).toBe("0.0");
    expect(pText(0.031249)).toBe("p = 0.031");
    expect(pText(1)).toBe("p = 1");
    expect(pText(3e-7)).toBe("p < 0.0001");
  });
});
