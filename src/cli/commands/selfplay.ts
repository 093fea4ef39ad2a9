import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { Command } from "commander";
import { InputError } from "../../core/errors.js";
import { loadSelfplayConfig, type SelfplayConfig } from "../../pipelines/selfplay-config.js";
import { runSelfplay, SELFPLAY_FILES, selfplayResumeCommand, storedSelfplayConfig } from "../../pipelines/selfplay.js";
import { renderRoundsHtml } from "../../report/html/selfplay-report.js";
import { renderRounds } from "../../report/selfplay-table.js";
import { withInterrupts } from "../../runner/cleanup.js";
import { stderrLine } from "../../runner/progress.js";
import type { RoundsReport } from "../../selfplay/round-report.js";
import { addPlacementFlags, placementOf, type PlacementFlags } from "../flags.js";

/** `verdict selfplay CONFIG.yaml` (the loop) and `verdict selfplay report RUN_DIR` (its rounds table again). */
export function registerSelfplayCommand(program: Command): void {
  const selfplay = program.command("selfplay").description("the self-play loop (o1-Coder Algorithm 1): per round TCG, search, export, an external trainer, serving the new checkpoint, evaluation; resumable");
  addPlacementFlags(selfplay.command("run", { isDefault: true }))
    .description("run the rounds of the config (`verdict selfplay CONFIG.yaml`)")
    .argument("[config]", "selfplay config (YAML; see benchmarks/selfplay.yaml and benchmarks/selfplay-config.schema.json); optional with --resume")
    .option("--resume <run-dir>", "continue a stopped, killed or failed loop: finished phases are kept, the running one resumes as its command does (trainer and serve may be changed in CONFIG)")
    .option("--out <dir>", "run directory (default: <config out>/<run-id>)")
    .option("--json", "print rounds.json on stdout", false)
    .action(async (configPath: string | undefined, flags: { resume?: string; out?: string; json: boolean } & PlacementFlags) => {
      if (configPath === undefined && flags.resume === undefined) throw new InputError("give a selfplay config (verdict selfplay CONFIG.yaml), or --resume RUN_DIR");
      const config: SelfplayConfig = configPath !== undefined ? await loadSelfplayConfig(configPath) : storedSelfplayConfig(resolve(flags.resume as string));
      const result = await withInterrupts(
        (signal) =>
          runSelfplay({
            config,
            signal,
            log: stderrLine,
            placement: placementOf(flags, { config: config.sandbox, ...(configPath !== undefined ? { configFile: configPath } : {}), workers: config.sandbox.workers }),
            ...(flags.resume !== undefined ? { resume: resolve(flags.resume) } : {}),
            ...(flags.out !== undefined ? { outDir: resolve(flags.out) } : {}),
          }),
        () => ({ saved: "", resume: flags.resume !== undefined ? selfplayResumeCommand(resolve(flags.resume)) : "" }),
      );
      const html = writeRoundsHtml(result.runDir, result.report);
      if (flags.json) process.stdout.write(`${JSON.stringify(result.report)}\n`);
      else process.stdout.write(`${renderRounds(result.report)}\nrounds.json: ${join(result.runDir, SELFPLAY_FILES.rounds)}\nrounds.html: ${html}\n`);
    });
  selfplay
    .command("report")
    .description("print the rounds table of a selfplay run (finished or not) and write its HTML round report")
    .argument("<run-dir>", "a selfplay run directory")
    .option("--html <file>", "where to write the HTML round report (default: rounds.html in the run)")
    .action((runDir: string, flags: { html?: string }) => {
      const dir = resolve(runDir);
      const path = join(dir, SELFPLAY_FILES.rounds);
      if (!existsSync(path)) throw new InputError("not a selfplay run (no rounds.json)", dir);
      const report = JSON.parse(readFileSync(path, "utf8")) as RoundsReport;
      const html = writeRoundsHtml(dir, report, flags.html !== undefined ? resolve(flags.html) : undefined);
      process.stdout.write(`${renderRounds(report)}\nrounds.html: ${html}\n`);
    });
}

/** Writes the HTML round report (default `<run>/rounds.html`) and returns its path. */
function writeRoundsHtml(runDir: string, report: RoundsReport, file = join(runDir, "rounds.html")): string {
  writeFileSync(file, renderRoundsHtml(report, `verdict selfplay: ${basename(runDir)}`));
  return file;
}
