import { type Command, InvalidArgumentError } from "commander";
import { countSchema, schemaFlag } from "../flags.js";
import { BENCH_SECTIONS, type BenchSection, runBench } from "../../pipelines/bench.js";
import { renderBench } from "../../report/bench-table.js";
import { defaultWorkers } from "../../sandbox/limits.js";

/** `verdict bench`: the sandbox's speed against its baselines, measured in one run. */
export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description(
      "measure jobs/s (pool, fresh, runner on the host, bare python3 -c), the time to score MBPP and MBPP+, a published model's MBPP+ samples against their own run time, " +
        "generation, the judging service under load, TCG validation cases/s against trivial jobs/s, verdict search against a scripted server (nodes/s, rewards/s, pool busy), " +
        "and trivial jobs/s over one engine against three extra engines of this machine (unix, TLS, SSH), and runsc against runc (jobs/s, MBPP test split)",
    )
    .option("--workers <n>", "sandboxes at once (default: cores)", schemaFlag("--workers", countSchema()))
    .option("--jobs <n>", "trivial jobs per pool / bare-fork measurement", schemaFlag("--jobs", countSchema()), 2000)
    .option("--fresh-jobs <n>", "trivial jobs per fresh-container measurement", schemaFlag("--fresh-jobs", countSchema()), 24)
    .option("--bare-jobs <n>", "trivial jobs per bare-process (python3 -c) measurement", schemaFlag("--bare-jobs", countSchema()), 300)
    .option("--repeat <n>", "repeats per measurement (the median is reported)", schemaFlag("--repeat", countSchema()), 3)
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)")
    .option("--quick", "only the trivial-job rates, not MBPP / MBPP+ or the judging service", false)
    .option("--only <sections>", `only these sections, comma-separated: ${BENCH_SECTIONS.join(", ")} (service measures trivial too, for its target)`, parseSections)
    .option("--service-requests <n>", "POST /v1/judge requests of the judging service's load", schemaFlag("--service-requests", countSchema()), 10_000)
    .option("--service-clients <n>", "clients at once in the judging service's load", schemaFlag("--service-clients", countSchema()), 64)
    .option("--json", "print the report as one JSON object", false)
    .action(async (o) => {
      const report = await runBench({
        workers: o.workers ?? defaultWorkers(),
        trivialJobs: o.jobs,
        freshJobs: o.freshJobs,
        bareJobs: o.bareJobs,
        repeat: o.repeat,
        dataDir: o.data,
        skipBenchmarks: o.quick,
        ...(o.only !== undefined ? { only: o.only } : {}),
        serviceRequests: o.serviceRequests,
        serviceClients: o.serviceClients,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : renderBench(report));
    });
}

/** `--only trivial,tcg`: known section names, each once. */
function parseSections(value: string): ReadonlySet<BenchSection> {
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(BENCH_SECTIONS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown section(s) ${unknown.map((u) => `"${u}"`).join(", ") || "(none given)"}; known: ${BENCH_SECTIONS.join(", ")}`);
  return new Set(names as BenchSection[]);
}
