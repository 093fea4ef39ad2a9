import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PyValue } from "../../src/core/py-value.js";
import type { RunSummary } from "../../src/core/run.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { encodeValue } from "../../src/judge/codec.js";
import { renderRunResult } from "../../src/report/run-table.js";
import { renderTable1 } from "../../src/report/table1.js";
import { runEval } from "../../src/pipelines/eval.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { parseRunConfig, type RunConfig } from "../../src/pipelines/run-config.js";
import type { CellId } from "../../src/pipelines/run-cells.js";
import { runPipeline } from "../../src/pipelines/run-pipeline.js";
import type { PipelineResult } from "../../src/pipelines/run-result.js";
import { readSampleRecords } from "../../src/runner/samples-file.js";
import { BASE_EXPECTED, BASE_SCRIPT, program, scriptedPolicy, TASKS, type PolicyScript } from "../fixtures/models/scripted-policy.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));

/** The instruct model answers every vanilla Pass@1 task correctly; the rest as the base model. */
const INSTRUCT_SCRIPT: PolicyScript = { ...BASE_SCRIPT, vanillaPass1: { "11": "C", "12": "C", "13": "C", "14": "C", "15": "C" } };

let root: string;
let base: OpenAITestServer;
let instruct: OpenAITestServer;
let savedCacheDir: string | undefined;

beforeAll(async () => {
  await testImage();
  root = mkdtempSync(join(tmpdir(), "verdict-pipeline-"));
  // Responses, verdicts and expected values all cache under the test's own folder.
  savedCacheDir = process.env.VERDICT_CACHE_DIR;
  process.env.VERDICT_CACHE_DIR = join(root, "cache");
  base = await startOpenAITestServer(scriptedPolicy(BASE_SCRIPT));
  instruct = await startOpenAITestServer(scriptedPolicy(INSTRUCT_SCRIPT));
});

afterAll(async () => {
  await base?.close();
  await instruct?.close();
  if (savedCacheDir === undefined) delete process.env.VERDICT_CACHE_DIR;
  else process.env.VERDICT_CACHE_DIR = savedCacheDir;
  if (root) rmSync(root, { recursive: true, force: true });
});

function config(overrides: Partial<Record<string, unknown>> = {}): RunConfig {
  return parseRunConfig(
    {
      benchmark: "mbpp",
      split: "test",
      limit: 5,
      data: DATA,
      out: join(root, "results"),
      models: [
        { name: "base", base_url: base.baseUrl, model: "Qwen/Qwen2.5-1.5B", api: "completions", paper: { vanilla: { pass1: 55.8, aspr: 49.9 }, pseudocode: { pass1: 46.7, aspr: 54.5 } } },
        { name: "instruct", base_url: instruct.baseUrl, model: "Qwen/Qwen2.5-1.5B-Instruct", api: "chat" },
      ],
      styles: ["vanilla", "pseudocode"],
      prompt: { shots: 3, max_steps: 2 },
      pass1: { temperature: 0, n: 1 },
      aspr: { definition: "A", paths: 2, finals: 2, temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1 },
      sandbox: { workers: 2 },
      ci: { resamples: 500 },
      ...overrides,
    },
    "test-config.yaml",
  );
}

function figures(result: PipelineResult, model: string) {
  const m = result.models.find((x) => x.name === model);
  return {
    vanilla: { pass1: m?.styles.vanilla?.pass1.value, aspr: m?.styles.vanilla?.aspr.value },
    pseudocode: { pass1: m?.styles.pseudocode?.pass1.value, aspr: m?.styles.pseudocode?.aspr.value },
    delta: { pass1: m?.delta?.pass1.value, aspr: m?.delta?.aspr.value },
  };
}

