import { Command } from "commander";
import { VerdictError } from "../core/errors.js";
import { VERSION } from "../version.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerCompareCommand } from "./commands/compare.js";
import { registerEvalCommand } from "./commands/eval.js";
import { registerRunsCommand } from "./commands/runs.js";
import { registerSandboxCommands } from "./commands/sandbox.js";

const program = new Command();
program.name("verdict").description("Sandboxed evaluation harness for code models").version(VERSION);
registerEvalCommand(program);
registerBenchCommand(program);
registerSandboxCommands(program);
registerCompareCommand(program);
registerRunsCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Errors verdict raises on purpose carry a message meant for the user; anything else is a bug.
  if (e instanceof VerdictError) {
    process.stderr.write(`verdict: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
