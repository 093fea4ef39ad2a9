import { describe, expect, it } from "vitest";
import { renderBench } from "../../src/report/bench-table.js";
import type { BenchReport, Figure } from "../../src/pipelines/bench.js";

const fig = (median: number): Figure => ({ median, min: median, max: median, runs: [median] });

const base: BenchReport = {
  workers: 2,
  trivial_jobs_per_second: { pool: fig(300), fresh: fig(6), host_fork: fig(360), bare_process: fig(60) },
  ratios: { pool_over_fresh: 50, pool_over_host_fork: 300 / 360, pool_over_bare_process: 5 },
};

const samplesRun = (seconds: number, floor: number) => ({ seconds, program_seconds: floor * 2, floor_seconds: floor, ratio: seconds / floor, passed: 237 });

/** The row of the rendered table that starts with `label`, split into its cells. */
function row(text: string, label: string): string[] {
  // eslint-disable-next-line no-control-regex -- cli-table3 colours its borders
  const line = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").find((l) => l.includes(label));
  if (line === undefined) throw new Error(`no row ${label} in\n${text}`);
  return line.split("│").map((c) => c.trim()).filter(Boolean);
}

describe("renderBench", () => {
  it("shows both no-sandbox baselines beside the pool", () => {
    const text = renderBench(base);
    expect(row(text, "runner on the host, a fork per job")[1]).toMatch(/^360\.0/);
    expect(row(text, "bare python3 -S -c per job")[1]).toMatch(/^60\.0/);
    expect(row(text, "pool / bare python3 -c")[1]).toBe("5.0x");
  });

  it("prints the samples measure against its floor with the 1.05x target, met or not", () => {
    const missed = renderBench({
      ...base,
      mbpp_plus_samples: { samples: "s.jsonl", count: 399, workers: 2, runs: [samplesRun(70, 60)], median: samplesRun(70, 60), target_ratio: 1.05, met: false },
    });
    expect(row(missed, "samples of a published model").slice(1)).toEqual(["70.0 / 60.0 = 1.17x (runs: 1.17)", "<= 1.05x", "NO"]);
    const met = renderBench({
      ...base,
      mbpp_plus_samples: { samples: "s.jsonl", count: 399, workers: 2, runs: [samplesRun(61, 60)], median: samplesRun(61, 60), target_ratio: 1.05, met: true },
    });
    expect(row(met, "samples of a published model").at(-1)).toBe("yes");
  });

  it("says so when the samples could not be measured, rather than leaving the target out", () => {
    const text = renderBench({ ...base, mbpp_plus_samples_skipped: "no fidelity data" });
    expect(row(text, "not measured (no fidelity data)").slice(-2)).toEqual(["<= 1.05x", "not measured"]);
  });
});