describe.skipIf(!HAS_DATA)("runPipeline against a scripted model server", () => {
  let first: PipelineResult;
  let firstVerdictAt = 0;
  let lastSampleAt = 0;
  const verdictCells: CellId[] = [];

  beforeAll(async () => {
    base.requests.length = 0;
    first = await runPipeline({
      config: config(),
      outDir: join(root, "results", "first"),
      noCache: false,
      onSample: () => {
        lastSampleAt = performance.now();
      },
      onVerdict: (cell) => {
        verdictCells.push(cell);
        if (firstVerdictAt === 0) firstVerdictAt = performance.now();
      },
    });
  }, 300_000);

  it("computes Pass@1 and ASPR (definition A) exactly, for a completions and a chat model", () => {
    expect(figures(first, "base")).toEqual({
      vanilla: { pass1: BASE_EXPECTED.vanilla.pass1, aspr: BASE_EXPECTED.vanilla.asprA },
      pseudocode: { pass1: BASE_EXPECTED.pseudocode.pass1, aspr: BASE_EXPECTED.pseudocode.asprA },
      delta: {
        pass1: expect.closeTo(BASE_EXPECTED.pseudocode.pass1 - BASE_EXPECTED.vanilla.pass1, 12),
        aspr: expect.closeTo(BASE_EXPECTED.pseudocode.asprA - BASE_EXPECTED.vanilla.asprA, 12),
      },
    });
    expect(figures(first, "instruct")).toEqual({
      vanilla: { pass1: 1, aspr: BASE_EXPECTED.vanilla.asprA },
      pseudocode: { pass1: BASE_EXPECTED.pseudocode.pass1, aspr: BASE_EXPECTED.pseudocode.asprA },
      delta: { pass1: expect.closeTo(-0.6, 12), aspr: expect.closeTo(0.1875, 12) },
    });
    const v = first.models[0]?.styles.vanilla;
    expect(v?.aspr).toMatchObject({ definition: "A", tasks: 5, tasksCounted: 4, paths: 10, correctPaths: 6, finalsCounted: 12 });
    expect(v?.pass1).toMatchObject({ tasks: 5, samples: 5, passed: 3, ci: { method: "wilson" } });
    expect(v?.pass1.ci?.low).toBeCloseTo(0.2307, 3);
    expect(v?.pass1.ci?.high).toBeCloseTo(0.8824, 3);
    expect(v?.aspr.ci?.method).toBe("bootstrap");
    expect(first.generation.failures).toEqual([]);
  });

  it("writes a run directory per cell that verdict eval can score", async () => {
    const dir = first.models[0]?.styles.pseudocode?.dirs.aspr ?? "";
    for (const f of ["generations.jsonl", "verdicts.jsonl", "manifest.json", "summary.json"]) expect(existsSync(join(dir, f))).toBe(true);
    const { records } = readSampleRecords(join(dir, "generations.jsonl"));
    // 5 tasks x 2 paths, plus 2 finals for each of the 9 paths that wrote code (task 13's first never did).
    expect(records).toHaveLength(10 + 18);
    const final = records.find((r) => r.task_id === "12" && r.sample_index === 2 + 0 * 2 + 1);
    expect(final).toMatchObject({ role: "final", path: 0, final: 1, style: "pseudocode", code_source: "no_code", solution: "" });
    expect(final?.steps).toHaveLength(2);
    const path = records.find((r) => r.task_id === "11" && r.sample_index === 0);
    expect(path).toMatchObject({
      role: "path",
      code_source: "terminal_step",
      sampling: { temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1, max_tokens: 512, seed: 0, n: 1 },
      usage: { prompt_tokens: 200, completion_tokens: 40, requests: 2, samples_per_request: 1 },
    });
    expect(path?.raw).toHaveLength(2);
    expect(path?.steps?.[1]).toContain("```python");
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ status: "complete", generation: { style: "pseudocode", purpose: "aspr", api: "completions" } });

    // The Pass@1 cell's samples, scored on their own by `verdict eval`, give the same Pass@1.
    const pass1Dir = first.models[0]?.styles.vanilla?.dirs.pass1 ?? "";
    // eval scores the whole split: its expected values come from the shared cache, not the test's own.
    const own = process.env.VERDICT_CACHE_DIR;
    if (savedCacheDir === undefined) delete process.env.VERDICT_CACHE_DIR;
    else process.env.VERDICT_CACHE_DIR = savedCacheDir;
    const evaluated = await runEval({
      benchmark: "mbpp",
      split: "test",
      samples: join(pass1Dir, "generations.jsonl"),
      // The run's limit is 5 tasks: eval scores those, labelled partial.
      missing: "skip",
      dataDir: DATA,
      isolation: "pool",
      workers: 2,
      k: [1],
      outDir: join(root, "eval-of-pass1"),
      resultsDir: root,
      noCache: false,
      limits: DEFAULT_LIMITS,
      hashSeed: 0,
      progress: false,
    }).finally(() => {
      process.env.VERDICT_CACHE_DIR = own;
    });
    // The 5 generated tasks are the split's first 5.
    expect(evaluated.summary).toMatchObject({ tasks: 5, tasks_total: 500, partial: true, missing_policy: "skip" });
    const five = evaluated.verdicts.filter((x) => ["11", "12", "13", "14", "15"].includes(x.task_id));
    expect(five.map((x) => `${x.task_id}:${x.status === "pass"}`).sort()).toEqual(["11:true", "12:true", "13:true", "14:false", "15:false"]);
  }, 300_000);

  it("judges samples while generation is still going", () => {
    expect(firstVerdictAt).toBeGreaterThan(0);
    expect(firstVerdictAt).toBeLessThan(lastSampleAt);
    expect(new Set(verdictCells.map((c) => `${c.model}/${c.style}/${c.purpose}`)).size).toBe(8);
  });

  it("snapshots the request bodies: markers, stop sequences, sampling fields", () => {
    const tail = (s: unknown) => String(s).slice(-120);
    const body = (pred: (b: Record<string, unknown>) => boolean) => {
      const found = base.requests.find((r) => r.body && pred(r.body))?.body ?? {};
      const { prompt, ...rest } = found;
      return { ...rest, prompt_tail: tail(prompt) };
    };
    const about = (b: Record<string, unknown>, taskId: string) => JSON.stringify(b).includes(TASKS[taskId]?.text ?? "?");
    expect(body((b) => about(b, "11") && b.temperature === 0 && String(b.prompt).endsWith("[BEGIN]\n"))).toMatchInlineSnapshot(`
      {
        "max_tokens": 512,
        "model": "Qwen/Qwen2.5-1.5B",
        "n": 1,
        "prompt_tail": "rt remove_Occ("hello","l") == "heo"
      assert remove_Occ("abcda","a") == "bcd"
      assert remove_Occ("PHP","P") == "H"
      [BEGIN]
      ",
        "seed": 0,
        "stop": [
          "[DONE]",
        ],
        "temperature": 0,
        "top_p": 1,
      }
    `);
    expect(body((b) => about(b, "14") && b.n === 2 && String(b.prompt).endsWith("[BEGIN]\n"))).toMatchObject({ n: 2, seed: expect.any(Number), temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1, stop: ["[DONE]"] });
    expect(body((b) => about(b, "12") && b.n === 2 && String(b.prompt).endsWith("### Step 2:") && b.seed === 3)).toMatchInlineSnapshot(`
      {
        "max_tokens": 512,
        "model": "Qwen/Qwen2.5-1.5B",
        "n": 2,
        "prompt_tail": "ix.
      #### Pseudocode:
      \`\`\`pseudo
      Function sort_matrix(...):
          work it out step 1
      \`\`\`<Step_End>

      <Step_Begin>
      ### Step 2:",
        "repetition_penalty": 1.1,
        "seed": 3,
        "stop": [
          "<Step_End>",
        ],
        "temperature": 0.8,
        "top_k": 40,
        "top_p": 0.95,
      }
    `);
    const chat = instruct.requests.find((r) => r.body && about(r.body, "11") && r.body.temperature === 0 && JSON.stringify(r.body).includes("### Step 1:"))?.body;
    expect({ ...chat, messages: (chat?.messages as { role: string; content: string }[]).map((m) => ({ role: m.role, tail: m.content.slice(-60) })) }).toMatchInlineSnapshot(`
      {
        "add_generation_prompt": false,
        "continue_final_message": true,
        "max_tokens": 512,
        "messages": [
          {
            "role": "system",
            "tail": "
              result.append(best)
          return result
      \`\`\`<Step_End>",
          },
          {
            "role": "user",
            "tail": "cc("abcda","a") == "bcd"
      assert remove_Occ("PHP","P") == "H"",
          },
          {
            "role": "assistant",
            "tail": "<Step_Begin>
      ### Step 1:",
          },
        ],
        "model": "Qwen/Qwen2.5-1.5B-Instruct",
        "n": 1,
        "seed": 0,
        "stop": [
          "<Step_End>",
        ],
        "temperature": 0,
        "top_p": 1,
      }
    `);
  });

  it("reads ASPR by definition B (mean test pass fraction of finals) when asked", async () => {
    const result = await runPipeline({
      config: config({ aspr: { definition: "B", paths: 2, finals: 2, temperature: 0.8, top_p: 0.95, top_k: 40, repetition_penalty: 1.1 } }),
      outDir: join(root, "results", "definition-b"),
      noCache: false,
    });
    // Every answer comes from the response cache: the same requests as the first run.
    expect(result.generation.requests).toBe(result.generation.cachedRequests);
    // … and so every verdict from the verdict cache (the same programs, tests and limits), which the run says.
    expect(result.judging?.verdicts).toBeGreaterThan(0);
    expect(result.judging?.cached).toBe(result.judging?.verdicts);
    expect(first.judging?.cached).toBeLessThan(first.judging?.verdicts ?? 0);
    const n = result.judging?.verdicts ?? 0;
    const said = `\njudging: ${n} of ${n} verdicts from cache (the verdict cache: --no-verdict-cache judges every sample afresh).\n`;
    expect(renderRunResult(result)).toContain(said);
    expect(renderTable1(result)).toContain(said);
    const b = result.models[0]?.styles;
    expect(b?.vanilla?.aspr.definition).toBe("B");
    expect(b?.vanilla?.aspr.value).toBeCloseTo(BASE_EXPECTED.vanilla.asprB, 12);
    expect(b?.pseudocode?.aspr.value).toBeCloseTo(BASE_EXPECTED.pseudocode.asprB, 12);
    expect(b?.vanilla?.pass1.value).toBe(BASE_EXPECTED.vanilla.pass1);
  }, 300_000);
});

