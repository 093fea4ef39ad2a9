import type { Command } from "commander";
import { VerdictError } from "../../core/index.js";
import { listRuns, renderRunsTable } from "../../report/runs-list.js";
import type { CommandIo } from "./compare.js";

/** Flags of `verdict runs`, as commander hands them over. */
export interface RunsFlags {
  /** Unset: ./results, and a missing one just means no runs yet. */
  results?: string;
  json?: boolean;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Adds `verdict runs` to the program. */
export function registerRunsCommand(program: Command): void {
  program
    .command("runs")
    .description("list the runs under the results directory: benchmark, samples, date, pass@1, status (complete, interrupted, corrupt)")
    .option("--results <dir>", "results directory (default ./results)")
    .option("--json", "print one JSON array on stdout")
    .action(async (flags: RunsFlags) => {
      process.exitCode = await runRunsCommand(flags);
    });
}

/** Runs `verdict runs` and returns its exit code (2 when the results directory cannot be listed). */
export async function runRunsCommand(flags: RunsFlags, io: CommandIo = processIo): Promise<number> {
  try {
    const runs = await listRuns(flags.results ?? "results", { missingOk: flags.results === undefined });
    if (flags.json) io.stdout(`${JSON.stringify(runs, null, 2)}\n`);
    else if (runs.length === 0) io.stderr(`no runs under ${flags.results ?? "results"}\n`);
    else io.stdout(renderRunsTable(runs));
    return 0;
  } catch (err) {
    if (!(err instanceof VerdictError)) throw err;
    io.stderr(`verdict runs: ${err.message}\n`);
    return 2;
  }
}
