import { resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { renderSummaryTable } from "../../report/summary-table.js";
import { defaultWorkers, runEval } from "../../runner/evaluate.js";
import { DEFAULT_LIMITS } from "../../runner/limits.js";

/** Parse "1,10,100" into positive integers. */
export function parseKs(text: string): number[] {
  const ks = text.split(",").map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InvalidArgumentError(`--k expects positive integers separated by commas, got "${text}"`);
  }
  return [...new Set(ks)].sort((a, b) => a - b);
}

function positiveNumber(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} expects a positive number, got "${text}"`);
    return n;
  };
}

function positiveInt(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} expects a positive integer, got "${text}"`);
    return n;
  };
}

/** `verdict eval`: score samples against a benchmark in the sandbox. */
export function registerEvalCommand(program: Command): void {
  program
    .command("eval")
    .description("score samples against a benchmark inside Docker sandboxes")
    .requiredOption("--benchmark <name|path>", "mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema")
    .option("--split <split>", "test, validation, train, prompt or all (default: test for mbpp, all otherwise)")
    .requiredOption("--samples <file|reference>", "samples JSONL (task_id + solution|completion), a bigcode JSON list, or 'reference'")
    .option("--k <list>", "pass@k values", parseKs, [1])
    .addOption(new Option("--isolation <mode>", "pool: warm containers, a fork per job; fresh: a container per sample").choices(["pool", "fresh"]).default("pool"))
    .option("--workers <n>", "sandboxes running at once (default: cores)", positiveInt("--workers"))
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (default: $VERDICT_DATA_DIR, else download)")
    .option("--challenge", "also run MBPP's challenge tests", false)
    .option("--out <dir>", "run directory (default: results/<run-id>)")
    .option("--results <dir>", "where run directories go", "results")
    .option("--resume <run-dir>", "continue an interrupted run in this directory")
    .option("--no-cache", "judge everything afresh (verdict cache and expected-value cache)")
    .option("--timeout <seconds>", "wall-clock limit per test (MBPP+ calibrates its own)", positiveNumber("--timeout"), DEFAULT_LIMITS.testSeconds as number)
    .option("--memory <mib>", "memory limit per job in MiB", positiveInt("--memory"), DEFAULT_LIMITS.memoryMb)
    .option("--hash-seed <n>", "PYTHONHASHSEED for every sandboxed process", (t) => Number.parseInt(t, 10), 0)
    .option("--json", "print exactly one JSON object (the summary) on stdout", false)
    .action(async (o) => {
      const result = await runEval({
        benchmark: o.benchmark,
        split: o.split ?? (o.benchmark === "mbpp" ? "test" : "all"),
        samples: o.samples,
        dataDir: o.data,
        challenge: o.challenge,
        isolation: o.isolation,
        workers: o.workers ?? defaultWorkers(),
        k: o.k,
        outDir: o.out,
        resultsDir: resolve(o.results),
        noCache: o.cache === false,
        limits: { ...DEFAULT_LIMITS, testSeconds: o.timeout, memoryMb: o.memory },
        hashSeed: o.hashSeed,
        resume: o.resume,
        progress: Boolean(process.stderr.isTTY),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (o.json) process.stdout.write(`${JSON.stringify(result.summary)}\n`);
      else process.stdout.write(renderSummaryTable(result.summary, result.runDir));
    });
}
