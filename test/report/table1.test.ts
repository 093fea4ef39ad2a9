import { describe, expect, it } from "vitest";
import { buildTable1Json, pct, renderTable1, renderTable1Markdown, signedPct, type Table1Input } from "../../src/report/table1.js";

const fig = (value: number | null, low: number, high: number, method = "bootstrap") => ({ value, ci: value === null ? null : { low, high, method } });

const input: Table1Input = {
  runDir: "/runs/r1",
  benchmark: { name: "mbpp", split: "test", tasks: 500 },
  settings: {
    pass1: { temperature: 0, top_p: 1, n: 1 },
    aspr: { definition: "A", paths: 4, finals: 4, temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1 },
    ci: { resamples: 10000 },
  },
  models: [
    {
      name: "qwen2.5-1.5b",
      styles: {
        vanilla: { pass1: fig(0.558, 0.514, 0.601, "wilson"), aspr: { ...fig(0.499, 0.45, 0.55), tasksCounted: 310 } },
        pseudocode: { pass1: fig(0.467, 0.423, 0.511, "wilson"), aspr: { ...fig(0.545, 0.5, 0.59), tasksCounted: 280 } },
      },
      delta: { pass1: fig(-0.091, -0.13, -0.05), aspr: fig(0.046, -0.01, 0.1) },
      paper: { vanilla: { pass1: 55.8, aspr: 49.9 }, pseudocode: { pass1: 46.7, aspr: 54.5 } },
    },
    {
      name: "ours-only",
      styles: {
        vanilla: { pass1: fig(1, 0.95, 1, "wilson"), aspr: { ...fig(null, 0, 0), tasksCounted: 0 } },
      },
      delta: null,
      paper: null,
    },
  ],
};

