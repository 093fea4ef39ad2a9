import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/core/run.js";
import { renderSummaryTable as render } from "../../src/report/summary-table.js";

/** The table without its colours. */
const renderSummaryTable = (s: RunSummary, dir: string): string => stripVTControlCharacters(render(s, dir));

const BASE: RunSummary = {
  benchmark: "mbpp-plus",
  split: "all",
  tasks: 399,
  samples: 399,
  pass_at_k: { "1": 0.6 },
  base_pass_at_k: { "1": 0.7 },
  outcomes: { pass: 239, wrong_answer: 160 },
  weak_passes: 0,
  seconds: 12,
  tasks_total: 399,
  partial: false,
  missing_policy: "error",
  tasks_missing: [],
  tasks_unscorable: [],
  reference_failures: {},
};

describe("renderSummaryTable", () => {
  it("prints a complete run's figures with no coverage notes", () => {
    const text = renderSummaryTable(BASE, "/runs/r");
    expect(text).not.toMatch(/partial|reference failures|no sample/i);
    expect(text).toMatch(/│ base \+ plus │ 60\.00% │/);
    expect(text).toMatch(/│ mbpp-plus │ all\s+│ 399\s+│/);
  });

  it("says a --missing skip run is partial above the tables and beside every figure", () => {
    const missing = Array.from({ length: 389 }, (_, i) => `Mbpp/${i + 20}`);
    const text = renderSummaryTable({ ...BASE, tasks: 10, samples: 10, partial: true, missing_policy: "skip", tasks_missing: missing }, "/runs/r");
    const lines = text.split("\n");
    expect(lines[0]).toBe("PARTIAL: 10 of 399 tasks: the figures below cover only these tasks.");
    expect(lines[1]).toBe("389 task(s) have no sample (Mbpp/20, Mbpp/21, Mbpp/22, Mbpp/23, Mbpp/24, Mbpp/25, Mbpp/26, Mbpp/27, Mbpp/28, Mbpp/29, …): left out of the figures.");
    expect(text).toMatch(/│ mbpp-plus │ all\s+│ 10 of 399 │/);
    expect(text).toMatch(/│ base \+ plus \(partial: 10 of 399 tasks\) │ 60\.00% │/);
    expect(text).toMatch(/│ base only \(partial: 10 of 399 tasks\)\s+│ 70\.00% │/);
  });

  it("says a --missing fail run scored its missing tasks as failures, and is not partial", () => {
    const text = renderSummaryTable({ ...BASE, missing_policy: "fail", tasks_missing: ["Mbpp/2"], outcomes: { pass: 239, wrong_answer: 159, missing: 1 } }, "/runs/r");
    expect(text).not.toMatch(/partial/i);
    expect(text).toContain("1 task(s) have no sample (Mbpp/2): each is scored as a failure (outcome missing).");
  });

  it("lists the tests the reference failed and the tasks left unscorable", () => {
    const text = renderSummaryTable(
      {
        ...BASE,
        tasks: 398,
        partial: true,
        missing_policy: "skip",
        tasks_unscorable: ["Mbpp/255"],
        reference_failures: { "Mbpp/255": [{ test: "plus/86", why: "memory limit exceeded", handling: "left_out" }] },
      },
      "/runs/r",
    );
    expect(text).toContain("1 task(s) have no test left, the reference solution having failed them all (Mbpp/255): left out of the figures, never a pass.");
    expect(text).toContain("reference failures: 1 test(s) in 1 task(s), 1 task(s) unscorable\n  Mbpp/255 plus/86: memory limit exceeded (left out)");
  });

  it("says how many verdicts came from the verdict cache, and how to judge afresh", () => {
    const text = renderSummaryTable({ ...BASE, cached: { verdicts: 181, expected_values: true } }, "/runs/r");
    expect(text).toContain("181 of 399 verdicts from cache (the verdict cache: --no-verdict-cache judges every sample afresh); expected values and reference timings from cache.");
    expect(renderSummaryTable({ ...BASE, cached: { verdicts: 0, expected_values: false } }, "/runs/r")).toContain("\n0 of 399 verdicts from cache.\n");
    // A summary written before the count says nothing rather than a wrong 0.
    expect(renderSummaryTable(BASE, "/runs/r")).not.toContain("from cache");
  });

  it("flags timing-bound tasks as unstable, naming at most ten", () => {
    const text = renderSummaryTable({ ...BASE, timing_bound: ["Mbpp/599"] }, "/runs/r");
    expect(text).toContain("UNSTABLE: 1 task(s) are timing-bound (a sample finished a test within 25% of its time limit): Mbpp/599; their verdicts may flip between runs.");
    const many = Array.from({ length: 12 }, (_, i) => `Mbpp/${i + 2}`);
    expect(renderSummaryTable({ ...BASE, timing_bound: many }, "/runs/r")).toContain("UNSTABLE: 12 task(s) are timing-bound (a sample finished a test within 25% of its time limit): Mbpp/2, Mbpp/3, Mbpp/4, Mbpp/5, Mbpp/6, Mbpp/7, Mbpp/8, Mbpp/9, Mbpp/10, Mbpp/11, …;");
    expect(renderSummaryTable({ ...BASE, timing_bound: [] }, "/runs/r")).not.toContain("UNSTABLE");
  });
});
