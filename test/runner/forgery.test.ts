import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Isolation } from "../../src/core/sandbox.js";
import { runEval } from "../../src/runner/evaluate.js";
import { DEFAULT_LIMITS } from "../../src/runner/limits.js";
import { testImage } from "../helpers/sandbox-image.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/python/forgery");
const HOSTILE = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".py") && f !== "clean.py")
  .sort();
const CLEAN = readFileSync(join(FIXTURES, "clean.py"), "utf8");

/** A task whose expected values appear nowhere but in the hidden test file. */
function writeBenchmark(dir: string): string {
  const task = {
    task_id: 1,
    text: "Return x * 1000 + 7.",
    code: "def secret(x):\n    return x * 1000 + 7\n",
    test_list: ["assert secret(1) == 1007", "assert secret(2) == 2007", "assert secret(3) == 3007"],
    test_setup_code: "",
  };
  const path = join(dir, "tasks.jsonl");
  writeFileSync(path, `${JSON.stringify(task)}\n`);
  return path;
}

/** Hostile samples, each followed by a clean one that must still pass in the same container. */
function writeSamples(dir: string): string {
  const lines: string[] = [];
  for (const f of HOSTILE) {
    lines.push(JSON.stringify({ task_id: 1, solution: readFileSync(join(FIXTURES, f), "utf8") }));
    lines.push(JSON.stringify({ task_id: 1, solution: CLEAN }));
  }
  const path = join(dir, "samples.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

describe.each<Isolation>(["pool", "fresh"])("programs that try to fake a pass (%s)", (isolation) => {
  it("get a non-pass verdict, and the clean job after each one passes", async () => {
    await testImage();
    const dir = mkdtempSync(join(tmpdir(), "verdict-forgery-"));
    const result = await runEval({
      benchmark: writeBenchmark(dir),
      split: "all",
      samples: writeSamples(dir),
      isolation,
      // One container: every clean job runs in the container the hostile one just used.
      workers: 1,
      k: [1],
      outDir: join(dir, "run"),
      resultsDir: dir,
      noCache: true,
      limits: { ...DEFAULT_LIMITS, testSeconds: 2, loadSeconds: 5 },
      hashSeed: 0,
      progress: false,
    });
    expect(result.verdicts).toHaveLength(HOSTILE.length * 2);
    const statuses = result.verdicts.map((v, i) => ({
      sample: i % 2 === 0 ? HOSTILE[i / 2] : `clean after ${HOSTILE[(i - 1) / 2]}`,
      status: v.status,
    }));
    for (const [i, s] of statuses.entries()) {
      if (i % 2 === 0) expect(s.status, s.sample).not.toBe("pass");
      else expect(s.status, s.sample).toBe("pass");
    }
    // No non-pass ever came back from a sandbox fault: every hostile program got a real verdict.
    expect(result.verdicts.filter((v) => v.status === "sandbox_error")).toEqual([]);
    expect(result.summary.pass_at_k["1"]).toBeCloseTo(0.5);
  }, 240_000);
});
