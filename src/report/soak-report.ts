import { OUTCOMES } from "../core/outcome.js";
import { soakPassed, type SoakReport } from "../pipelines/soak.js";

/** Bytes as megabytes, for the report. */
function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The soak report as the lines `npm run soak` prints. */
export function formatSoakReport(r: SoakReport): string {
  const outcomes = OUTCOMES.filter((o) => r.outcomes[o] !== undefined)
    .map((o) => `${o} ${r.outcomes[o]}`)
    .join(", ");
  const lines = [
    `jobs:                 ${r.jobs} (${r.passes} identical passes of ${r.jobs / r.passes}), pool of ${r.workers}, ${r.image}`,
    `time:                 ${r.seconds.toFixed(1)} s`,
    `jobs/s:               ${r.jobsPerSecond.toFixed(1)}`,
    `verdict RSS:          start ${mb(r.rss.start)}, ${r.rss.afterPass.map((b, i) => `after pass ${i + 1} ${mb(b)}`).join(", ")}`,
    `verdict heap used:    start ${mb(r.heapUsed.start)}, end ${mb(r.heapUsed.end)}`,
    `outcomes:             ${outcomes}`,
    `unexpected outcomes:  ${r.unexpected.count}`,
    ...r.unexpected.examples.map((e) => `                      ${e}`),
    `sandbox errors:       ${r.outcomes.sandbox_error ?? 0}`,
    `verdict changes between passes: ${r.flips.other + r.flips.timingSensitive} (${r.flips.other} in ordinary jobs, ${r.flips.timingSensitive} in timing-sensitive jobs)`,
    ...r.flips.examples.map((e) => `                      ${e}`),
    `containers left:      ${r.left.containers}`,
    `processes left:       ${r.left.sandboxProcesses + r.left.hostProcesses} (${r.left.sandboxProcesses} in the sandboxes after the last job, ${r.left.hostProcesses} children of verdict after the pool closed)`,
    `temp dirs left:       ${r.left.tempEntries}`,
    `result:               ${soakPassed(r) ? "PASS" : "FAIL"}`,
  ];
  return `${lines.join("\n")}\n`;
}
