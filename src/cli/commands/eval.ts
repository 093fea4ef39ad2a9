import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { InputError } from "../../core/errors.js";
import { MISSING_POLICIES } from "../../core/run.js";
import { ISOLATION_MODES } from "../../core/sandbox.js";
import { renderSummaryTable } from "../../report/summary-table.js";
import { withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import { RUN_FILES } from "../../runner/run-format.js";
import { FEEDBACK_LEVELS, writePerSampleReports, type FeedbackLevel } from "../../report/per-sample.js";
import { runEval } from "../../pipelines/eval.js";
import { readEvalOptions, type EvalOptions, type StoredEvalOptions } from "../../pipelines/eval-options.js";
import { DEFAULT_LIMITS, defaultWorkers } from "../../sandbox/limits.js";
import { sandboxSchema } from "../../pipelines/run-config.js";
import { z } from "zod";
import { addPlacementFlags, placementOf, schemaFlag } from "../flags.js";
import { parseTestsSource, testsSourceText, TESTS_SOURCE_FORMS } from "../../pipelines/tests-source.js";

/** The run config's sandbox fields: the flags of the same name accept what the config accepts. */
const SANDBOX = sandboxSchema.shape;
import { resolveSampleBudget } from "../../benchmarks/sample-budget.js";
import { SPLIT_MODES } from "../../runner/tail-split.js";

/** Parse "1,10,100" into positive integers. */
export function parseKs(text: string): number[] {
  const ks = text.split(",").map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InvalidArgumentError(`--k expects positive integers separated by commas, got "${text}"`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}


/** `--sample-budget`: CPU seconds, or "off". */
export function parseSampleBudget(text: string): number | "off" {
  if (text === "off") return "off";
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--sample-budget expects a positive number of seconds or "off", got "${text}"`);
  return n;
}

/** Flags of `verdict eval` that fix what a run judges and how; a resume keeps the run's own. */
const RUN_IDENTITY_FLAGS = ["benchmark", "split", "samples", "missing", "data", "challenge", "timeout", "memory", "sampleBudget", "hashSeed", "tests", "runtime"] as const;

/** `verdict eval`: score samples against a benchmark in the sandbox. */
export function registerEvalCommand(program: Command): void {
  const command = program
    .command("eval")
    .description("score samples against a benchmark inside Docker sandboxes")
    .option("--benchmark <name|path>", "mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema (required unless --resume)")
    .option("--split <split>", "test, validation, train, prompt or all (default: test for mbpp, all otherwise)")
    .option("--samples <file|reference>", "samples JSONL (task_id + solution|completion), a bigcode JSON list, or 'reference' (required unless --resume)")
    .addOption(
      new Option("--missing <policy>", "benchmark tasks with no sample: error refuses the file; fail scores each as a failure (outcome missing); skip scores the rest, labelled partial")
        .choices([...MISSING_POLICIES])
        .default("error"),
    )
    .option("--k <list>", "pass@k values (each k needs that many samples of every task)", parseKs, [1])
    .addOption(new Option("--isolation <mode>", "pool: warm containers, a fork per job; fresh: a container per sample").choices([...ISOLATION_MODES]).default("pool"))
    .option("--workers <n>", "sandboxes running at once (default: cores)", schemaFlag("--workers", SANDBOX.workers.unwrap()))
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)")
    .option("--challenge", "also run MBPP's challenge tests", false)
    .option("--out <dir>", "run directory (default: results/<run-id>)")
    .option("--results <dir>", "where run directories go", "results")
    .option("--resume <run-dir>", "continue an interrupted or killed run in this directory, with the settings it started with")
    .option("--no-cache", "judge everything afresh (verdict cache and expected-value cache)")
    .option("--no-verdict-cache", "judge every sample afresh, keeping the cached expected values")
    .option("--timeout <seconds>", "time limit per test in CPU seconds, wall-clock backstop 3x (tests calibrated on a slow reference get more)", schemaFlag("--timeout", SANDBOX.timeout_s.unwrap()), DEFAULT_LIMITS.testSeconds as number)
    .option("--memory <mib>", "memory limit per job in MiB", schemaFlag("--memory", SANDBOX.memory_mb.unwrap()), DEFAULT_LIMITS.memoryMb)
    .option(
      "--sample-budget <seconds|off>",
      "per-sample CPU budget as EvalPlus's: min(SECONDS, the sum of the tests' limits) + 1 s for the whole sample (default: the benchmark's, 60 for mbpp-plus, else off)",
      parseSampleBudget,
    )
    .option("--hash-seed <n>", "PYTHONHASHSEED for every sandboxed process", schemaFlag("--hash-seed", SANDBOX.hash_seed.unwrap()), 0)
    .addOption(
      new Option("--tail-split <mode>", "tail: at the end of a run, a long sample's tests not yet started run on an idle worker, merged exactly or run again whole; off: never; eager: cut every sample as it starts (tests the merging)")
        .choices([...SPLIT_MODES])
        .default("tail"),
    )
    .option("--engine-wait <seconds>", "how long to wait for a Docker engine that went away (a restart) before stopping the run", schemaFlag("--engine-wait", z.number().positive()), 120)
    .option("--tests <source>", `which tests judge the samples: ${TESTS_SOURCE_FORMS} (the valid tests a \`verdict tcg\` run generated, alone or after the benchmark's)`, "benchmark")
    .option("--per-sample-report <dir>", "also write one small JSON per sample (what passed, what failed and why), ready to send to its submitter")
    .addOption(
      new Option("--feedback <level>", "what --per-sample-report tells a submitter: full (every test, input, expected and answer), first-failure (counts, outcome kinds, the first failing base test's input), summary (counts and outcome kinds) (default: first-failure with --isolation fresh, else full)").choices([
        ...FEEDBACK_LEVELS,
      ]),
    )
    .option("--json", "print exactly one JSON object (the summary) on stdout", false);
  addPlacementFlags(command).action(async (o, cmd: Command) => {
      const fromCli = (name: string): boolean => cmd.getOptionValueSource(name) === "cli";
      if (o.feedback !== undefined && o.perSampleReport === undefined) throw new InputError("--feedback says what --per-sample-report writes: give --per-sample-report DIR too");
      const flagged: EvalOptions = {
        benchmark: o.benchmark,
        split: o.split ?? (o.benchmark === "mbpp" ? "test" : "all"),
        samples: o.samples,
        missing: o.missing,
        dataDir: o.data,
        challenge: o.challenge,
        isolation: o.isolation,
        workers: o.workers ?? defaultWorkers(),
        k: o.k,
        outDir: o.out,
        resultsDir: resolve(o.results),
        noCache: o.cache === false,
        noVerdictCache: o.verdictCache === false,
        limits: { ...DEFAULT_LIMITS, testSeconds: o.timeout, memoryMb: o.memory, ...(await sampleLimit(o.benchmark, o.sampleBudget)) },
        hashSeed: o.hashSeed,
        resume: o.resume,
        progress: Boolean(process.stderr.isTTY),
        engineWaitSeconds: o.engineWait,
        tailSplit: o.tailSplit,
        tests: testsSourceText(parseTestsSource(o.tests)),
        placement: placementOf(o, { workers: o.workers }),
        log: stderrLine,
      };
      let options = flagged;
      if (o.resume !== undefined) {
        const dir = resolve(o.resume);
        if (!existsSync(join(dir, RUN_FILES.manifest))) throw new InputError(`not a run directory: ${dir} has no ${RUN_FILES.manifest}; nothing to resume`);
        const stored = readEvalOptions(dir);
        if (stored !== undefined) options = resumeOptions(stored, flagged, fromCli);
      }
      for (const required of ["benchmark", "samples"] as const) {
        if (!options[required]) cmd.error(`error: required option '--${required}' not specified (it may be left out only with --resume of a run that recorded it)`);
      }
      // runEval says itself what an interrupt saved and how to resume.
      const result = await withInterrupts((signal) => runEval({ ...options, signal }), () => ({ saved: "", resume: "" }));
      if (o.perSampleReport) {
        // Untrusted submissions (fresh isolation) get feedback that keeps the hidden tests hidden, unless asked otherwise.
        const feedback: FeedbackLevel = o.feedback ?? (options.isolation === "fresh" ? "first-failure" : "full");
        const written = await writePerSampleReports(resolve(o.perSampleReport), result.verdicts, new Map(result.tasks.map((t) => [t.taskId, t])), feedback);
        process.stderr.write(`per-sample reports (feedback: ${feedback}): ${written.length} files in ${resolve(o.perSampleReport)}\n`);
      }
      if (o.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
      else process.stdout.write(renderSummaryTable(result.summary, result.runDir));
    });
}

/** The limits field of a `--sample-budget` setting for this benchmark (none on a resume without the flag). */
async function sampleLimit(benchmark: string | undefined, setting: number | "off" | undefined): Promise<{ sampleSeconds?: number }> {
  const seconds = await resolveSampleBudget(benchmark ?? "", setting);
  return seconds === undefined ? {} : { sampleSeconds: seconds };
}

/**
 * A resume's options: the run's stored settings, plus the flags that may change between
 * sessions (workers, isolation, k, --no-cache, --no-verdict-cache). A flag that would change what the run judges
 * is refused when it differs from the stored value.
 */
export function resumeOptions(stored: StoredEvalOptions, flagged: EvalOptions, fromCli: (flag: string) => boolean): EvalOptions {
  const current: Record<(typeof RUN_IDENTITY_FLAGS)[number], unknown> = {
    benchmark: existsSync(flagged.benchmark ?? "") ? resolve(flagged.benchmark) : flagged.benchmark,
    split: flagged.split,
    samples: flagged.samples === "reference" || flagged.samples === undefined ? flagged.samples : resolve(flagged.samples),
    missing: flagged.missing,
    data: flagged.dataDir !== undefined ? resolve(flagged.dataDir) : undefined,
    challenge: flagged.challenge,
    timeout: flagged.limits.testSeconds,
    memory: flagged.limits.memoryMb,
    sampleBudget: flagged.limits.sampleSeconds ?? "off",
    hashSeed: flagged.hashSeed,
    tests: flagged.tests ?? "benchmark",
    runtime: flagged.placement?.runtime,
  };
  const kept: Record<(typeof RUN_IDENTITY_FLAGS)[number], unknown> = {
    benchmark: stored.benchmark,
    split: stored.split,
    samples: stored.samples,
    // A run made before the policy was kept takes the one given now.
    missing: stored.missing ?? flagged.missing,
    data: stored.dataDir,
    challenge: stored.challenge,
    timeout: stored.limits.testSeconds,
    memory: stored.limits.memoryMb,
    sampleBudget: stored.limits.sampleSeconds ?? "off",
    hashSeed: stored.hashSeed,
    tests: stored.tests ?? "benchmark",
    runtime: stored.runtime,
  };
  for (const flag of RUN_IDENTITY_FLAGS) {
    if (!fromCli(flag)) continue;
    // --split is defaulted from --benchmark; only an explicit flag counts.
    if (JSON.stringify(current[flag]) !== JSON.stringify(kept[flag])) {
      throw new InputError(
        `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${JSON.stringify(current[flag])} differs from the run being resumed (${JSON.stringify(kept[flag])}); a resumed run keeps the settings it started with`,
        flagged.resume,
      );
    }
  }
  return {
    ...flagged,
    benchmark: stored.benchmark,
    split: stored.split,
    samples: stored.samples,
    missing: stored.missing ?? flagged.missing ?? "error",
    ...(stored.dataDir !== undefined ? { dataDir: stored.dataDir } : {}),
    challenge: stored.challenge,
    limits: stored.limits,
    hashSeed: stored.hashSeed,
    tests: stored.tests ?? "benchmark",
    placement: { ...flagged.placement, ...(stored.runtime !== undefined ? { runtime: stored.runtime } : {}) },
    isolation: fromCli("isolation") ? flagged.isolation : stored.isolation,
    workers: fromCli("workers") ? flagged.workers : stored.workers,
    k: fromCli("k") ? flagged.k : stored.k,
    noCache: fromCli("cache") ? flagged.noCache : stored.noCache,
    noVerdictCache: fromCli("verdictCache") ? flagged.noVerdictCache === true : stored.noVerdictCache === true,
  };
}
