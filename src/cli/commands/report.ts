import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { InvalidArgumentError } from "commander";
import type { Command } from "commander";
import { VerdictError } from "../../core/index.js";
import { isSearchRun } from "../../pipelines/search-manifest.js";
import { createHtmlReport } from "../../report/html/build-report.js";
import { writeSearchTreeReport } from "../../report/html/search-report.js";
import { resolveRunDir } from "../../report/run-dir.js";
import type { CommandIo } from "./compare.js";

/** Flags of `verdict report`, as commander hands them over. */
export interface ReportFlags {
  html?: string;
  data?: string;
  results: string;
  alpha: number;
  seed: number;
}

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Adds `verdict report RUN [RUN_B]` to the program. */
export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description(
      "write a self-contained HTML report of a run (or of run B against baseline A): summary and outcome chart, " +
        "a filterable grid of tasks × samples, and each sample's program, tests and output; " +
        "of a search run (verdict search): every task's tree, nodes sized by visits and coloured by value, each with its step, program and tests",
    )
    .argument("<run>", "a run directory, or a run id under --results (the baseline when two are given)")
    .argument("[run-b]", "a second run to compare against the first")
    .option("--html <file>", "where to write the page (default: report.html in the run, or compare-<A>.html in run B)")
    .option("--data <dir>", "benchmark data directory, for test inputs and task descriptions (default: $VERDICT_DATA_DIR, else the download cache)")
    .option("--results <dir>", "where run ids are looked up", "results")
    .option("--alpha <p>", "significance level of a comparison", parseAlpha, 0.05)
    .option("--seed <n>", "seed of a comparison's bootstrap and permutations", parseSeed, 0)
    .action(async (runA: string, runB: string | undefined, flags: ReportFlags) => {
      process.exitCode = await runReportCommand(runB === undefined ? [runA] : [runA, runB], flags);
    });
}

/** Runs `verdict report` and returns its exit code (2 when a run cannot be read or the file written). */
export async function runReportCommand(runs: readonly string[], flags: ReportFlags, io: CommandIo = processIo): Promise<number> {
  try {
    const dirs = await Promise.all(runs.map((r) => resolveRunDir(r, flags.results)));
    if (dirs.some(isSearchRun)) return await writeSearchTreeReport(dirs, flags.html, io);
    const report = await createHtmlReport(dirs, {
      alpha: flags.alpha,
      seed: flags.seed,
      ...(flags.data === undefined ? {} : { dataDir: flags.data }),
    });
    const [dirA, dirB] = dirs;
    const file = flags.html ?? (dirB === undefined ? join(dirA ?? ".", "report.html") : join(dirB, `compare-${basename(dirA ?? "a")}.html`));
    await writeFile(file, report.html);
    for (const note of report.notes) io.stderr(`note: ${note}\n`);
    const kib = Math.round(Buffer.byteLength(report.html) / 1024);
    io.stdout(`wrote ${file} (${kib.toLocaleString("en")} KiB; ${report.tasks} tasks, ${report.samples} samples)\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof VerdictError) && !isFsError(err)) throw err;
    io.stderr(`verdict report: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

function parseAlpha(value: string): number {
  const alpha = Number(value);
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError("must be a number between 0 and 1 (exclusive)");
  return alpha;
}

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("must be an integer ≥ 0");
  return n;
}

/** Writing the file can fail on a bad path; that is the user's input, not a crash. */
function isFsError(err: unknown): boolean {
  return err instanceof Error && "code" in err && "syscall" in err;
}
