import Table from "cli-table3";
import type { EngineSummary } from "../core/sandbox.js";
import { tableStyle } from "./table-style.js";

/** What each engine of a pool over several engines did: its share of the jobs, its rate, what it lost. */
export function renderEngineTable(engines: readonly EngineSummary[]): string {
  const t = new Table({ head: ["engine", "Docker", "runtime", "CPUs", "workers", "jobs", "jobs/s", "busy (s)", "faults", "outages", "requeued"], style: tableStyle() });
  for (const e of engines) {
    t.push([
      `${e.label}${e.up ? "" : " (away)"}`,
      e.version,
      e.runtime,
      String(e.cpus),
      String(e.workers),
      String(e.jobs),
      e.jobs_per_second.toFixed(1),
      e.busy_seconds.toFixed(1),
      String(e.faults),
      String(e.outages),
      String(e.requeued),
    ]);
  }
  return t.toString();
}
