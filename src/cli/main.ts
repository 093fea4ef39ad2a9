import { Command, CommanderError } from "commander";
import { VerdictError } from "../core/errors.js";
import { InterruptedError } from "../runner/cleanup.js";
import { stderrLine } from "../runner/progress.js";
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
import { registerSearchCommand } from "./commands/search.js";
import { registerSelfplayCommand } from "./commands/selfplay.js";
import { registerSoakCommand } from "./commands/soak.js";
import { registerTcgCommand } from "./commands/tcg.js";

const program = new Command();
program.name("verdict").description("Sandboxed evaluation harness for code models").version(VERSION);
// Commander's own exits become errors here (subcommands inherit this), so a usage error exits 2 like any other bad input.
program.exitOverride();
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
registerTcgCommand(program);
registerSearchCommand(program);
registerSelfplayCommand(program);
/** Exit code of a usage error (an unknown command or option, a bad or missing flag value): the same as any other bad input. */
const USAGE_EXIT = 2;

/**
 * The command a command line names, when it names none that exists: `verdict foo --help` and
 * `verdict help foo` are unknown commands, not requests for the main help.
 */
function unknownCommand(args: readonly string[]): string | undefined {
  const [first, second] = args;
  const named = first === "help" ? second : first;
  if (named === undefined || named.startsWith("-")) return undefined;
  const known = program.commands.some((c) => c.name() === named || c.aliases().includes(named));
  return known || named === "help" ? undefined : named;
}

try {
  const unknown = unknownCommand(process.argv.slice(2));
  if (unknown !== undefined) {
    // `./verdict test` is the checkout's setup script running the suite; the CLI has no such command.
    const hint = unknown === "test" ? "the test suite runs with ./verdict test (or npm test)" : `the commands: ${program.commands.map((c) => c.name()).join(", ")}; see verdict --help`;
    process.stderr.write(`error: unknown command '${unknown}' (${hint})\n`);
    process.exit(USAGE_EXIT);
  }
  await program.parseAsync(process.argv);
} catch (e) {
  // Errors verdict raises on purpose carry a message meant for the user; anything else is a bug.
  if (e instanceof CommanderError) {
    // Commander printed its message already; help and --version asked for are not errors.
    process.exitCode = e.exitCode === 0 ? 0 : USAGE_EXIT;
  } else if (e instanceof InterruptedError) {
    stderrLine(`verdict: ${e.message}`);
    // Exit as a signal-killed process would (130, 143), now: the run is saved, and nothing
    // left on the event loop (a socket the interrupt cut) may keep a stopped process alive.
    process.exit(e.exitCode);
  } else if (e instanceof VerdictError) {
    stderrLine(`verdict: ${e.message}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
