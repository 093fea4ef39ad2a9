import Table from "cli-table3";
import type { FigureCi } from "../metrics/figures.js";
import type { PipelineResult } from "../pipelines/run-result.js";
import { buildTable1Json, incompleteBanner, judgingLines, pct, signedPct } from "./table1.js";

/** A figure with its interval, as the run table prints it. */
function withCi(value: number | null, ci: FigureCi | null, signed = false): string {
  const f = signed ? signedPct : pct;
  return ci ? `${f(value)} [${f(ci.low)}, ${f(ci.high)}]` : f(value);
}

/** The long-form result of `verdict run`: one row per model and style, each figure with the tasks it covers. */
export function renderRunResult(r: PipelineResult): string {
  const a = r.settings.aspr;
  const total = r.benchmark.tasks;
  const table = new Table({
    head: ["model", "style", "Pass@1 % [95% CI]", "Pass@1 tasks", `ASPR-${a.definition} % [95% CI]`, "ASPR tasks (correct path / sampled of all)", "samples"],
    style: { head: [], border: [] },
  });
  for (const m of r.models) {
    for (const [style, s] of Object.entries(m.styles)) {
      table.push([
        m.name,
        style,
        withCi(s.pass1.value, s.pass1.ci),
        `${s.pass1.tasks}/${total}`,
        withCi(s.aspr.value, s.aspr.ci),
        `${s.aspr.tasksCounted} / ${s.aspr.tasks} of ${total}`,
        String(s.pass1.samples),
      ]);
    }
    if (m.delta) table.push([m.name, "Δ (pseudo − vanilla)", withCi(m.delta.pass1.value, m.delta.pass1.ci, true), "", withCi(m.delta.aspr.value, m.delta.aspr.ci, true), "", ""]);
  }
  const g = r.generation;
  const banner = incompleteBanner(buildTable1Json(r));
  return [
    ...(banner ? [banner] : []),
    table.toString(),
    `${r.benchmark.name} ${r.benchmark.split}, ${r.benchmark.tasks} tasks; Pass@1: n = ${r.settings.pass1.n}, temperature ${r.settings.pass1.temperature}; ASPR definition ${a.definition}: P = ${a.paths}, M = ${a.finals}, temperature ${a.temperature}, top_p ${a.top_p}.`,
    `generation: ${g.samples} new samples, ${g.requests} requests (${g.cachedRequests} from cache)${g.failures.length > 0 ? `, ${g.failures.length} failed: resume the run to retry them` : ""}; ${r.seconds.toFixed(1)} s in all.`,
    ...judgingLines(r),
    `results: ${r.runDir}`,
    "",
  ].join("\n");
}
