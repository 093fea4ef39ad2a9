import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerEvalCommand } from "../../src/cli/commands/eval.js";

/* The README matches the CLI: every flag of `verdict eval` is in its flag table, and no table is cut in two. */

const README = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

/** The README's `verdict eval` section, up to the next command's. */
function evalSection(): string {
  const start = README.indexOf("### `verdict eval`");
  const end = README.indexOf("\n### ", start + 1);
  expect(start).toBeGreaterThanOrEqual(0);
  return README.slice(start, end);
}

describe("README", () => {
  it("names every flag of verdict eval in its section's flag table", () => {
    const program = new Command();
    registerEvalCommand(program);
    const flags = program.commands.find((c) => c.name() === "eval")?.options.map((o) => o.long ?? "") ?? [];
    expect(flags).toContain("--data");
    const rows = evalSection()
      .split("\n")
      .filter((l) => l.startsWith("| `--"));
    // A negated flag (--no-cache) is listed as itself; a row may name two flags (`--out DIR` / `--results DIR`).
    const missing = flags.filter((f) => !rows.some((r) => r.includes(`\`${f}`)));
    expect(missing).toEqual([]);
  });

  it("has no table split by a blank line: a row after a blank line starts a table (a separator follows it)", () => {
    const lines = README.split("\n");
    let inCode = false;
    const orphans: number[] = [];
    lines.forEach((line, i) => {
      if (line.startsWith("```")) inCode = !inCode;
      if (inCode || !line.startsWith("|") || (lines[i - 1] ?? "").trim() !== "") return;
      if (!/^\|\s*:?-{3,}/.test(lines[i + 1] ?? "")) orphans.push(i + 1);
    });
    expect(orphans).toEqual([]);
  });
});
