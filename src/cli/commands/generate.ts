import { existsSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { InputError } from "../../core/errors.js";
import { loadBenchmark } from "../../benchmarks/registry.js";
import { z } from "zod";
import { schemaFlag } from "../flags.js";
import { codeCountLine, generateSamples, loadFewShot, promptTaskFromSpec, type GenerationPlan, type GenerationStats } from "../../pipelines/generate.js";
import { modelConfigSchema } from "../../pipelines/run-config.js";
import { providerFor } from "../../pipelines/run-providers.js";
import { describeGenerationError } from "../../models/provider.js";
import type { PromptStyleName } from "../../prompts/prompt-style.js";
import { openSamplesFile } from "../../runner/samples-file.js";

/** Parses a number flag through a zod schema (src/cli/flags.ts); `min` is inclusive, `integer` requires a whole number. */
export function numberFlag(name: string, check: { min?: number; integer?: boolean; positive?: boolean } = {}) {
  let schema = check.integer ? z.number().int() : z.number();
  if (check.positive) schema = schema.positive();
  if (check.min !== undefined) schema = schema.min(check.min);
  return schemaFlag(name, schema);
}

/** Flags of `verdict generate`, as commander hands them over. */
export interface GenerateFlags {
  benchmark: string;
  split?: string;
  limit?: number;
  data?: string;
  out: string;
  model?: string;
  baseUrl?: string;
  api: "completions" | "chat";
  apiKeyEnv?: string;
  replay?: string;
  record?: string;
  style: PromptStyleName;
  n: number;
  paths?: number;
  finals?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  maxTokens: number;
  seed: number;
  shots: string;
  tests: "all" | "first" | "none";
  maxSteps: number;
  concurrency: number;
  maxN?: number;
  timeout: number;
  retries: number;
  cache: boolean;
  json?: boolean;
}

/** What `verdict generate` reports. */
export interface GenerateReport {
  out: string;
  /** Records in the file now. */
  samples: number;
  /** Records made by this call (the rest were already there). */
  generated: number;
  /** Records made by this call whose answer held code. */
  with_code: number;
  /** Whether `out` exists now (a call that generated nothing leaves no file it did not find). */
  written: boolean;
  requests: number;
  cached_requests: number;
  failures: { task_id: string; what: string; error: string }[];
  seconds: number;
}

/** Runs `verdict generate`: samples from a model (or a recording) into a JSONL that `verdict eval` scores. */
export async function runGenerate(flags: GenerateFlags, log: (line: string) => void = () => {}): Promise<GenerateReport> {
  const aspr = flags.paths !== undefined || flags.finals !== undefined;
  if (aspr && (flags.paths === undefined || flags.finals === undefined)) throw new InputError("--paths and --finals go together (ASPR sampling)");
  const plan: GenerationPlan = aspr ? { purpose: "aspr", paths: flags.paths ?? 1, finals: flags.finals ?? 1 } : { purpose: "pass1", n: flags.n };
  const shots = flags.shots === "0" ? 0 : flags.shots === "3" ? 3 : undefined;
  if (shots === undefined) throw new InputError(`--shots expects 0 or 3, got "${flags.shots}"`);
  const parsed = modelConfigSchema.safeParse({
    name: "generate",
    model: flags.model ?? (flags.replay !== undefined ? "replay" : undefined),
    api: flags.api,
    concurrency: flags.concurrency,
    timeout_s: flags.timeout,
    retries: flags.retries,
    ...(flags.baseUrl !== undefined ? { base_url: flags.baseUrl } : {}),
    ...(flags.apiKeyEnv !== undefined ? { api_key_env: flags.apiKeyEnv } : {}),
    ...(flags.replay !== undefined ? { replay: resolve(flags.replay) } : {}),
    ...(flags.record !== undefined ? { record: resolve(flags.record) } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = { base_url: "--base-url", model: "--model", api_key_env: "--api-key-env" }[String(issue?.path[0] ?? "")] ?? String(issue?.path[0] ?? "");
    throw new InputError(`${flag}: ${issue?.message ?? z.prettifyError(parsed.error)}`);
  }
  const provider = providerFor(parsed.data, { enabled: flags.cache });
  const split = flags.split ?? (flags.benchmark === "mbpp" ? "test" : "all");
  const spec = await loadBenchmark(flags.benchmark, { split, ...(flags.data !== undefined ? { dataDir: flags.data } : {}) });
  const tasks = (flags.limit !== undefined ? spec.tasks.slice(0, flags.limit) : spec.tasks).map(promptTaskFromSpec);
  const fewShot = flags.style === "vanilla" ? await loadFewShot(shots, flags.data) : [];

  const out = resolve(flags.out);
  const existed = existsSync(out);
  const file = openSamplesFile(out);
  const already = file.existing.size;
  if (already > 0) log(`${out}: ${already} samples already there; generating the rest`);
  let stats: GenerationStats;
  try {
    stats = await generateSamples(
      {
        tasks,
        style: flags.style,
        api: flags.api,
        plan,
        sampling: {
          temperature: flags.temperature ?? (aspr ? 0.8 : 0),
          top_p: flags.topP ?? (aspr ? 0.95 : 1),
          ...(flags.topK !== undefined ? { top_k: flags.topK } : {}),
          ...(flags.repetitionPenalty !== undefined ? { repetition_penalty: flags.repetitionPenalty } : {}),
          max_tokens: flags.maxTokens,
          seed: flags.seed,
        },
        prompt: { shots: fewShot, tests: flags.tests, maxSteps: flags.maxSteps },
        provider,
        concurrency: flags.concurrency,
        ...(flags.maxN !== undefined ? { maxN: flags.maxN } : {}),
        existing: file.existing,
      },
      (record) => file.append(record),
    );
  } catch (err) {
    file.close();
    throw err;
  }
  file.finalize(tasks.map((t) => t.taskId));
  if (!existed && already + stats.samples === 0) {
    // Every request failed: an empty samples file would only wait to be scored as nothing.
    rmSync(out, { force: true });
    log(`no sample was generated: ${out} was not written`);
  }
  return {
    out,
    written: existsSync(out),
    samples: already + stats.samples,
    generated: stats.samples,
    requests: stats.requests,
    cached_requests: stats.cachedRequests,
    with_code: stats.withCode,
    failures: stats.failures.map((f) => ({ task_id: f.taskId, what: f.what, error: describeGenerationError(f.error) })),
    seconds: stats.seconds,
  };
}

/** `verdict generate`: ask a policy model for samples and write them as JSONL. */
export function registerGenerateCommand(program: Command): void {
  const int = (name: string, min = 1) => numberFlag(name, { integer: true, min });
  program
    .command("generate")
    .description("sample programs from a model served over the OpenAI API (or a recording) into a samples JSONL that `verdict eval` scores")
    .option("--benchmark <name|path>", "mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema", "mbpp")
    .option("--split <split>", "test, validation, train, prompt or all (default: test for mbpp, all otherwise)")
    .option("--limit <n>", "only the first N tasks", int("--limit"))
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)")
    .requiredOption("--out <file>", "samples JSONL to write (an existing one is resumed: its samples are kept)")
    .option("--model <name>", "the served model name (required with --base-url)")
    .option("--base-url <url>", "API root of an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    .addOption(new Option("--api <api>", "completions for base models, chat for instruct models").choices(["completions", "chat"]).default("completions"))
    .option("--api-key-env <var>", "environment variable holding the API key")
    .option("--replay <file>", "answer from a recording (JSONL of {request, response}) instead of a server")
    .option("--record <file>", "append every answered request to this recording")
    .addOption(new Option("--style <style>", "prompt style").choices(["vanilla", "pseudocode"]).default("vanilla"))
    .option("--n <n>", "samples per task (Pass@k sampling)", int("--n"), 1)
    .option("--paths <P>", "ASPR sampling: reasoning paths per task (with --finals)", int("--paths"))
    .option("--finals <M>", "ASPR sampling: final steps per path's prefix (with --paths)", int("--finals"))
    .option("--temperature <t>", "sampling temperature (default 0; 0.8 with --paths)", numberFlag("--temperature", { min: 0 }))
    .option("--top-p <p>", "nucleus mass (default 1; 0.95 with --paths)", numberFlag("--top-p", { positive: true }))
    .option("--top-k <k>", "vLLM/SGLang top_k", numberFlag("--top-k", { integer: true }))
    .option("--repetition-penalty <r>", "vLLM/SGLang repetition_penalty", numberFlag("--repetition-penalty", { positive: true }))
    .option("--max-tokens <n>", "tokens per answer (per step for pseudocode)", int("--max-tokens"), 512)
    .option("--seed <n>", "first sampling seed (sample i uses seed + i)", int("--seed", 0), 0)
    .option("--shots <0|3>", "vanilla: 0-shot or MBPP's standard 3-shot", "3")
    .addOption(new Option("--tests <which>", "asserts shown in the prompt").choices(["all", "first", "none"]).default("all"))
    .option("--max-steps <n>", "pseudocode: step limit per path", int("--max-steps"), 5)
    .option("--concurrency <n>", "requests in flight at once", int("--concurrency"), 8)
    .option("--max-n <n>", "most samples per request; 1 for servers without n (Ollama, TGI, llama.cpp)", int("--max-n"))
    .option("--timeout <seconds>", "per-request limit", numberFlag("--timeout", { positive: true }), 300)
    .option("--retries <n>", "retries on 429, 5xx, resets and timeouts", int("--retries", 0), 4)
    .option("--no-cache", "ask the model again even for requests answered before")
    .option("--json", "print the report as one JSON object", false)
    .action(async (flags: GenerateFlags) => {
      const report = await runGenerate(flags, (line) => process.stderr.write(`${line}\n`));
      for (const f of report.failures) process.stderr.write(`warning: task ${f.task_id}, ${f.what}: ${f.error}\n`);
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        const where = report.written ? `in ${report.out}` : `(${report.out} not written)`;
        process.stdout.write(
          `${report.samples} samples ${where} (${report.generated} new, ${codeCountLine({ samples: report.generated, withCode: report.with_code })}; ${report.requests} requests, ${report.cached_requests} from cache) in ${report.seconds.toFixed(1)} s\n`,
        );
      }
      if (report.failures.length > 0) {
        process.stderr.write(`${report.failures.length} request(s) failed after their retries; rerun the same command to fill the gaps\n`);
        process.exitCode = 1;
      }
    });
}
