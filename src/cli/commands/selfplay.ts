import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.js";
import { loadSelfplayConfig, type SelfplayConfig } from "../../pipelines/selfplay-config.js";
import { runSelfplay, SELFPLAY_FILES, selfplayResumeCommand, storedSelfplayConfig } from "../../pipelines/selfplay.js";
import { renderRounds } from "../../report/selfplay-table.js";
import { withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import type { RoundsReport } from "../../selfplay/round-report.js";

/** `verdict selfplay CONFIG.yaml` (the loop) and `verdict selfplay report RUN_DIR` (its rounds table again). */
export function registerSelfplayCommand(program: Command): void {
  const selfplay = program.command("selfplay").description("the self-play loop (o1-Coder Algorithm 1): per round TCG, search, export, an external trainer, serving the new checkpoint, evaluation; resumable");
  selfplay
    .command("run", { isDefault: true })
    .description("run the rounds of the config (`verdict selfplay CONFIG.yaml`)")
    .argument("[config]", "selfplay config (YAML; see benchmarks/selfplay.yaml and benchmarks/selfplay-config.schema.json); optional with --resume")
    .option("--resume <run-dir>", "continue a stopped, killed or failed loop: finished phases are kept, the running one resumes as its command does (trainer and serve may be changed in CONFIG)")
    .option("--out <dir>", "run directory (default: <config out>/<run-id>)")
    .option("--json", "print rounds.json on stdout", false)
    .action(async (configPath: string | undefined, flags: { resume?: string; out?: string; json: boolean }) => {
      if (configPath === undefined && flags.resume === undefined) throw new InputError("give a selfplay config (verdict selfplay CONFIG.yaml), or --resume RUN_DIR");
      const config: SelfplayConfig = configPath !== undefined ? await loadSelfplayConfig(configPath) : storedSelfplayConfig(resolve(flags.resume as string));
      const result = await withInterrupts(
        (signal) =>
          runSelfplay({
            config,
            signal,
            log: stderrLine,
            ...(flags.resume !== undefined ? { resume: resolve(flags.resume) } : {}),
            ...(flags.out !== undefined ? { outDir: resolve(flags.out) } : {}),
          }),
        () => ({ saved: "", resume: flags.resume !== undefined ? selfplayResumeCommand(resolve(flags.resume)) : "" }),
      );
      if (flags.json) process.stdout.write(`${JSON.stringify(result.report)}\n`);
      else process.stdout.write(`${renderRounds(result.report)}\nrounds.json: ${join(result.runDir, SELFPLAY_FILES.rounds)}\n`);
    });
  selfplay
    .command("report")
    .description("print the rounds table of a selfplay run (finished or not)")
    .argument("<run-dir>", "a selfplay run directory")
    .action((runDir: string) => {
      const path = join(resolve(runDir), SELFPLAY_FILES.rounds);
      if (!existsSync(path)) throw new InputError("not a selfplay run (no rounds.json)", resolve(runDir));
      process.stdout.write(renderRounds(JSON.parse(readFileSync(path, "utf8")) as RoundsReport));
    });
}
