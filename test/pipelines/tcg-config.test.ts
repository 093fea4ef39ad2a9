import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { schemaText } from "../../src/cli/commands/schema.js";
import { InputError } from "../../src/core/errors.js";
import { loadTcgConfig, parseTcgConfigText, tcgConfigJsonSchema } from "../../src/pipelines/tcg-config.js";

const repo = join(import.meta.dirname, "..", "..");

/** The issue's example, word for word. */
const ISSUE_EXAMPLE = `benchmark: mbpp
split: train
limit: 20
models:
  - {name: tcg, base_url: "http://127.0.0.1:8000/v1", model: tcg-1.3b, api: completions}
tcg: {requests: 1, cases: 3, max_case_chars: 100, temperature: 0.8}
`;

function errorOf(text: string): string {
  try {
    parseTcgConfigText(text, "/configs/tcg.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error("the config was accepted");
}

describe("tcg config", () => {
  it("accepts the issue's example and fills in the defaults", () => {
    const cfg = parseTcgConfigText(ISSUE_EXAMPLE, "/configs/tcg.yaml");
    expect(cfg).toMatchObject({
      benchmark: "mbpp",
      split: "train",
      limit: 20,
      out: "/configs/results",
      tcg: { requests: 1, cases: 3, max_case_chars: 100, temperature: 0.8, top_p: 0.95, max_tokens: 512, seed: 0, format_hint: false },
      quality: { correct: [], wrong: [], mutants: 20, mutant_seed: 0 },
      export: { seed: 0 },
    });
    expect(cfg.models).toEqual([{ name: "tcg", base_url: "http://127.0.0.1:8000/v1", model: "tcg-1.3b", api: "completions", concurrency: 8, timeout_s: 300, retries: 4 }]);
  });

  it("names the file, line and field of a bad value, and resolves quality run directories beside the file", () => {
    expect(errorOf(`${ISSUE_EXAMPLE}quality: {mutant: 3}\n`)).toMatch(/^\/configs\/tcg\.yaml: invalid tcg config: quality\.mutant \(line 7\): unknown field/);
    expect(errorOf(ISSUE_EXAMPLE.replace("cases: 3", "cases: 0"))).toMatch(/tcg\.cases/);
    expect(errorOf(ISSUE_EXAMPLE.replace("models:\n", "models:\n  - {name: tcg, base_url: \"http://x/v1\", model: m}\n"))).toMatch(/"tcg" is already the name of models\[0\]/);
    const cfg = parseTcgConfigText(`${ISSUE_EXAMPLE}quality: {correct: [runs/ok], wrong: [/abs/bad]}\n`, "/configs/tcg.yaml");
    expect(cfg.quality).toMatchObject({ correct: ["/configs/runs/ok"], wrong: ["/abs/bad"] });
  });

  it("the committed JSON Schema is the one the code emits (`verdict schema tcg-config`)", () => {
    expect(readFileSync(join(repo, "benchmarks", "tcg-config.schema.json"), "utf8")).toBe(schemaText("tcg-config"));
    const schema = tcgConfigJsonSchema();
    expect(schema).toMatchObject({ type: "object", required: ["models"], additionalProperties: false });
    expect(Object.keys(schema.properties as object)).toEqual(expect.arrayContaining(["benchmark", "split", "limit", "models", "tcg", "quality", "export", "sandbox"]));
  });

  it("reads benchmarks/tcg.yaml, the README's full example, which sets every field of tcg, quality and export", async () => {
    const cfg = await loadTcgConfig(join(repo, "benchmarks", "tcg.yaml"));
    expect(cfg).toMatchObject({ benchmark: "mbpp", split: "train", limit: 20, out: join(repo, "results") });
    const text = readFileSync(join(repo, "benchmarks", "tcg.yaml"), "utf8");
    for (const key of [...Object.keys(cfg.tcg), ...Object.keys(cfg.quality), ...Object.keys(cfg.export)]) expect(text).toMatch(new RegExp(`^  ${key}:`, "m"));
    const readme = readFileSync(join(repo, "README.md"), "utf8");
    const body = text.slice(text.indexOf("benchmark:"));
    expect(readme).toContain(body.trimEnd());
  });
});