describe.skipIf(!HAS_DATA)("a run that fails part way is resumed", () => {
  it("records failed requests, keeps what it made, and a resume asks only for what is missing", async () => {
    const server = await startOpenAITestServer();
    const policy = scriptedPolicy(BASE_SCRIPT);
    // The server fails every vanilla ASPR request for task 13 (no retries in this config).
    server.respond((request) => {
      const body = JSON.stringify(request.body);
      return body.includes(TASKS["13"]?.text ?? "?") && request.body?.temperature === 0.8 && body.includes("[BEGIN]") ? { kind: "status", status: 503 } : policy(request);
    });
    const cfg = config({ models: [{ name: "base", base_url: server.baseUrl, model: "m", retries: 0 }] });
    const dir = join(root, "results", "resumed");
    try {
      const broken = await runPipeline({ config: cfg, outDir: dir, noCache: true });
      expect(broken.generation.failures.map((f) => `${f.style}/${f.purpose} ${f.taskId} ${f.what} ${f.error.status}`).sort()).toEqual([
        "vanilla/aspr 13 path 0 and its finals 503",
        "vanilla/aspr 13 path 1 and its finals 503",
      ]);
      expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ status: "interrupted" });
      // Task 13 had no correct path anyway: the figures stand without it.
      expect(figures(broken, "base").vanilla).toEqual({ pass1: 0.6, aspr: BASE_EXPECTED.vanilla.asprA });
      // The run is incomplete, and says so with the real denominators: ASPR over 4 of the 5 tasks.
      expect(broken.incomplete).toEqual([{ model: "base", style: "vanilla", purpose: "aspr", tasks: ["13"] }]);
      expect(broken.models[0]?.styles.vanilla?.aspr.tasks).toBe(4);
      const table = renderTable1(broken);
      expect(table.split("\n")[0]).toMatch(/^INCOMPLETE: generation failed after retries for some tasks \(base\/vanilla\/aspr: 13\)\. .*rerun with --resume /);
      expect(table).toMatch(/│\s+│ tasks\s+│ 4\/5\s+│ 5\/5\s+│\s+│/);
      const cellSummary = JSON.parse(readFileSync(join(dir, "base", "vanilla", "aspr", "summary.json"), "utf8")) as RunSummary;
      expect(cellSummary).toMatchObject({ tasks: 4, tasks_total: 5, partial: true, tasks_missing: ["13"] });

      // A kill mid-run: the last sample of one cell and two finals of another never reached the disk,
      // and a verdict line was torn in half.
      const pass1Samples = join(dir, "base", "vanilla", "pass1", "generations.jsonl");
      const lines = readFileSync(pass1Samples, "utf8").trimEnd().split("\n");
      writeFileSync(pass1Samples, `${lines.filter((l) => !l.includes('"task_id":"15"')).join("\n")}\n`);
      const pass1Verdicts = join(dir, "base", "vanilla", "pass1", "verdicts.jsonl");
      const pv = readFileSync(pass1Verdicts, "utf8").trimEnd().split("\n");
      writeFileSync(pass1Verdicts, `${pv.filter((l) => !l.includes('"task_id":"15"')).join("\n")}\n`);
      const asprSamples = join(dir, "base", "pseudocode", "aspr", "generations.jsonl");
      const asprLines = readFileSync(asprSamples, "utf8").trimEnd().split("\n");
      writeFileSync(asprSamples, `${asprLines.filter((l) => !/"task_id":"11","sample_index":[23],/.test(l)).join("\n")}\n`);
      const verdicts = join(dir, "base", "pseudocode", "pass1", "verdicts.jsonl");
      const vlines = readFileSync(verdicts, "utf8").trimEnd().split("\n");
      const torn = JSON.parse(vlines.at(-1) ?? "{}") as SampleVerdict;
      writeFileSync(verdicts, `${vlines.slice(0, -1).join("\n")}\n${vlines.at(-1)?.slice(0, 25)}`);

      server.respond(policy);
      server.requests.length = 0;
      const judged: string[] = [];
      const resumed = await runPipeline({
        config: cfg,
        resume: dir,
        noCache: true,
        onVerdict: (cell, v: SampleVerdict) => judged.push(`${cell.style}/${cell.purpose} ${v.task_id}#${v.sample_index}`),
      });
      // Task 15's Pass@1 sample (1 request), task 11 path 0's finals (1), task 13's two paths and their finals (4).
      expect(server.requests).toHaveLength(6);
      expect(resumed.generation.failures).toEqual([]);
      expect(resumed.incomplete).toEqual([]);
      expect(renderTable1(resumed)).not.toContain("INCOMPLETE");
      expect(figures(resumed, "base")).toEqual({
        vanilla: { pass1: 0.6, aspr: BASE_EXPECTED.vanilla.asprA },
        pseudocode: { pass1: 0.4, aspr: BASE_EXPECTED.pseudocode.asprA },
        delta: { pass1: expect.closeTo(-0.2, 12), aspr: expect.closeTo(0.1875, 12) },
      });
      // Only what was missing was judged: the 7 new samples and the sample whose verdict was torn.
      expect(judged.sort()).toEqual([
        `pseudocode/pass1 ${torn.task_id}#${torn.sample_index}`,
        "vanilla/aspr 13#0",
        "vanilla/aspr 13#1",
        "vanilla/aspr 13#2",
        "vanilla/aspr 13#3",
        "vanilla/aspr 13#4",
        "vanilla/aspr 13#5",
        "vanilla/pass1 15#0",
      ]);
      expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ status: "complete" });
      // The samples files are back in plan order, so `verdict eval` numbers them as the plan does.
      const order = readFileSync(pass1Samples, "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { task_id: string }).task_id);
      expect(order).toEqual(["11", "12", "13", "14", "15"]);
      await expect(runPipeline({ config: { ...cfg, limit: 4 }, resume: dir, noCache: true })).rejects.toThrow(/different config: limit: 5 then, 4 now; resume with the config it was made with/);
      await expect(runPipeline({ config: cfg, resume: join(root, "nowhere"), noCache: true })).rejects.toThrow(/no run to resume here/);
      await expect(runPipeline({ config: cfg, outDir: dir, noCache: true })).rejects.toThrow(/a run is already there/);
    } finally {
      await server.close();
    }
  }, 300_000);
});

