import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { buildTable1Json, renderTable1, renderTable1Markdown, type Table1Json } from "../../report/table1.js";
import type { PipelineResult } from "../../pipelines/run-result.js";
import { stderrLine } from "../../runner/progress.js";
import { addRunFlags, runFromFlags, type RunFlags } from "./run.js";

/** Writes table.md and table.json into the run directory; returns the JSON. */
export function writeTable1(result: PipelineResult): Table1Json {
  const json = buildTable1Json(result);
  writeFileSync(join(result.runDir, "table.json"), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(result.runDir, "table.md"), renderTable1Markdown(result));
  return json;
}

/** `verdict table1 CONFIG.yaml`: the o1-Coder paper's Table 1, our figures beside the paper's. */
export function registerTable1Command(program: Command): void {
  addRunFlags(
    program
      .command("table1")
      .argument("<config>", "run config (YAML), e.g. benchmarks/table1.yaml")
      .description("reproduce the o1-Coder paper's Table 1 (Vanilla vs Pseudocode, Pass@1 and ASPR): runs the config, prints the table, writes table.md and table.json"),
  ).action(async (configPath: string, flags: RunFlags) => {
    const result = await runFromFlags(configPath, flags, stderrLine, "table1");
    const json = writeTable1(result);
    process.stdout.write(flags.json ? `${JSON.stringify(json)}\n` : renderTable1(result));
    if (result.generation.failures.length > 0) {
      process.stderr.write(`${result.generation.failures.length} generation request(s) failed; the table is incomplete: rerun with --resume ${result.runDir}\n`);
      process.exitCode = 1;
    }
  });
}
