import type { Command } from "commander";
import { sandboxSchema } from "../../pipelines/run-config.js";
import { addPlacementFlags, countSchema, placementOf, schemaFlag } from "../flags.js";
import { handleInterrupts } from "../../runner/cleanup.js";
import { runSoak, soakPassed } from "../../pipelines/soak.js";
import { formatSoakReport } from "../../report/soak-report.js";
import { defaultWorkers } from "../../sandbox/limits.js";


/** `verdict soak`: judge a long mixed stream twice through one pool; exit 1 on any leak, flip or wrong verdict. */
export function registerSoakCommand(program: Command): void {
  const command = program
    .command("soak")
    .description("judge 100,000 benign and hostile jobs (two identical passes) through the pool; report rate, memory, leaks and flips")
    .option("--jobs <n>", "jobs in all, over two passes", schemaFlag("--jobs", countSchema()), 100_000)
    .option("--workers <n>", "pool containers (default: cores)", schemaFlag("--workers", sandboxSchema.shape.workers.unwrap()))
    .option("--json", "print the report as one JSON object", false);
  addPlacementFlags(command).action(async (o: { jobs: number; workers?: number; json: boolean; engines?: string; runtime?: string }) => {
      const interrupts = handleInterrupts();
      let report;
      try {
        report = await runSoak({
          jobs: o.jobs,
          workers: o.workers ?? defaultWorkers(),
          placement: placementOf(o, { workers: o.workers }),
          log: (line) => process.stderr.write(`${line}\n`),
          signal: interrupts.signal,
        });
      } finally {
        interrupts.dispose();
      }
      process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatSoakReport(report));
      if (!soakPassed(report)) process.exitCode = 1;
    });
}
