import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InputError, SetupError } from "../../src/core/errors.js";
import { runGenerate, type GenerateFlags } from "../../src/cli/commands/generate.js";
import { loadBenchmark } from "../../src/benchmarks/registry.js";
import { createOpenAICompatibleProvider } from "../../src/models/openai-compatible.js";
import type { PromptTask } from "../../src/prompts/prompt-task.js";
import { runEval } from "../../src/pipelines/eval.js";
import {
  codeCountLine,
  generateSamples,
  loadFewShot,
  planSlots,
  promptTaskFromSpec,
  startGeneration,
  type GenerateOptions,
} from "../../src/pipelines/generate.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { readSampleRecords } from "../../src/runner/samples-file.js";
import type { GenerationRecord } from "../../src/runner/run-format.js";
import { BASE_SCRIPT, readRequest, scriptedPolicy, TASKS } from "../fixtures/models/scripted-policy.js";
import { startOpenAITestServer, type OpenAITestServer } from "../helpers/openai-test-server.js";
import { testImage } from "../helpers/sandbox-image.js";

const DATA = process.env.VERDICT_DATA_DIR ?? join(import.meta.dirname, "../../../shared/data");
const HAS_DATA = existsSync(join(DATA, "mbpp", "mbpp.jsonl"));

const tasks: PromptTask[] = Object.entries(TASKS).map(([taskId, t]) => ({ taskId, text: t.text, tests: [`assert ${t.entry}(1) == 1`], entryPoint: t.entry }));

let server: OpenAITestServer;
let dir: string;

beforeEach(async () => {
  server = await startOpenAITestServer(scriptedPolicy(BASE_SCRIPT));
  dir = mkdtempSync(join(tmpdir(), "verdict-generate-"));
});
afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<GenerateOptions> = {}): GenerateOptions {
  return {
    tasks,
    style: "vanilla",
    api: "completions",
    plan: { purpose: "pass1", n: 1 },
    sampling: { temperature: 0, top_p: 1, max_tokens: 256, seed: 0 },
    prompt: { shots: [], tests: "all", maxSteps: 2 },
    provider: createOpenAICompatibleProvider({ baseUrl: server.baseUrl, model: "m", api: "completions", retries: 0 }),
    concurrency: 4,
    ...overrides,
  };
}

async function collect(opts: GenerateOptions): Promise<{ records: GenerationRecord[]; stats: Awaited<ReturnType<typeof generateSamples>> }> {
  const records: GenerationRecord[] = [];
  const stats = await generateSamples(opts, (r) => records.push(r));
  records.sort((a, b) => Number(a.task_id) - Number(b.task_id) || a.sample_index - b.sample_index);
  return { records, stats };
}

const slots = (records: GenerationRecord[]) => records.map((r) => `${r.task_id}#${r.sample_index}:${r.role}${r.path !== undefined ? `/p${r.path}` : ""}${r.final !== undefined ? `/f${r.final}` : ""}`);

