import { resolve } from "node:path";
import type { Command } from "commander";
import { loadTcgConfig, type TcgConfig } from "../../pipelines/tcg-config.js";
import { runTcg, type TcgResult } from "../../pipelines/tcg.js";
import { renderTcgResult } from "../../report/tcg-table.js";
import { shellWord, withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import { addPlacementFlags, configOverrides, configRunOptions, type ConfigRunFlags } from "../flags.js";
import { numberFlag } from "./generate.js";

/** Flags of `verdict tcg`, as commander hands them over. */
export interface TcgFlags extends ConfigRunFlags {
  correct?: string[];
  wrong?: string[];
}

/**
 * Runs `verdict tcg CONFIG` as the flags say, under the interrupt handlers: a signal removes
 * the containers, marks the run interrupted and names the exact command that resumes it.
 */
export async function tcgFromFlags(configPath: string, flags: TcgFlags, log: (line: string) => void): Promise<TcgResult> {
  const { overrides, words } = configOverrides(flags);
  const config: TcgConfig = { ...(await loadTcgConfig(configPath)), ...overrides };
  // The flags that shape what the run is come along into the resume command; the rest may change.
  const kept = [
    ...words,
    ...(flags.correct ?? []).flatMap((d) => ["--correct", shellWord(resolve(d))]),
    ...(flags.wrong ?? []).flatMap((d) => ["--wrong", shellWord(resolve(d))]),
  ];
  const resumeCommand = (runDir: string): string => ["verdict", "tcg", shellWord(configPath), ...kept, "--resume", shellWord(runDir)].join(" ");
  return withInterrupts(
    (signal) =>
      runTcg({
        config,
        signal,
        ...configRunOptions(flags, { configPath, sandbox: config.sandbox, resumeCommand, log }),
        ...(flags.correct !== undefined ? { correct: flags.correct.map((d) => resolve(d)) } : {}),
        ...(flags.wrong !== undefined ? { wrong: flags.wrong.map((d) => resolve(d)) } : {}),
      }),
    // Interrupted before the run directory existed: nothing was saved.
    () => ({ saved: "", resume: "" }),
  );
}

/** `verdict tcg CONFIG.yaml`: generate test cases with the config's models, validate them on the reference, measure them. */
export function registerTcgCommand(program: Command): void {
  addPlacementFlags(program.command("tcg"))
    .argument("<config>", "tcg config (YAML; see benchmarks/tcg.yaml and benchmarks/tcg-config.schema.json)")
    .description(
      "generate test cases with the config's models (o1-Coder's TCG), validate them on the reference in the sandbox, measure validity, TPR and kill rate, " +
        "and write tests.jsonl (for eval --tests tcg:RUN_DIR) and TRL SFT/DPO exports; resumable",
    )
    .option("--out <dir>", "run directory (default: <config out>/<run-id>)")
    .option("--resume <run-dir>", "continue an interrupted or killed run: no request is asked and no case validated twice")
    .option("--limit <n>", "only the first N tasks (overrides the config's limit)", numberFlag("--limit", { integer: true, min: 1 }))
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (overrides the config's data)")
    .option("--correct <run-dirs...>", "run directories whose passing samples are known-correct programs (TPR), besides the config's quality.correct")
    .option("--wrong <run-dirs...>", "run directories whose failing samples are wrong programs (kill rate), besides the config's quality.wrong")
    .option("--no-cache", "ask the models and judge everything afresh (no response, verdict or expected-value cache)")
    .option("--no-verdict-cache", "judge every program afresh, keeping cached model answers and expected values")
    .option("--json", "print one JSON object (the summary, with run_dir) on stdout", false)
    .action(async (configPath: string, flags: TcgFlags) => {
      const result = await tcgFromFlags(configPath, flags, stderrLine);
      process.stdout.write(flags.json ? `${JSON.stringify({ run_dir: result.runDir, ...result.summary })}\n` : renderTcgResult(result.summary.tcg, result.runDir));
      // An incomplete run (a request that failed after its retries) is resumable, and says so by its exit code.
      if (!result.summary.tcg.complete) process.exitCode = 1;
    });
}
