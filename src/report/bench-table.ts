import Table from "cli-table3";
import { tableStyle } from "./table-style.js";
import type { BenchReport } from "../pipelines/bench.js";
import { enginesBenchRows } from "./bench-engines-rows.js";
import { searchBenchRows } from "./bench-search-rows.js";
import { fmt } from "./bench-figure.js";


/** The bench report as tables, with each target and whether it is met. */
export function renderBench(r: BenchReport): string {
  const t = new Table({ head: ["measure", "median (min, max)", "target", "met"], style: tableStyle() });
  if (r.trivial_jobs_per_second && r.ratios) {
    const { pool, fresh, host_fork, bare_process } = r.trivial_jobs_per_second;
    t.push(["trivial jobs/s, warm pool", fmt(pool), "", ""]);
    t.push(["trivial jobs/s, fresh container per job", fmt(fresh, 2), "", ""]);
    t.push(["trivial jobs/s, runner on the host, a fork per job (no sandbox)", fmt(host_fork), "", ""]);
    t.push(["trivial jobs/s, bare python3 -S -c per job (no sandbox, no runner)", fmt(bare_process), "", ""]);
    t.push(["pool / fresh", `${r.ratios.pool_over_fresh.toFixed(1)}x`, ">= 40x", r.ratios.pool_over_fresh >= 40 ? "yes" : "NO"]);
    t.push(["pool / runner on the host", `${(r.ratios.pool_over_host_fork * 100).toFixed(0)}%`, ">= 50%", r.ratios.pool_over_host_fork >= 0.5 ? "yes" : "NO"]);
    t.push(["pool / bare python3 -c", `${r.ratios.pool_over_bare_process.toFixed(1)}x`, "", ""]);
  }
  if (r.mbpp_test_reference) {
    const m = r.mbpp_test_reference;
    t.push([`MBPP test split, ${m.samples} reference solutions (s), ${m.passed} passed`, fmt(m.seconds, 2), "< 5 s", m.seconds.median < 5 ? "yes" : "NO"]);
  }
  if (r.mbpp_plus_reference) {
    const m = r.mbpp_plus_reference;
    t.push([`MBPP+, ${m.samples} reference solutions (s), ${m.passed} passed (base ${m.base_passed})`, fmt(m.seconds, 2), "<= 9 s", m.seconds.median <= 9 ? "yes" : "NO"]);
    t.push([`MBPP+ expected values (s)${m.expected_values_cached ? ", cached: time of the run that computed them" : ""}`, m.expected_values_seconds.toFixed(1), "<= 10 s", m.expected_values_seconds <= 10 ? "yes" : "NO"]);
  }
  if (r.mbpp_plus_samples) {
    for (const [m, how] of [
      [r.mbpp_plus_samples, "tail splitting on (the default)"],
      [r.mbpp_plus_samples_unsplit, "tail splitting off"],
    ] as const) {
      if (m === undefined) continue;
      const runs = m.runs.map((x) => x.ratio.toFixed(2)).join(", ");
      const split = how.startsWith("tail splitting on") ? `; ${m.median.cuts} cut(s), ${m.median.whole_again} run again whole` : "";
      t.push([
        `MBPP+, ${m.count} samples of a published model, expected values cached, no verdict cache, ${how}: wall (s) / floor (s) = Σ program run time ${m.median.program_seconds.toFixed(1)} s / ${m.workers} workers${split}`,
        `${m.median.seconds.toFixed(1)} / ${m.median.floor_seconds.toFixed(1)} = ${m.median.ratio.toFixed(2)}x (runs: ${runs})`,
        `<= ${m.target_ratio}x`,
        m.met ? "yes" : "NO",
      ]);
    }
  } else if (r.mbpp_plus_samples_skipped) {
    t.push([`MBPP+ samples of a published model: not measured (${r.mbpp_plus_samples_skipped})`, "", `<= 1.05x`, "not measured"]);
  }
  if (r.tail) {
    const m = r.tail;
    t.push([`${m.samples} samples, the last one ${m.long_sample_cpu_seconds.toFixed(1)} s of CPU in 12 tests: seconds with tail splitting on / off (${m.cuts} cut(s))`, `${m.on.median.toFixed(2)} / ${m.off.median.toFixed(2)} = ${m.speedup.toFixed(2)}x sooner (runs on: ${m.on.runs.map((x) => x.toFixed(2)).join(", ")}; off: ${m.off.runs.map((x) => x.toFixed(2)).join(", ")})`, "", ""]);
  }
  if (r.mbpp_plus_expected_values) {
    const m = r.mbpp_plus_expected_values;
    t.push([
      `MBPP+ expected values computed afresh: wall (s) / floor (s) = Σ reference run time ${m.median.run_seconds.toFixed(1)} s / ${m.workers} workers`,
      `${m.median.seconds.toFixed(1)} / ${m.median.floor_seconds.toFixed(1)} = ${m.median.ratio.toFixed(2)}x (runs: ${m.runs.map((x) => x.ratio.toFixed(2)).join(", ")})`,
      `<= ${m.target_ratio}x`,
      m.met ? "yes" : "NO",
    ]);
  }
  if (r.generation) {
    const g = r.generation;
    const p = g.pipeline;
    t.push([`generation client, ${g.client.concurrency} in flight (requests/s)`, g.client.requests_per_second.toFixed(0), "", ""]);
    t.push(["generation alone, harness cost per sample (ms)", g.generation.ms_per_sample.toFixed(2), "", ""]);
    t.push([
      `generate+score in one go vs scoring alone, added per sample (ms), ${p.samples} samples`,
      p.added_ms_per_sample.toFixed(2),
      `< ${g.targets.added_ms_per_sample.limit} ms`,
      g.targets.added_ms_per_sample.met ? "yes" : "NO",
    ]);
    t.push([
      `run / (generate then score), model latency ${p.model_latency_ms.toFixed(0)} ms: ${p.run_seconds.toFixed(2)} s / ${p.sequential_seconds.toFixed(2)} s`,
      p.overlap_ratio.toFixed(2),
      `<= ${g.targets.overlap_ratio.limit}`,
      g.targets.overlap_ratio.met ? "yes" : "NO",
    ]);
  }
  if (r.service) {
    const v = r.service;
    const { over_trivial_jobs: o, overhead_ms_p50: h } = v.targets;
    t.push([
      `service: ${v.asked} POST /v1/judge of MBPP reference programs (${v.tasks} tasks), ${v.connections} clients, autocannon (requests/s); right ${v.correct}, wrong ${v.wrong}, refused ${v.non2xx}, lost ${v.lost}`,
      v.requests_per_second.toFixed(1),
      `>= ${(o.limit * 100).toFixed(0)}% of trivial jobs/s (${o.trivial_jobs_per_second.toFixed(0)}): ${(o.ratio * 100).toFixed(0)}%`,
      o.met ? "yes" : "NO",
    ]);
    t.push(["service: latency p50 / p99 (ms)", `${v.latency_ms.p50} / ${v.latency_ms.p99}`, "", ""]);
    if (v.session_judgements_per_second !== undefined) {
      t.push(["service / the same judgements through the session alone", `${((v.requests_per_second / v.session_judgements_per_second) * 100).toFixed(0)}% (${v.session_judgements_per_second.toFixed(1)}/s alone)`, "", ""]);
    }
    t.push([
      `service overhead per request at p50, one at a time (ms): HTTP ${v.sequential_http_ms_p50 ?? "?"} - session alone ${v.sequential_session_ms_p50?.toFixed(2) ?? "?"}`,
      h.value.toFixed(2),
      `< ${h.limit} ms`,
      h.met ? "yes" : "NO",
    ]);
  }
  if (r.tcg) {
    const c = r.tcg;
    t.push([`TCG validation: ${c.cases} cases of ${c.tasks} MBPP train tasks on the reference, one job per task (cases/s); ${c.valid} valid`, fmt(c.cases_per_second), "", ""]);
    t.push(["TCG validation jobs/s (one per task)", fmt(c.units_per_second), "", ""]);
    t.push(["trivial jobs/s, warm pool, in the TCG section's session", fmt(c.trivial_jobs_per_second), "", ""]);
    t.push([
      "TCG validation cases/s / trivial jobs/s",
      `${(c.target.ratio * 100).toFixed(0)}%`,
      `>= ${(c.target.limit * 100).toFixed(0)}%`,
      c.target.met ? "yes" : "NO",
    ]);
  }
  if (r.search) for (const row of searchBenchRows(r.search)) t.push(row);
  if (r.engines) for (const row of enginesBenchRows(r.engines)) t.push(row);
  return `workers: ${r.workers}\n${t.toString()}\n`;
}
