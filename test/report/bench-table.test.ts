import { describe, expect, it } from "vitest";
import { renderBench } from "../../src/report/bench-table.js";
import type { BenchReport, Figure } from "../../src/pipelines/bench.js";

const fig = (median: number): Figure => ({ median, min: median, max: median, runs: [median] });

const base: BenchReport = {
  workers: 2,
  trivial_jobs_per_second: { pool: fig(300), fresh: fig(6), host_fork: fig(360), bare_process: fig(60) },
  ratios: { pool_over_fresh: 50, pool_over_host_fork: 300 / 360, pool_over_bare_process: 5 },
};

const samplesRun = (seconds: number, floor: number) => ({ seconds, program_seconds: floor * 2, floor_seconds: floor, ratio: seconds / floor, passed: 237, cuts: 2, whole_again: 0 });

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
    // With tail splitting off too (same bench run): a row of its own, the cuts said on the default's.
    const both = renderBench({
      ...base,
      mbpp_plus_samples: { samples: "s.jsonl", count: 399, workers: 2, runs: [samplesRun(61, 60)], median: samplesRun(61, 60), target_ratio: 1.05, met: true },
      mbpp_plus_samples_unsplit: { samples: "s.jsonl", count: 399, workers: 2, runs: [samplesRun(64, 60)], median: samplesRun(64, 60), target_ratio: 1.05, met: false },
    });
    expect(row(both, "tail splitting on (the default)")[0]).toMatch(/2 cut\(s\), 0 run again whole$/);
    expect(row(both, "tail splitting off").slice(1)).toEqual(["64.0 / 60.0 = 1.07x (runs: 1.07)", "<= 1.05x", "NO"]);
  });

  it("prints the expected values computed afresh against their floor with the 1.2x target, met or not", () => {
    const run = (seconds: number, floor: number) => ({ seconds, run_seconds: floor * 2, floor_seconds: floor, ratio: seconds / floor });
    const missed = renderBench({ ...base, mbpp_plus_expected_values: { workers: 2, runs: [run(20, 15), run(30, 15)], median: run(20, 15), target_ratio: 1.2, met: false } });
    expect(row(missed, "expected values computed afresh")).toEqual([
      "MBPP+ expected values computed afresh: wall (s) / floor (s) = Σ reference run time 30.0 s / 2 workers",
      "20.0 / 15.0 = 1.33x (runs: 1.33, 2.00)",
      "<= 1.2x",
      "NO",
    ]);
    const met = renderBench({ ...base, mbpp_plus_expected_values: { workers: 2, runs: [run(17, 15)], median: run(17, 15), target_ratio: 1.2, met: true } });
    expect(row(met, "expected values computed afresh").at(-1)).toBe("yes");
  });

  it("prints how much sooner a batch with a long sample last ends with tail splitting", () => {
    const fig = (median: number) => ({ median, min: median, max: median, runs: [median] });
    const text = renderBench({ ...base, tail: { samples: 8, long_sample_cpu_seconds: 4.8, on: fig(2.8), off: fig(5.1), speedup: 5.1 / 2.8, cuts: 3 } });
    expect(row(text, "the last one 4.8 s of CPU")[1]).toBe("2.80 / 5.10 = 1.82x sooner (runs on: 2.80; off: 5.10)");
  });

  it("says so when the samples could not be measured, rather than leaving the target out", () => {
    const text = renderBench({ ...base, mbpp_plus_samples_skipped: "no fidelity data" });
    expect(row(text, "not measured (no fidelity data)").slice(-2)).toEqual(["<= 1.05x", "not measured"]);
  });

  it("shows the judging service's load beside the trivial jobs/s, with both targets met or not", () => {
    const load = {
      asked: 10_000, requests: 10_000, connections: 64, tasks: 490, correct: 10_000, wrong: 0, non2xx: 0, lost: 0, errors: 0, timeouts: 0, seconds: 100,
      requests_per_second: 100, latency_ms: { p50: 600, p99: 1500, max: 2000 }, session_judgements_per_second: 110,
      sequential_http_ms_p50: 13, sequential_session_ms_p50: 12.4, overhead_ms_p50: 0.6,
    };
    const text = renderBench({
      ...base,
      service: { ...load, targets: { over_trivial_jobs: { ratio: 100 / 300, trivial_jobs_per_second: 300, limit: 0.8, met: false }, overhead_ms_p50: { value: 0.6, limit: 2, met: true } } },
    });
    expect(row(text, "service: 10000 POST /v1/judge").slice(1)).toEqual(["100.0", ">= 80% of trivial jobs/s (300): 33%", "NO"]);
    expect(row(text, "service: 10000 POST /v1/judge")[0]).toMatch(/right 10000, wrong 0, refused 0, lost 0/);
    expect(row(text, "latency p50 / p99")[1]).toBe("600 / 1500");
    expect(row(text, "through the session alone")[1]).toBe("91% (110.0/s alone)");
    expect(row(text, "service overhead per request").slice(1)).toEqual(["0.60", "< 2 ms", "yes"]);
  });

  it("shows TCG validation cases/s beside the trivial jobs/s of its session, with the 50% target met or not", () => {
    const tcg = { workers: 2, tasks: 372, cases: 1114, valid: 1114, cases_per_second: fig(200), units_per_second: fig(66.5), trivial_jobs_per_second: fig(250) };
    const met = renderBench({ ...base, tcg: { ...tcg, target: { ratio: 0.8, limit: 0.5, met: true } } });
    expect(row(met, "TCG validation: 1114 cases of 372 MBPP train tasks")[1]).toMatch(/^200\.0/);
    expect(row(met, "TCG section's session")[1]).toMatch(/^250\.0/);
    expect(row(met, "TCG validation cases/s / trivial jobs/s").slice(1)).toEqual(["80%", ">= 50%", "yes"]);
    const missed = renderBench({ ...base, tcg: { ...tcg, target: { ratio: 0.4, limit: 0.5, met: false } } });
    expect(row(missed, "TCG validation cases/s / trivial jobs/s").slice(1)).toEqual(["40%", ">= 50%", "NO"]);
  });

  it("leaves out the trivial rows when --only left that section out", () => {
    const text = renderBench({ workers: 2 });
    expect(text).not.toContain("warm pool");
    expect(text).toMatch(/^workers: 2\n/);
  });
});
