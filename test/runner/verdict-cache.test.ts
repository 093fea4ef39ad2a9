import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Sample } from "../../src/core/sample.js";
import type { Benchmark } from "../../src/core/task.js";
import { runEval } from "../../src/pipelines/eval.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { createVerdictCache, currentJudgeDigest, judgeDigest, judgeSources } from "../../src/runner/verdict-cache.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { RUNNER_PACKAGE, RUNNER_SOURCE } from "../../src/sandbox/image.js";

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "verdict-cache-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Copies of the judge's sources in a folder of their own, so a test can edit one. */
function copiedSources(): string[] {
  const dir = join(root, `sources-${randomBytes(4).toString("hex")}`);
  mkdirSync(dir);
  return judgeSources().map((src) => {
    const dest = join(dir, basename(src));
    copyFileSync(src, dest);
    return dest;
  });
}

describe("judgeDigest", () => {
  it("covers the judge, the codec, the comparators, how jobs are built and carried, and the runner", () => {
    const names = judgeSources().map((p) => basename(p).replace(/\.(ts|js)$/, ""));
    expect(names).toEqual(expect.arrayContaining(["codec", "comparators", "judge-sample", "py-equals", "job-builder", "wire", "runner-connection", "runner.py"]));
  });

  it("covers every module of the runner's package, not only runner.py", () => {
    const sources = judgeSources();
    const modules = readdirSync(RUNNER_PACKAGE).filter((f) => f.endsWith(".py"));
    expect(modules).toEqual(expect.arrayContaining(["codec.py", "child.py", "framing.py", "job_run.py", "assemble.py"]));
    expect(sources).toEqual(expect.arrayContaining([RUNNER_SOURCE, ...modules.map((f) => join(RUNNER_PACKAGE, f))]));
  });

  it("is this process's own judge, and does not depend on where the files are or their order", () => {
    const copies = copiedSources();
    expect(judgeDigest(copies)).toBe(currentJudgeDigest());
    expect(judgeDigest([...copies].reverse())).toBe(currentJudgeDigest());
  });

  it("changes when a comparator's source changes, by a single byte", () => {
    const copies = copiedSources();
    const comparators = copies.find((p) => /comparators\.(ts|js)$/.test(p))!;
    writeFileSync(comparators, readFileSync(comparators, "utf8").replace("EVALPLUS_RTOL = 1e-7", "EVALPLUS_RTOL = 1e-6"));
    expect(judgeDigest(copies)).not.toBe(currentJudgeDigest());
  });

  it("changes when bytes move from one file to another", () => {
    const dir = join(root, "moved");
    mkdirSync(dir);
    const [a, b] = [join(dir, "a.ts"), join(dir, "b.ts")];
    writeFileSync(a, "xy");
    writeFileSync(b, "z");
    const before = judgeDigest([a, b]);
    writeFileSync(a, "x");
    writeFileSync(b, "yz");
    expect(judgeDigest([a, b])).not.toBe(before);
  });
});

describe("the verdict cache in a real run", () => {
  let docker: Docker;
  const labels = { "verdict.test": `verdict-cache-${randomBytes(4).toString("hex")}` };
  const benchmark: Benchmark = {
    name: "cache-test",
    split: "all",
    dataSha256: {},
    groups: [],
    tasks: [
      {
        taskId: "1",
        text: "Double it.",
        prompt: "",
        reference: "",
        setup: "",
        entryPoint: "double",
        tests: [{ id: "test/0", group: "test", input: { kind: "call", fn: "double", args: [21] }, expect: { expected: 42n, comparator: { kind: "eq" } } }],
      },
    ],
  };

  beforeAll(() => {
    docker = connectDocker();
  });

  it("a changed comparator source judges the sample afresh; the same judge reuses its verdict", async () => {
    const cache = createVerdictCache(join(root, "verdicts"), true);
    // A fresh salt: no earlier run can have cached this program.
    const sample: Sample = { taskId: "1", sampleIndex: 0, program: `# ${randomBytes(6).toString("hex")}\ndef double(x):\n    return 2 * x\n` };
    // A session per judgement: nothing but the verdict cache carries a verdict from one to the next.
    const judge = async (digest: string) => {
      const session = await openJudgingSession({ resolved: benchmark, docker, workers: 1, limits: DEFAULT_LIMITS, verdictCache: cache, judgeDigest: digest, containerMemoryMb: 512, container: { pidsLimit: 64, tmpfsMb: 32 }, labels });
      try {
        return [(await session.judgeSample(sample)).verdict];
      } finally {
        await session.close();
      }
    };
    const copies = copiedSources();
    const before = judgeDigest(copies);
    expect((await judge(before)).map((v) => [v.status, v.cached])).toEqual([["pass", false]]);
    expect((await judge(before)).map((v) => [v.status, v.cached])).toEqual([["pass", true]]);

    const comparators = copies.find((p) => /comparators\.(ts|js)$/.test(p))!;
    writeFileSync(comparators, `${readFileSync(comparators, "utf8")}\n// a fix\n`);
    const after = judgeDigest(copies);
    expect((await judge(after)).map((v) => [v.status, v.cached])).toEqual([["pass", false]]);
    expect((await judge(after)).map((v) => [v.status, v.cached])).toEqual([["pass", true]]);
  });

  it("--no-verdict-cache judges every sample again but keeps the expected values; --no-cache recomputes both", async () => {
    vi.stubEnv("VERDICT_CACHE_DIR", join(root, "cache-dir"));
    try {
      const dir = join(root, "eval");
      mkdirSync(dir, { recursive: true });
      const benchmarkFile = join(dir, "tasks.jsonl");
      const task = { task_id: 1, text: "Double it.", code: "def double(x):\n    return 2 * x\n", test_list: ["assert double(21) == 42"], test_setup_code: "" };
      writeFileSync(benchmarkFile, `${JSON.stringify(task)}\n`);
      const samples = join(dir, "samples.jsonl");
      writeFileSync(samples, `${JSON.stringify({ task_id: 1, solution: task.code })}\n`);
      const run = async (flags: { noCache?: boolean; noVerdictCache?: boolean }) => {
        const lines: string[] = [];
        const result = await runEval({
          benchmark: benchmarkFile,
          split: "all",
          samples,
          isolation: "pool",
          workers: 1,
          k: [1],
          resultsDir: join(dir, "results"),
          noCache: flags.noCache ?? false,
          ...(flags.noVerdictCache !== undefined ? { noVerdictCache: flags.noVerdictCache } : {}),
          limits: DEFAULT_LIMITS,
          hashSeed: 0,
          progress: false,
          log: (line) => lines.push(line),
        });
        return { cachedVerdict: result.verdicts[0]?.cached, cachedExpected: lines.some((l) => l.startsWith("expected values: cached")), status: result.summary.outcomes };
      };
      expect(await run({})).toEqual({ cachedVerdict: false, cachedExpected: false, status: { pass: 1 } });
      expect(await run({})).toEqual({ cachedVerdict: true, cachedExpected: true, status: { pass: 1 } });
      expect(await run({ noVerdictCache: true })).toEqual({ cachedVerdict: false, cachedExpected: true, status: { pass: 1 } });
      expect(await run({ noCache: true })).toEqual({ cachedVerdict: false, cachedExpected: false, status: { pass: 1 } });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