describe.skipIf(!HAS_DATA)("one model at a time", () => {
  it("generates with the named models only, and a later call with the others completes the run", async () => {
    const dir = join(root, "results", "one-at-a-time");
    base.requests.length = 0;
    instruct.requests.length = 0;
    const first = await runPipeline({ config: config(), outDir: dir, noCache: true, onlyModels: ["base"] });
    expect(instruct.requests).toHaveLength(0);
    expect(figures(first, "base").vanilla).toEqual({ pass1: 0.6, aspr: BASE_EXPECTED.vanilla.asprA });
    expect(figures(first, "instruct").vanilla).toEqual({ pass1: null, aspr: null });
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ status: "partial", generated_models: ["base"] });

    const baseRequests = base.requests.length;
    const second = await runPipeline({ config: config(), resume: dir, noCache: true, onlyModels: ["instruct"] });
    expect(base.requests).toHaveLength(baseRequests);
    expect(figures(second, "base").pseudocode).toEqual({ pass1: 0.4, aspr: BASE_EXPECTED.pseudocode.asprA });
    expect(figures(second, "instruct").vanilla).toEqual({ pass1: 1, aspr: BASE_EXPECTED.vanilla.asprA });
    expect(JSON.parse(readFileSync(join(dir, "run.json"), "utf8"))).toMatchObject({ status: "complete", generated_models: ["base", "instruct"] });
    await expect(runPipeline({ config: config(), resume: dir, noCache: true, onlyModels: ["nobody"] })).rejects.toThrow(/no model named "nobody"/);
  }, 300_000);
});