describe("Table 1", () => {
  it("formats percentages as the paper does, with a sign on differences", () => {
    expect([pct(0.558), pct(1), pct(null), signedPct(0.046), signedPct(-0.091), signedPct(0), signedPct(null)]).toEqual(["55.8", "100.0", "-", "+4.6", "-9.1", "+0.0", "-"]);
  });

  it("gives rows of fractions, with the paper's figures as fractions too", () => {
    const json = buildTable1Json(input);
    expect(json.rows[0]).toEqual({
      model: "qwen2.5-1.5b",
      vanilla: { pass1: 0.558, aspr: 0.499, pass1_ci: [0.514, 0.601], aspr_ci: [0.45, 0.55], aspr_tasks: 310 },
      pseudocode: { pass1: 0.467, aspr: 0.545, pass1_ci: [0.423, 0.511], aspr_ci: [0.5, 0.59], aspr_tasks: 280 },
      delta: { pass1: -0.091, aspr: 0.046, pass1_ci: [-0.13, -0.05], aspr_ci: [-0.01, 0.1] },
      paper: {
        vanilla: { pass1: expect.closeTo(0.558, 12), aspr: expect.closeTo(0.499, 12) },
        pseudocode: { pass1: expect.closeTo(0.467, 12), aspr: expect.closeTo(0.545, 12) },
        delta: { pass1: expect.closeTo(-0.091, 12), aspr: expect.closeTo(0.046, 12) },
      },
    });
    expect(json.rows[1]).toMatchObject({ model: "ours-only", pseudocode: null, delta: null, paper: null, vanilla: { aspr: null, aspr_ci: null } });
    expect(json.aspr).toMatchObject({ definition: "A", paths: 4, finals: 4, temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1 });
    expect(json.pass1.ci).toBe("95% Wilson score interval");
    expect(json.aspr.ci).toBe("95% percentile bootstrap over tasks (10000 resamples)");
  });

  it("prints one Vanilla / Pseudocode / delta group per model, ours beside the paper's, and names the ASPR definition and sampling", () => {
    expect(renderTable1(input)).toMatchInlineSnapshot(`
      "┌─────────────────────┬─────────────────────────────────────────────┬────────────────────────────────┐
      │                     │                qwen2.5-1.5b                 │           ours-only            │
      ├────────────┬────────┼──────────────┬──────────────┬───────────────┼───────────────┬────────────┬───┤
      │ metric     │        │ Vanilla      │ Pseudocode   │ Δ             │ Vanilla       │ Pseudocode │ Δ │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │ Pass@1 (%) │ ours   │ 55.8         │ 46.7         │ -9.1          │ 100.0         │ -          │ - │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │            │ 95% CI │ [51.4, 60.1] │ [42.3, 51.1] │ [-13.0, -5.0] │ [95.0, 100.0] │ -          │ - │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │            │ paper  │ 55.8         │ 46.7         │ -9.1          │ -             │ -          │ - │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │ ASPR-A (%) │ ours   │ 49.9         │ 54.5         │ +4.6          │ -             │ -          │ - │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │            │ 95% CI │ [45.0, 55.0] │ [50.0, 59.0] │ [-1.0, +10.0] │ -             │ -          │ - │
      ├────────────┼────────┼──────────────┼──────────────┼───────────────┼───────────────┼────────────┼───┤
      │            │ paper  │ 49.9         │ 54.5         │ +4.6          │ -             │ -          │ - │
      └────────────┴────────┴──────────────┴──────────────┴───────────────┴───────────────┴────────────┴───┘
      mbpp test split, 500 tasks. Δ = Pseudocode − Vanilla, in points.
      Pass@1: 1 sample(s) per task at temperature 0, top_p 1; interval: 95% Wilson score interval.
      ASPR (A): over tasks with a correct path, the fraction of final steps sampled from correct paths' prefixes that pass all tests.
      ASPR sampling: P = 4 paths per task, M = 4 final steps per path, temperature 0.8, top_p 0.95, top_k 40, repetition_penalty 1.1; interval: 95% percentile bootstrap over tasks (10000 resamples).
      Paper: o1-Coder (arXiv 2412.00154), Table 1; it states neither its ASPR formula nor its sampling settings.
      results: /runs/r1
      "
    `);
  });

  it("writes the same table as markdown", () => {
    expect(renderTable1Markdown(input)).toMatchInlineSnapshot(`
      "# Table 1: pseudocode vs vanilla on mbpp

      | metric |  | qwen2.5-1.5b Vanilla | qwen2.5-1.5b Pseudocode | qwen2.5-1.5b Δ | ours-only Vanilla | ours-only Pseudocode | ours-only Δ |
      |---|---|---:|---:|---:|---:|---:|---:|
      | Pass@1 (%) | ours | 55.8 | 46.7 | -9.1 | 100.0 | - | - |
      |  | 95% CI | [51.4, 60.1] | [42.3, 51.1] | [-13.0, -5.0] | [95.0, 100.0] | - | - |
      |  | paper | 55.8 | 46.7 | -9.1 | - | - | - |
      | ASPR-A (%) | ours | 49.9 | 54.5 | +4.6 | - | - | - |
      |  | 95% CI | [45.0, 55.0] | [50.0, 59.0] | [-1.0, +10.0] | - | - | - |
      |  | paper | 49.9 | 54.5 | +4.6 | - | - | - |

      - mbpp test split, 500 tasks. Δ = Pseudocode − Vanilla, in points.
      - Pass@1: 1 sample(s) per task at temperature 0, top_p 1; interval: 95% Wilson score interval.
      - ASPR (A): over tasks with a correct path, the fraction of final steps sampled from correct paths' prefixes that pass all tests.
      - ASPR sampling: P = 4 paths per task, M = 4 final steps per path, temperature 0.8, top_p 0.95, top_k 40, repetition_penalty 1.1; interval: 95% percentile bootstrap over tasks (10000 resamples).
      - Paper: o1-Coder (arXiv 2412.00154), Table 1; it states neither its ASPR formula nor its sampling settings.
      "
    `);
  });

  it("prints an incomplete table under an INCOMPLETE banner, with each figure's real denominator", () => {
    const [first, second] = input.models;
    const partial: Table1Input = {
      ...input,
      models: [
        {
          ...first!,
          styles: {
            vanilla: { pass1: { ...fig(0.55, 0.5, 0.6, "wilson"), tasks: 498 }, aspr: { ...fig(0.5, 0.45, 0.55), tasksCounted: 300, tasks: 497 } },
            pseudocode: { pass1: { ...fig(0.467, 0.423, 0.511, "wilson"), tasks: 500 }, aspr: { ...fig(0.545, 0.5, 0.59), tasksCounted: 280, tasks: 500 } },
          },
        },
        second!,
      ],
      incomplete: [
        { model: "qwen2.5-1.5b", style: "vanilla", purpose: "pass1", tasks: ["13", "14"] },
        { model: "qwen2.5-1.5b", style: "vanilla", purpose: "aspr", tasks: ["13", "20", "31"] },
      ],
    };
    const json = buildTable1Json(partial);
    expect(json).toMatchObject({ complete: false, tasks: 500 });
    expect(json.rows[0]?.vanilla).toMatchObject({ pass1_tasks: 498, aspr_tasks_sampled: 497 });
    const text = renderTable1(partial);
    expect(text.split("\n")[0]).toBe(
      "INCOMPLETE: generation failed after retries for some tasks (qwen2.5-1.5b/vanilla/pass1: 13, 14; qwen2.5-1.5b/vanilla/aspr: 13, 20, 31). " +
        'Each figure covers only the tasks that have samples (the "tasks" rows); rerun with --resume /runs/r1 to complete it.',
    );
    expect(text).toMatch(/│\s+│ tasks\s+│ 498\/500\s+│ 500\/500\s+│\s+│ 500\/500\s+│ -\s+│\s+│/);
    expect(text).toMatch(/│\s+│ tasks\s+│ 497\/500\s+│ 500\/500\s+│/);
    expect(renderTable1Markdown(partial)).toContain("**INCOMPLETE: generation failed after retries");
    expect(buildTable1Json(input)).toMatchObject({ complete: true, incomplete: [] });
    expect(renderTable1(input)).not.toContain("INCOMPLETE");
  });
});
