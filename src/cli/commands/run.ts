import type { Command } from "commander";
import { renderRunResult } from "../../report/run-table.js";
import { loadRunConfig, type RunConfig } from "../../pipelines/run-config.js";
import { runPipeline } from "../../pipelines/run-pipeline.js";
import type { PipelineResult } from "../../pipelines/run-result.js";
import { shellWord, withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import { addPlacementFlags, configOverrides, configRunOptions, type ConfigRunFlags } from "../flags.js";
import { numberFlag } from "./generate.js";

/** Flags shared by `verdict run` and `verdict table1`. */
export interface RunFlags extends ConfigRunFlags {
  models?: string;
}

/** Adds the flags `verdict run` and `verdict table1` share. */
export function addRunFlags(command: Command): Command {
  return addPlacementFlags(command)
    .option("--out <dir>", "run directory (default: <config out>/<run-id>)")
    .option("--resume <run-dir>", "continue an interrupted run: keep its samples and verdicts, ask only for what is missing")
    .option("--limit <n>", "only the first N tasks (overrides the config's limit)", numberFlag("--limit", { integer: true, min: 1 }))
    .option("--models <names>", "generate with these models only (comma-separated names); the rest are reported from what the run directory holds")
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (overrides the config's data; default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)")
    .option("--no-cache", "ask the models and judge everything afresh (no response, verdict or expected-value cache)")
    .option("--no-verdict-cache", "judge every sample afresh, keeping cached model answers and expected values")
    .option("--json", "print one JSON object on stdout", false);
}

/**
 * Loads the config and runs the pipeline as the flags say, under the interrupt handlers: a
 * signal removes the containers, marks the run interrupted and names the `command` that resumes it.
 */
export async function runFromFlags(configPath: string, flags: RunFlags, log: (line: string) => void, command: "run" | "table1" = "run"): Promise<PipelineResult> {
  const { overrides, words } = configOverrides(flags);
  const config: RunConfig = { ...(await loadRunConfig(configPath)), ...overrides };
  // The flags that shape what the run is (its fingerprint) come along; the rest may change on a resume.
  const kept = [
    ...words,
    ...(flags.models !== undefined ? ["--models", shellWord(flags.models)] : []),
  ];
  const resumeCommand = (runDir: string): string => ["verdict", command, shellWord(configPath), ...kept, "--resume", shellWord(runDir)].join(" ");
  return withInterrupts(
    (signal) =>
      runPipeline({
        config,
        signal,
        ...configRunOptions(flags, { configPath, sandbox: config.sandbox, resumeCommand, log }),
        ...(flags.models !== undefined ? { onlyModels: flags.models.split(",").map((m) => m.trim()).filter(Boolean) } : {}),
        progressEveryMs: 30_000,
      }),
    // Interrupted before the run directory existed: nothing was saved.
    () => ({ saved: "", resume: "" }),
  );
}

/** `verdict run CONFIG.yaml`: generate with every model and style, scoring as samples arrive. */
export function registerRunCommand(program: Command): void {
  addRunFlags(
    program
      .command("run")
      .argument("<config>", "run config (YAML; see benchmarks/table1.yaml and benchmarks/run-config.schema.json)")
      .description("generate with the config's models and prompt styles and score in one go (samples stream into the sandbox pool); resumable"),
  ).action(async (configPath: string, flags: RunFlags) => {
    const result = await runFromFlags(configPath, flags, stderrLine);
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : renderRunResult(result));
    if (result.generation.failures.length > 0) process.exitCode = 1;
  });
}
