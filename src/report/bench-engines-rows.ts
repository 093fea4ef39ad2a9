import type { EnginesBenchReport } from "../pipelines/bench-engines.js";
import { fmt } from "./bench-figure.js";

/** The target: three engines of one machine cost no more than 10% against one. */
const THREE_OVER_ONE_TARGET = 0.9;

/** The rows of `verdict bench`'s engines section: [measure, median (min, max), target, met]. */
export function enginesBenchRows(e: EnginesBenchReport): string[][] {
  const rows: string[][] = [];
  const per = e.workers / 3;
  if (e.engines_skipped !== undefined) rows.push([`engines: not measured: ${e.engines_skipped}`, "", "", ""]);
  if (e.trivial_jobs_per_second && e.three_over_one !== undefined) {
    const t = e.trivial_jobs_per_second;
    rows.push([`trivial jobs/s, main engine, docker backend, ${e.workers} workers`, fmt(t.main_engine), "", ""]);
    rows.push([`trivial jobs/s, engines backend, one extra engine (unix), ${e.workers} workers`, fmt(t.one_engine), "", ""]);
    rows.push([`trivial jobs/s, engines backend, the three extra engines each over its unix socket, ${per} worker(s) each`, fmt(t.three_engines_unix), "", ""]);
    rows.push([`trivial jobs/s, engines backend, three extra engines over unix, TLS and SSH, ${per} worker(s) each`, fmt(t.three_engines), "", ""]);
    const share = (e.per_engine ?? []).map((p) => `${p.label.replace(/\?.*$/, "")}: ${p.jobs}`).join(", ");
    if (share !== "") rows.push([`  jobs per engine over unix, TLS and SSH: ${share}`, "", "", ""]);
    const met = e.three_over_one >= THREE_OVER_ONE_TARGET;
    rows.push(["three engines (unix sockets) / one engine: the scheduler's cost", `${(e.three_over_one * 100).toFixed(0)}%`, `>= ${THREE_OVER_ONE_TARGET * 100}%`, met ? "yes" : "NO"]);
    if (e.transports_over_one !== undefined) rows.push(["three engines (unix, TLS, SSH) / one engine: scheduler and transports", `${(e.transports_over_one * 100).toFixed(0)}%`, "", ""]);
  }
  if (e.runtime_skipped !== undefined) rows.push([`runsc vs runc: not measured: ${e.runtime_skipped}`, "", "", ""]);
  if (e.runtime) {
    const r = e.runtime;
    rows.push([`trivial jobs/s, warm pool under runc, ${e.workers} workers`, fmt(r.trivial_jobs_per_second.runc), "", ""]);
    rows.push([`trivial jobs/s, warm pool under runsc (gVisor), ${e.workers} workers`, fmt(r.trivial_jobs_per_second.runsc), "", ""]);
    rows.push(["runsc / runc, trivial jobs/s", `${(r.runsc_over_runc.trivial * 100).toFixed(1)}%`, "", ""]);
    const m = r.mbpp_test_reference_seconds;
    if (m && r.runsc_over_runc.mbpp !== undefined) {
      rows.push([`MBPP test split, reference solutions under runc (s), ${m.passed.runc} passed`, fmt(m.runc, 2), "", ""]);
      rows.push([`MBPP test split, reference solutions under runsc (s), ${m.passed.runsc} passed`, fmt(m.runsc, 2), "", ""]);
      rows.push(["runsc / runc, MBPP test split (runc seconds / runsc seconds)", `${(r.runsc_over_runc.mbpp * 100).toFixed(1)}%`, "", ""]);
    }
  }
  return rows;
}