describe("sampling plans", () => {
  it("vanilla Pass@1 draws a task's n samples in one request and extracts each program", async () => {
    const { records, stats } = await collect(options({ plan: { purpose: "pass1", n: 3 } }));
    expect(stats).toMatchObject({ samples: 15, requests: 5, cachedRequests: 0, failures: [] });
    expect(server.requests.map((r) => r.body?.n)).toEqual([3, 3, 3, 3, 3]);
    expect(slots(records.filter((r) => r.task_id === "11"))).toEqual(["11#0:sample", "11#1:sample", "11#2:sample"]);
    const r11 = records[0];
    // Task 11's scripted answer is prose around a fence; 12's is bare code.
    expect(r11).toMatchObject({ code_source: "fence", solution: `${TASKS["11"]?.correct.trimEnd()}\n`, style: "vanilla", finish_reasons: ["stop"] });
    expect(r11?.raw[0]).toContain("Sure, here it is:");
    expect(records.find((r) => r.task_id === "12")?.code_source).toBe("plain");
    expect(r11?.usage).toEqual({ prompt_tokens: 100, completion_tokens: 60, requests: 1, samples_per_request: 3 });
    expect(r11?.sampling).toEqual({ temperature: 0, top_p: 1, max_tokens: 256, seed: 0, n: 3 });
  });

  it("pseudocode Pass@1 generates each sample as its own path, step by step, with its own seed", async () => {
    const { records, stats } = await collect(options({ style: "pseudocode", plan: { purpose: "pass1", n: 2 } }));
    // Every path takes two steps (the step limit): 5 tasks x 2 samples x 2 steps.
    expect(stats.requests).toBe(20);
    expect(new Set(server.requests.map((r) => `${readRequest(r).taskId}:${r.body?.seed}`)).size).toBe(10);
    const r = records.find((x) => x.task_id === "11" && x.sample_index === 1);
    expect(r).toMatchObject({ role: "sample", code_source: "terminal_step", sampling: { seed: 1, n: 1 }, usage: { requests: 2 } });
    expect(r?.steps?.[0]).toMatch(/^Refine the plan \(Action 1\)/);
    expect(r?.solution).toBe(`${TASKS["11"]?.correct.trimEnd()}\n`);
    const limited = records.find((x) => x.task_id === "15");
    expect(limited).toMatchObject({ code_source: "step_limit", solution: "" });
    expect(limited?.steps).toHaveLength(2);
  });

  it("ASPR fills P paths then M finals per path, each path with seed + p and its finals with seed + P + p", async () => {
    const plan = { purpose: "aspr" as const, paths: 2, finals: 2 };
    expect(planSlots(plan)).toBe(6);
    const { records } = await collect(options({ plan, sampling: { temperature: 0.8, top_p: 0.95, max_tokens: 256, seed: 0 } }));
    expect(slots(records.filter((r) => r.task_id === "14"))).toEqual([
      "14#0:path/p0",
      "14#1:path/p1",
      "14#2:final/p0/f0",
      "14#3:final/p0/f1",
      "14#4:final/p1/f0",
      "14#5:final/p1/f1",
    ]);
    const seeds = server.requests.filter((r) => readRequest(r).taskId === "14").map((r) => `${r.body?.n}@${r.body?.seed}`);
    expect(seeds.sort()).toEqual(["1@0", "1@1", "2@2", "2@3"]);
  });

  it("pseudocode ASPR resamples the final step from the path's prefix, and skips paths that never wrote code", async () => {
    const plan = { purpose: "aspr" as const, paths: 2, finals: 2 };
    const { records } = await collect(options({ style: "pseudocode", plan, sampling: { temperature: 0.8, top_p: 0.95, max_tokens: 256, seed: 0 } }));
    // Task 13's path 0 stopped at the step limit: no finals for it.
    expect(slots(records.filter((r) => r.task_id === "13"))).toEqual(["13#0:path/p0", "13#1:path/p1", "13#4:final/p1/f0", "13#5:final/p1/f1"]);
    const finalsRequest = server.requests.find((r) => readRequest(r).taskId === "12" && r.body?.n === 2 && r.body?.seed === 2);
    expect(String(finalsRequest?.body?.prompt)).toMatch(/<Step_End>\n\n<Step_Begin>\n### Step 2:$/);
    const noCode = records.find((r) => r.task_id === "12" && r.sample_index === 3);
    expect(noCode).toMatchObject({ role: "final", code_source: "no_code", solution: "" });
    expect(noCode?.steps?.[0]).toBe(records.find((r) => r.task_id === "12" && r.sample_index === 0)?.steps?.[0]);
  });
});

describe("servers without n", () => {
  it("a server that ignores n is caught, with the fix in the message", async () => {
    const policy = scriptedPolicy(BASE_SCRIPT);
    server.respond((request) => {
      const reply = policy(request);
      return reply.kind === "answer" ? { ...reply, texts: reply.texts.slice(0, 1) } : reply;
    });
    const { stats } = await collect(options({ plan: { purpose: "pass1", n: 2 } }));
    expect(stats.failures).toHaveLength(5);
    expect(stats.failures[0]?.error.message).toBe("asked for 2 samples, got 1 (a server without `n`: set max_n: 1 for this model)");
  });

  it("with maxN 1, a request for n becomes n requests with seeds far apart", async () => {
    const { records, stats } = await collect(options({ plan: { purpose: "pass1", n: 3 }, maxN: 1, tasks: tasks.slice(0, 1) }));
    expect(stats.requests).toBe(3);
    expect(server.requests.map((r) => `${r.body?.n}@${r.body?.seed}`).sort()).toEqual(["1@0", "1@1000003", "1@2000006"]);
    expect(slots(records)).toEqual(["11#0:sample", "11#1:sample", "11#2:sample"]);
    expect(records[0]?.usage).toEqual({ prompt_tokens: 300, completion_tokens: 60, requests: 1, samples_per_request: 3 });
  });
});

describe("failures, faults and resumes", () => {
  it("a request that fails after its retries loses its unit only, and says which", async () => {
    server.respond((request) => (readRequest(request).taskId === "13" ? { kind: "status", status: 500, message: "overloaded" } : scriptedPolicy(BASE_SCRIPT)(request)));
    const { records, stats } = await collect(options());
    expect(records.map((r) => r.task_id)).toEqual(["11", "12", "14", "15"]);
    expect(stats.failures).toEqual([{ taskId: "13", what: "samples 0-0", error: { kind: "http", status: 500, message: "overloaded" } }]);
  });

  it("a server nobody answers on stops generation with a SetupError", async () => {
    const gone = await startOpenAITestServer();
    const baseUrl = gone.baseUrl;
    await gone.close();
    const provider = createOpenAICompatibleProvider({ baseUrl, model: "m", api: "completions", retries: 0 });
    const generation = startGeneration(options({ provider }));
    await expect(async () => {
      for await (const _ of generation.samples) void _;
    }).rejects.toThrow(SetupError);
    await expect(generation.done).rejects.toThrow(/no model server answers/);
  });

  it("a resume asks only for the slots it lacks, and a path on disk feeds its finals", async () => {
    const plan = { purpose: "aspr" as const, paths: 2, finals: 2 };
    const sampling = { temperature: 0.8, top_p: 0.95, max_tokens: 256, seed: 0 };
    const { records } = await collect(options({ style: "pseudocode", plan, sampling }));
    // Keep everything but task 11's path-0 finals, and task 12's path 1 with its finals.
    const kept = records.filter((r) => !(r.task_id === "11" && r.path === 0 && r.role === "final") && !(r.task_id === "12" && r.path === 1));
    server.requests.length = 0;
    const again = await collect(options({ style: "pseudocode", plan, sampling, existing: new Map(kept.map((r) => [`${r.task_id}#${r.sample_index}`, r])) }));
    expect(slots(again.records)).toEqual(["11#2:final/p0/f0", "11#3:final/p0/f1", "12#1:path/p1", "12#4:final/p1/f0", "12#5:final/p1/f1"]);
    // 11: one finals request; 12: two steps for the path and one finals request.
    expect(server.requests).toHaveLength(4);
  });

  it("hands out samples while later tasks are still being generated", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const policy = scriptedPolicy(BASE_SCRIPT);
    server.respond(async (request) => {
      // The last task is answered only once the consumer has seen a sample, or after 5 s.
      if (readRequest(request).taskId === "15") await Promise.race([gate, new Promise((r) => setTimeout(r, 5_000))]);
      return policy(request);
    });
    const generation = startGeneration(options({ concurrency: 1 }));
    const started = performance.now();
    let firstAt = 0;
    for await (const r of generation.samples) {
      if (firstAt === 0) firstAt = performance.now() - started;
      if (r.task_id !== "15") release();
    }
    await generation.done;
    expect(firstAt).toBeLessThan(2_000);
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it("refuses a few-shot example that is also a task to generate for", () => {
    const shot: PromptTask = { ...tasks[0], code: "def f(): pass" } as PromptTask;
    expect(() => startGeneration(options({ prompt: { shots: [shot], tests: "all", maxSteps: 2 } }))).toThrow(InputError);
  });
});

describe.skipIf(!HAS_DATA)("MBPP tasks and `verdict generate`", () => {
  let cacheDir: string;
  let saved: string | undefined;
  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), "verdict-generate-cache-"));
    saved = process.env.VERDICT_CACHE_DIR;
  });
  beforeEach(() => {
    // Responses cache under the test's own folder.
    process.env.VERDICT_CACHE_DIR = cacheDir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.VERDICT_CACHE_DIR;
    else process.env.VERDICT_CACHE_DIR = saved;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("maps an MBPP task to a prompt task and loads the standard 3-shot examples", async () => {
    const spec = await loadBenchmark("mbpp", { split: "test", dataDir: DATA });
    const t = promptTaskFromSpec(spec.tasks[0] as (typeof spec.tasks)[number]);
    expect(t).toMatchObject({ taskId: "11", text: TASKS["11"]?.text, tests: ['assert remove_Occ("hello","l") == "heo"', 'assert remove_Occ("abcda","a") == "bcd"', 'assert remove_Occ("PHP","P") == "H"'] });
    expect((await loadFewShot(3, DATA)).map((s) => s.taskId)).toEqual(["2", "3", "4"]);
    expect(await loadFewShot(0, DATA)).toEqual([]);
  });

  const flags = (overrides: Partial<GenerateFlags>): GenerateFlags => ({
    benchmark: "mbpp",
    split: "test",
    limit: 5,
    data: DATA,
    out: join(dir, "samples.jsonl"),
    model: "Qwen/Qwen2.5-1.5B",
    baseUrl: server.baseUrl,
    api: "completions",
    style: "vanilla",
    n: 1,
    maxTokens: 512,
    seed: 0,
    shots: "3",
    tests: "all",
    maxSteps: 2,
    concurrency: 4,
    timeout: 30,
    retries: 0,
    cache: true,
    ...overrides,
  });

  it("writes samples that `verdict eval` scores, records them, and replays the recording", async () => {
    const recording = join(dir, "recording.jsonl");
    const report = await runGenerate(flags({ record: recording }));
    expect(report).toMatchObject({ samples: 5, generated: 5, requests: 5, cached_requests: 0, failures: [] });
    const lines = readFileSync(report.out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as GenerationRecord);
    expect(lines.map((l) => l.task_id)).toEqual(["11", "12", "13", "14", "15"]);
    expect(Object.keys(lines[0] ?? {}).sort()).toEqual(
      ["cached", "code_source", "finish_reasons", "latency_ms", "model", "raw", "role", "sample_index", "sampling", "solution", "style", "task_id", "usage"].sort(),
    );

    // A second call finds every sample there and asks nothing.
    server.requests.length = 0;
    expect(await runGenerate(flags({ record: recording }))).toMatchObject({ samples: 5, generated: 0, requests: 0 });

    // The recording answers the same requests with no server at all.
    const replayed = await runGenerate(flags({ out: join(dir, "replayed.jsonl"), baseUrl: undefined, replay: recording, cache: false }));
    expect(replayed).toMatchObject({ generated: 5, requests: 5, cached_requests: 5 });
    expect(readSampleRecords(replayed.out).records.map((r) => r.solution)).toEqual(lines.map((l) => l.solution));

    // Expected values come from the shared cache (they depend on the data only), not the test's own.
    if (saved === undefined) delete process.env.VERDICT_CACHE_DIR;
    else process.env.VERDICT_CACHE_DIR = saved;
    await testImage();
    const scored = await runEval({
      benchmark: "mbpp",
      split: "test",
      samples: report.out,
      // Five of the split's tasks were generated: score those, labelled partial.
      missing: "skip",
      dataDir: DATA,
      isolation: "pool",
      workers: 2,
      k: [1],
      outDir: join(dir, "eval"),
      resultsDir: dir,
      noCache: false,
      limits: DEFAULT_LIMITS,
      hashSeed: 0,
      progress: false,
    });
    // BASE_SCRIPT: tasks 11-13 right, 14-15 wrong.
    expect(scored.verdicts.map((v) => `${v.task_id}:${v.status}`).sort()).toEqual(["11:pass", "12:pass", "13:pass", "14:wrong_answer", "15:wrong_answer"]);
  }, 300_000);

  it("a generate whose every request failed leaves no samples file, and each failure names the HTTP status", async () => {
    server.respond(() => ({ kind: "status", status: 500, message: "CUDA out of memory" }));
    const logged: string[] = [];
    const report = await runGenerate(flags({ cache: false }), (line) => logged.push(line));
    expect(report).toMatchObject({ samples: 0, generated: 0, with_code: 0, written: false });
    expect(existsSync(report.out)).toBe(false);
    expect(logged).toContain(`no sample was generated: ${report.out} was not written`);
    expect(report.failures).toHaveLength(5);
    expect(report.failures[0]?.error).toBe("HTTP 500: CUDA out of memory");
  });

  it("says how many answers contained code, and what to check when none did", async () => {
    server.respond(() => ({ kind: "answer", texts: ["I am sorry, I cannot write that function."] }));
    const report = await runGenerate(flags({ cache: false }));
    expect(report).toMatchObject({ samples: 5, generated: 5, with_code: 0, written: true });
    expect(codeCountLine({ samples: report.generated, withCode: report.with_code })).toBe(
      "0 of 5 answers contained code: check the prompt style, the API (completions for base models, chat for instruct models) and max_tokens",
    );
    expect(codeCountLine({ samples: 3, withCode: 2 })).toBe("2 of 3 answers contained code");
  });

  it("names the flag that is wrong", async () => {
    await expect(runGenerate(flags({ model: undefined }))).rejects.toThrow(/^--model: /);
    await expect(runGenerate(flags({ paths: 2 }))).rejects.toThrow(/--paths and --finals go together/);
    await expect(runGenerate(flags({ baseUrl: undefined }))).rejects.toThrow(/--base-url: give base_url/);
  });
});
