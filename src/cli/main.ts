import { Command } from "commander";
import { VerdictError } from "../core/errors.js";
import { InterruptedError } from "../runner/cleanup.js";
import { VERSION } from "../version.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerCompareCommand } from "./commands/compare.js";
import { registerEvalCommand } from "./commands/eval.js";
import { registerGenerateCommand } from "./commands/generate.js";
import { registerRunCommand } from "./commands/run.js";
import { registerSchemaCommand } from "./commands/schema.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerTable1Command } from "./commands/table1.js";
import { registerReportCommand } from "./commands/report.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerSandboxCommands } from "./commands/sandbox.js";
import { registerSoakCommand } from "./commands/soak.js";

const program = new Command();
program.name("verdict").description("Sandboxed evaluation harness for code models").version(VERSION);
registerEvalCommand(program);
registerBenchCommand(program);
registerSandboxCommands(program);
registerSoakCommand(program);
registerCompareCommand(program);
registerRunsCommand(program);
registerGenerateCommand(program);
registerRunCommand(program);
registerTable1Command(program);
registerServeCommand(program);
registerSchemaCommand(program);
registerReportCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Errors verdict raises on purpose carry a message meant for the user; anything else is a bug.
  if (e instanceof InterruptedError) {
    process.stderr.write(`verdict: ${e.message}\n`);
    // Exit as a signal-killed process would (130, 143), now: the run is saved, and nothing
    // left on the event loop (a socket the interrupt cut) may keep a stopped process alive.
    process.exit(e.exitCode);
  } else if (e instanceof VerdictError) {
    process.stderr.write(`verdict: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