describe.skipIf(!HAS_DATA)("what a run says about its answers and its failed requests", () => {
  it("per model and style: how many answers contained code, and each failed request with its HTTP status", async () => {
    // One server answers in prose only; the other fails every request.
    const prose = await startOpenAITestServer((request) => ({ kind: "answer", texts: Array.from({ length: Number(request.body?.n ?? 1) }, () => "I would write a loop over the list.") }));
    const failing = await startOpenAITestServer(() => ({ kind: "status", status: 503, message: "model is loading" }));
    const logs: string[] = [];
    try {
      await runPipeline({
        config: config({
          limit: 1,
          models: [
            { name: "prose", base_url: prose.baseUrl, model: "m", api: "completions", retries: 0 },
            { name: "down", base_url: failing.baseUrl, model: "m", api: "completions", retries: 0 },
          ],
          styles: ["vanilla"],
          pass1: { temperature: 0, n: 3 },
          aspr: { definition: "A", paths: 1, finals: 1 },
        }),
        outDir: join(root, "results", "no-code"),
        noCache: true,
        log: (line) => logs.push(line),
      });
    } finally {
      await prose.close();
      await failing.close();
    }
    expect(logs).toContainEqual(expect.stringMatching(/^prose\/vanilla\/pass1: generated 3 samples .*; 0 of 3 answers contained code: check the prompt style, the API \(completions for base models, chat for instruct models\) and max_tokens$/));
    expect(logs).toContainEqual(expect.stringMatching(/^warning: down\/vanilla\/pass1: task 11, .*: HTTP 503: model is loading \(resume the run to retry\)$/));
  }, 300_000);
});

