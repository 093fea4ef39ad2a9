import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import { schemaText } from "../../src/cli/commands/schema.js";
import { configSplit, fieldName, loadRunConfig, parseRunConfigText, runConfigJsonSchema } from "../../src/pipelines/run-config.js";

const repo = join(import.meta.dirname, "..", "..");

const ISSUE_EXAMPLE = `benchmark: mbpp
split: test
limit: 20                      # optional: first N tasks
models:
  - {name: qwen2.5-1.5b, base_url: "http://127.0.0.1:8000/v1", model: Qwen/Qwen2.5-1.5B, api: completions}
styles: [vanilla, pseudocode]
pass1: {temperature: 0, n: 1}
aspr: {definition: A, paths: 4, finals: 4, temperature: 0.8, top_p: 0.95}
`;

function errorOf(text: string): string {
  try {
    parseRunConfigText(text, "/configs/run.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error("the config was accepted");
}

describe("run config", () => {
  it("accepts the issue's example and fills in the defaults", () => {
    const cfg = parseRunConfigText(ISSUE_EXAMPLE, "/configs/run.yaml");
    expect(cfg).toEqual({
      benchmark: "mbpp",
      split: "test",
      limit: 20,
      out: "/configs/results",
      models: [{ name: "qwen2.5-1.5b", base_url: "http://127.0.0.1:8000/v1", model: "Qwen/Qwen2.5-1.5B", api: "completions", concurrency: 8, timeout_s: 300, retries: 4 }],
      styles: ["vanilla", "pseudocode"],
      max_tokens: 512,
      prompt: { shots: 3, tests: "all", max_steps: 5 },
      pass1: { temperature: 0, top_p: 1, seed: 0, n: 1 },
      aspr: { temperature: 0.8, top_p: 0.95, seed: 0, definition: "A", paths: 4, finals: 4 },
      sandbox: { isolation: "pool", timeout_s: 4, memory_mb: 4096, hash_seed: 0 },
      ci: { method: "auto", resamples: 10_000, seed: 0 },
    });
    expect(configSplit(cfg)).toBe("test");
    expect(configSplit({ ...cfg, split: undefined, benchmark: "mbpp-plus" })).toBe("all");
  });

  it("resolves relative paths against the config's folder; a benchmark name stays a name", () => {
    const cfg = parseRunConfigText(
      `benchmark: ./tasks.jsonl\ndata: ../data\nout: /abs/out\nmodels:\n  - {name: r, model: m, replay: rec.jsonl, record: /tmp/rec.jsonl}\n`,
      "/configs/run.yaml",
    );
    expect(cfg).toMatchObject({ benchmark: "/configs/tasks.jsonl", data: "/data", out: "/abs/out", models: [{ replay: "/configs/rec.jsonl", record: "/tmp/rec.jsonl" }] });
    const searched = parseRunConfigText(`models:\n  - {name: r, model: m, replay: rec.jsonl}\naspr: {definition: D, search_run: ../runs/s1}\n`, "/configs/run.yaml");
    expect(searched.aspr).toMatchObject({ definition: "D", search_run: "/runs/s1" });
  });

  it.each([
    [`models:\n  - name: a\n    model: m\n    base_url: nope\n`, "models[0].base_url (line 4): Invalid URL"],
    [`models:\n  - {name: a, model: m}\n`, "models[0].base_url (line 2): give base_url (a server) or replay (a recording)"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\naspr: {definition: C}\n`, "aspr.search_run (line 3): ASPR definition C is read from a search run's trees: give aspr.search_run"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\naspr: {definition: B, search_run: s}\n`, "aspr.search_run (line 3): read only by ASPR definitions C and D"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\naspr: {definition: E}\n`, "aspr.definition (line 3): expected A"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\npass1: {temprature: 0}\n`, "pass1.temprature (line 3): unknown field"],
    [`models: []\n`, "models (line 1): Too small"],
    [`styles: [vanilla]\n`, "models (line 1): Invalid input: expected array"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\n  - {name: a, model: m, base_url: "http://x/v1"}\n`, 'models[1].name (line 3): "a" is already the name of models[0]'],
    [`models:\n  - {name: "a b", model: m, base_url: "http://x/v1"}\n`, "models[0].name (line 2): letters, digits"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\nstyles: [vanilla, cot]\n`, "styles[1] (line 3): Invalid option"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\npass1: {n: 4}\nci: {method: wilson}\n`, "ci.method (line 4): Wilson intervals assume one sample per task"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\nprompt: {shots: 5}\n`, "prompt.shots (line 3)"],
    [`models:\n  - {name: a, model: m, base_url: "http://x/v1"}\naspr: {paths: 0}\n`, "aspr.paths (line 3): Too small"],
    [`models: [\n`, "not valid YAML (line 2)"],
  ])("names the field and its line: %j", (text, message) => {
    const error = errorOf(text);
    expect(error).toMatch(/^\/configs\/run\.yaml: /);
    expect(error).toContain(message);
  });

  it("spells a field path as it reads in YAML", () => {
    expect(fieldName(["models", 0, "base_url"])).toBe("models[0].base_url");
    expect(fieldName([])).toBe("(top level)");
  });

  it("says when the file cannot be read", async () => {
    await expect(loadRunConfig("/nonexistent/run.yaml")).rejects.toThrow(/cannot read run config/);
  });

  it("benchmarks/table1.yaml is valid: four Qwen2.5 models with the paper's figures", async () => {
    const cfg = await loadRunConfig(join(repo, "benchmarks", "table1.yaml"));
    expect(cfg.models.map((m) => m.model)).toEqual(["Qwen/Qwen2.5-1.5B", "Qwen/Qwen2.5-3B", "Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-Coder-7B"]);
    expect(cfg.models.map((m) => m.paper?.pseudocode.aspr)).toEqual([54.5, 70.6, 78.1, 74.9]);
    expect(cfg.aspr).toMatchObject({ definition: "A", temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1 });
    expect(cfg.out).toBe(join(repo, "results"));
  });

  it("the committed JSON Schema is the one the code emits (`verdict schema run-config`)", () => {
    const committed = readFileSync(join(repo, "benchmarks", "run-config.schema.json"), "utf8");
    expect(committed).toBe(schemaText("run-config"));
    const schema = runConfigJsonSchema();
    expect(schema).toMatchObject({ type: "object", required: ["models"], additionalProperties: false });
    expect(Object.keys(schema.properties as object)).toEqual(expect.arrayContaining(["models", "styles", "pass1", "aspr", "limit"]));
  });

  it("reads tests: (the benchmark's, a TCG run's, or both), its run directory relative to the config's folder", () => {
    expect(parseRunConfigText(ISSUE_EXAMPLE, "/configs/run.yaml").tests).toBeUndefined();
    expect(parseRunConfigText(`${ISSUE_EXAMPLE}tests: tcg:runs/t1\n`, "/configs/run.yaml").tests).toBe("tcg:/configs/runs/t1");
    expect(parseRunConfigText(`${ISSUE_EXAMPLE}tests: benchmark+tcg:/abs/t1\n`, "/configs/run.yaml").tests).toBe("benchmark+tcg:/abs/t1");
    expect(errorOf(`${ISSUE_EXAMPLE}tests: tcg\n`)).toMatch(/tests \(line 9\): expected benchmark, tcg:RUN_DIR or benchmark\+tcg:RUN_DIR/);
  });
});
