import { writeFileSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { runConfigJsonSchema } from "../../pipelines/run-config.js";
import { tcgConfigJsonSchema } from "../../pipelines/tcg-config.js";
import { searchConfigJsonSchema } from "../../pipelines/search-run-config.js";
import { selfplayConfigJsonSchema } from "../../pipelines/selfplay-config.js";

/** The JSON Schemas verdict can emit, by name. */
export const SCHEMAS = { "run-config": runConfigJsonSchema, "search-config": searchConfigJsonSchema, "tcg-config": tcgConfigJsonSchema, "selfplay-config": selfplayConfigJsonSchema } satisfies Record<string, () => Record<string, unknown>>;

/** The text of a schema as committed (benchmarks/<name>.schema.json). */
export function schemaText(name: keyof typeof SCHEMAS): string {
  return `${JSON.stringify(SCHEMAS[name](), null, 2)}\n`;
}

/** `verdict schema NAME`: print (or write) the JSON Schema of a config format, for editors. */
export function registerSchemaCommand(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of a config file format (run-config: the YAML of `verdict run` and `verdict table1`; search-config: that of `verdict search`; tcg-config: that of `verdict tcg`; selfplay-config: that of `verdict selfplay`)")
    .argument("<name>", `one of: ${Object.keys(SCHEMAS).join(", ")}`, (name: string) => {
      if (!Object.hasOwn(SCHEMAS, name)) throw new InvalidArgumentError(`unknown schema "${name}"; known: ${Object.keys(SCHEMAS).join(", ")}`);
      return name as keyof typeof SCHEMAS;
    })
    .option("--out <file>", "write it to this file instead of stdout")
    .action((name: keyof typeof SCHEMAS, flags: { out?: string }) => {
      const text = schemaText(name);
      if (flags.out !== undefined) writeFileSync(flags.out, text);
      else process.stdout.write(text);
    });
}