describe.skipIf(!HAS_DATA)("a run judged on the tests a TCG run generated (tests: tcg:RUN_DIR)", () => {
  /** A tests.jsonl row of a valid generated case of `fn`, as `verdict tcg` writes it. */
  const row = (taskId: string, fn: string, args: PyValue[], expected: PyValue, index: number): string =>
    `${JSON.stringify({
      task_id: taskId,
      id: `tcg/gen/0/${index}`,
      origin: { model: "gen", request: 0, case: index },
      validity: "valid",
      input_text: args.map((a) => JSON.stringify(a)).join(", "),
      output_text: JSON.stringify(expected),
      input: { kind: "call", fn, args: args.map(encodeValue) },
      expect: { expected: encodeValue(expected), comparator: { kind: "eq" } },
      seconds: 4,
    })}\n`;

  it("judges every sample on the generated tests only, records them in each cell's manifest, and refuses a task left without one", async () => {
    const tcgDir = join(root, "tcg-run");
    mkdirSync(tcgDir, { recursive: true });
    // Task 12's one generated test is MBPP's first, which the partly right program passes: on the benchmark's three it fails.
    writeFileSync(
      join(tcgDir, "tests.jsonl"),
      row("11", "remove_Occ", ["hello", "l"], "heo", 0) + row("12", "sort_matrix", [[[1, 2, 3], [2, 4, 5], [1, 1, 1]]], [[1, 1, 1], [1, 2, 3], [2, 4, 5]], 0),
    );
    const outDir = join(root, "results", "tcg-tests");
    await runPipeline({ config: config({ limit: 2, styles: ["vanilla"], tests: `tcg:${tcgDir}` }), outDir, noCache: false });
    const cell = join(outDir, "base", "vanilla", "aspr");
    const verdicts = readFileSync(join(cell, "verdicts.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as SampleVerdict);
    expect(verdicts.length).toBeGreaterThan(0);
    for (const v of verdicts) expect(v.tests.map((t) => t.id)).toEqual(["tcg/gen/0/0"]);
    const partial = (await readSampleRecords(join(cell, "generations.jsonl"))).records.find((r) => r.task_id === "12" && r.solution.includes(program("12", "P").split("\n")[1] ?? "?"));
    expect(verdicts.find((v) => v.task_id === "12" && v.sample_index === partial?.sample_index)?.status).toBe("pass");
    const manifest = JSON.parse(readFileSync(join(cell, "manifest.json"), "utf8")) as { tests?: string; tests_sha256?: string };
    expect(manifest).toMatchObject({ tests: `tcg:${tcgDir}`, tests_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // Task 13 has no generated test: it would pass any program that loads, so the run is refused before a request.
    await expect(runPipeline({ config: config({ limit: 3, styles: ["vanilla"], tests: `tcg:${tcgDir}` }), outDir: join(root, "results", "tcg-short"), noCache: false })).rejects.toThrow(
      /tests: tcg:.*: 1 task\(s\) have no valid generated test \(13\); use tests: benchmark\+tcg:/,
    );
  }, 300_000);
});
