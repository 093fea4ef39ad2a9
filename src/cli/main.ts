import { Command } from "commander";

const program = new Command();
program.name("verdict").description("Sandboxed evaluation harness for code models").version("0.1.0");
await program.parseAsync(process.argv);
