import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Isolation } from "../../src/core/sandbox.js";
import { runEval } from "../../src/pipelines/eval.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { expectNoForgedPass, writeBenchmark } from "../helpers/forgery-suite.js";
import { testImage } from "../helpers/sandbox-image.js";

describe.each<Isolation>(["pool", "fresh"])("programs that try to fake a pass (%s)", (isolation) => {
  it("get a non-pass verdict, and the clean job after each one passes", async () => {
    await testImage();
    await expectNoForgedPass(isolation);
  }, 300_000);

  it("gives two programs that differ only by a lone surrogate two identities, in the verdict cache too", async () => {
    await testImage();
    const dir = mkdtempSync(join(tmpdir(), "verdict-identity-"));
    const body = "def secret(x):\n    return x * 1000 + 7\n";
    // Red team, finding 7: Node hashes "\ud800" as U+FFFD, so both once had one program_sha256.
    const samples = join(dir, "samples.jsonl");
    writeFileSync(samples, [`# \ufffd\n${body}`, `# \ud800\n${body}`].map((p) => JSON.stringify({ task_id: 1, solution: p })).join("\n"));
    const saved = process.env.VERDICT_CACHE_DIR;
    process.env.VERDICT_CACHE_DIR = join(dir, "cache");
    try {
      const run = (out: string) =>
        runEval({
          benchmark: writeBenchmark(dir, 1),
          split: "all",
          samples,
          isolation,
          workers: 1,
          k: [1],
          outDir: join(dir, out),
          resultsDir: dir,
          noCache: false,
          limits: { ...DEFAULT_LIMITS, testSeconds: 2, loadSeconds: 5 },
          hashSeed: 0,
          progress: false,
        });
      for (const [out, cached] of [["first", false], ["again", true]] as const) {
        const { verdicts } = await run(out);
        // The samples file carries the lone surrogate to Python, which cannot compile it.
        expect(verdicts.map((v) => [v.status, v.cached])).toEqual([
          ["pass", cached],
          ["syntax_error", cached],
        ]);
        expect(verdicts[0]!.program_sha256).not.toBe(verdicts[1]!.program_sha256);
      }
    } finally {
      if (saved === undefined) delete process.env.VERDICT_CACHE_DIR;
      else process.env.VERDICT_CACHE_DIR = saved;
    }
  }, 300_000);
});
