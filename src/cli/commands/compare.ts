import { writeFile } from "node:fs/promises";
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { VerdictError } from "../../core/index.js";
import { compareRuns } from "../../report/compare.js";
import { renderCompareMarkdown, renderCompareText } from "../../report/compare-markdown.js";
import { readRunDir, resolveRunDir } from "../../report/run-dir.js";

/** Flags of `verdict compare`, as commander hands them over. */
export interface CompareFlags {
  json?: boolean;
  markdown?: string;
  failIfWorse?: boolean;
  alpha: number;
  seed: number;
  resamples: number;
  results: string;
  /** Runs over different tasks: refused (`same`, the default) or compared on the tasks both cover. */
  tasks?: "same" | "intersection";
}

/** Where a command writes; tests pass their own. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit codes: a CI gate must tell "B is worse" from "the comparison could not be made". */
export const EXIT_OK = 0;
export const EXIT_WORSE = 1;
export const EXIT_ERROR = 2;

const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Adds `verdict compare RUN_A RUN_B` to the program. */
export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "compare run B (candidate) with run A (baseline) on the same benchmark: pass@k, a paired 95% CI, " +
        "a significance test (exact McNemar, or a paired permutation test with several samples per task) and the tasks that flipped",
    )
    .argument("<run-a>", "baseline run: a run directory, or a run id under --results")
    .argument("<run-b>", "candidate run: a run directory, or a run id under --results")
    .option("--json", "print one JSON object on stdout instead of tables")
    .option("--markdown <file>", "also write a report ready to paste as a pull-request comment")
    .option("--fail-if-worse", `exit ${EXIT_WORSE} when B is significantly worse than A (errors exit ${EXIT_ERROR})`)
    .option("--alpha <p>", "significance level", parseAlpha, 0.05)
    .option("--seed <n>", "seed of the bootstrap and of Monte Carlo permutations", parseInteger("--seed", 0), 0)
    .option("--resamples <n>", "bootstrap and Monte Carlo resamples", parseInteger("--resamples", 1), 10_000)
    .option("--results <dir>", "where run ids are looked up", "results")
    .addOption(
      new Option("--tasks <how>", `runs that do not cover the same tasks: same refuses them (exit ${EXIT_ERROR}); intersection compares the tasks both cover, labelled partial`)
        .choices(["same", "intersection"])
        .default("same"),
    )
    // A usage error must not read as "worse" (exit 1) to a CI gate.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_ERROR))
    .action(async (runA: string, runB: string, flags: CompareFlags) => {
      process.exitCode = await runCompareCommand(runA, runB, flags);
    });
}

/**
 * Runs `verdict compare` and returns its exit code: 1 only with --fail-if-worse when B is
 * significantly worse, 2 when the runs cannot be read or compared, else 0.
 */
export async function runCompareCommand(runA: string, runB: string, flags: CompareFlags, io: CommandIo = processIo): Promise<number> {
  try {
    const [dirA, dirB] = await Promise.all([resolveRunDir(runA, flags.results), resolveRunDir(runB, flags.results)]);
    const [a, b] = await Promise.all([readRunDir(dirA), readRunDir(dirB)]);
    const result = compareRuns(a, b, { alpha: flags.alpha, seed: flags.seed, resamples: flags.resamples, tasks: flags.tasks ?? "same" });
    if (flags.markdown) {
      await writeFile(flags.markdown, renderCompareMarkdown(result));
      if (!flags.json) io.stderr(`wrote ${flags.markdown}\n`);
    }
    io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : renderCompareText(result));
    return flags.failIfWorse && result.worse ? EXIT_WORSE : EXIT_OK;
  } catch (err) {
    if (!(err instanceof VerdictError) && !isFsError(err)) throw err;
    io.stderr(`verdict compare: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}

function parseAlpha(value: string): number {
  const alpha = Number(value);
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError("must be a number between 0 and 1 (exclusive)");
  return alpha;
}

function parseInteger(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}`);
    return n;
  };
}

/** Writing the markdown file can fail on a bad path; that is the user's input, not a crash. */
function isFsError(err: unknown): boolean {
  return err instanceof Error && "code" in err && "syscall" in err;
}
