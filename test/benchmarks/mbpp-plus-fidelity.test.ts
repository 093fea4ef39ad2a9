/**
 * Fidelity to EvalPlus on real third-party data: a published model's MBPP+ generations
 * (Qwen2.5-Coder-1.5B base, from QwenLM/Qwen2.5-Coder) scored with `verdict eval`, task by task
 * against the verdicts EvalPlus gave them. Every disagreement must be listed, with its cause, in
 * test/fixtures/fidelity/qwen2.5-coder-1.5b-disagreements.json; agreement must be >= 98.5% on
 * the base tests and on base+plus. That run keeps every sample in one process (`--tail-split
 * off`, as EvalPlus); a second, with every sample cut across workers as it starts (`--tail-split
 * eager`), must give the same verdicts, every field but timings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { localDataDir } from "../../src/benchmarks/data.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { buildCli, REPO } from "../helpers/eval-run.js";
import { testImage } from "../helpers/sandbox-image.js";

const FIDELITY = "fidelity/qwen2.5-coder-1.5b-base-mbppplus";
const DATA = localDataDir()?.dir;
const DIR = DATA === undefined ? undefined : join(DATA, FIDELITY);
const HAS_DATA = DIR !== undefined && existsSync(join(DIR, "generated.jsonl")) && existsSync(join(DIR, "generated_eval_results.json"));
const MIN_AGREEMENT = 0.985;

type Scope = "base" | "base+plus";

const listed = z
  .object({
    data: z.string(),
    disagreements: z.array(
      z.object({
        task_id: z.string(),
        scopes: z.array(z.enum(["base", "base+plus"])).min(1),
        cause: z.enum(["evalplus-version", "hash-seed", "timing"]),
        /** false: the disagreement may come and go (a timing-bound task); true: it must show every time. */
        stable: z.boolean(),
        why: z.string().min(20),
      }),
    ),
  })
  .parse(JSON.parse(readFileSync(join(REPO, "test", "fixtures", "fidelity", "qwen2.5-coder-1.5b-disagreements.json"), "utf8")));

const evalplusResults = z.object({
  eval: z.record(z.string(), z.array(z.object({ base_status: z.string(), plus_status: z.string() })).length(1)),
});

let root: string | undefined;
/** The verdicts of the one-process run, by task. */
let unsplit: Map<string, SampleVerdict> | undefined;

/** Runs `verdict eval` on the fidelity samples into `out`, with these extra flags; its verdicts by task. */
async function evalFidelity(dir: string, out: string, flags: string[]): Promise<Map<string, SampleVerdict>> {
  // Expected values may come from the cache (they are the reference's, computed once);
  // every sample is judged afresh, since the judge is what this test checks.
  const run = await execa(
    process.execPath,
    [join(REPO, "bin", "verdict.js"), "eval", "--benchmark", "mbpp-plus", "--samples", join(dir, "generated.jsonl"), "--data", DATA as string, "--no-verdict-cache", "--out", out, "--json", ...flags],
    { cwd: REPO, reject: false },
  );
  expect(run.exitCode, run.stderr).toBe(0);
  const verdicts = new Map<string, SampleVerdict>();
  for (const line of readFileSync(join(out, "verdicts.jsonl"), "utf8").split("\n").filter(Boolean)) {
    const v = JSON.parse(line) as SampleVerdict;
    verdicts.set(v.task_id, v);
  }
  process.stderr.write(run.stderr.split("\n").filter((l) => l.startsWith("tail splitting:")).join("\n") + "\n");
  return verdicts;
}

/** A verdict without its timings (a timeout's detail says the wall time it took). */
function withoutTimings(v: SampleVerdict): unknown {
  const { seconds: _s, cpu_s: _c, cached: _k, engine: _e, ...rest } = v;
  return { ...rest, tests: v.tests.map(({ seconds: _t, detail, ...t }) => ({ ...t, ...(detail !== undefined ? { detail: detail.replace(/[\d.]+ s wall/, "… s wall") } : {}) })) };
}
afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe("fidelity to EvalPlus on a published model's MBPP+ samples", () => {
  it.skipIf(!HAS_DATA)(
    HAS_DATA
      ? `agrees with EvalPlus's verdicts task by task (>= ${MIN_AGREEMENT * 100}% on base and on base+plus), every disagreement explained`
      : `skipped: no ${FIDELITY} in ${DATA ?? "VERDICT_DATA_DIR or ../shared/data"} (CI has it)`,
    async () => {
      const dir = DIR as string;
      buildCli();
      await testImage();
      root = mkdtempSync(join(tmpdir(), "verdict-fidelity-"));
      const ours = await evalFidelity(dir, join(root, "run"), ["--tail-split", "off"]);
      unsplit = ours;
      const theirs = evalplusResults.parse(JSON.parse(readFileSync(join(dir, "generated_eval_results.json"), "utf8"))).eval;
      const tasks = Object.keys(theirs);
      expect(tasks).toHaveLength(399);
      expect(ours.size).toBe(399);

      const found: { task_id: string; scope: Scope; evalplus: boolean; verdict: boolean }[] = [];
      const agree: Record<Scope, number> = { base: 0, "base+plus": 0 };
      for (const taskId of tasks) {
        const e = theirs[taskId]?.[0];
        const v = ours.get(taskId);
        if (e === undefined || v === undefined) throw new Error(`no verdict for ${taskId}`);
        const pairs: [Scope, boolean, boolean][] = [
          ["base", e.base_status === "pass", v.base_status === "pass"],
          ["base+plus", e.base_status === "pass" && e.plus_status === "pass", v.status === "pass"],
        ];
        for (const [scope, evalplus, verdict] of pairs) {
          if (evalplus === verdict) agree[scope] += 1;
          else found.push({ task_id: taskId, scope, evalplus, verdict });
        }
      }
      // The figures, for whoever reads the test log.
      process.stderr.write(
        `fidelity: base ${agree.base}/${tasks.length}, base+plus ${agree["base+plus"]}/${tasks.length} tasks agree with EvalPlus; ` +
          `disagreements: ${found.map((d) => `${d.task_id} ${d.scope}`).join(", ") || "none"}\n`,
      );
      const isListed = (d: { task_id: string; scope: Scope }) => listed.disagreements.some((l) => l.task_id === d.task_id && l.scopes.includes(d.scope));
      const unexplained = found.filter((d) => !isListed(d));
      expect(unexplained, "disagreements with EvalPlus not listed (with their cause) in the disagreements file").toEqual([]);
      const gone = listed.disagreements.flatMap((l) =>
        l.stable ? l.scopes.filter((scope) => !found.some((d) => d.task_id === l.task_id && d.scope === scope)).map((scope) => `${l.task_id} ${scope}`) : [],
      );
      expect(gone, "listed as stable disagreements but now agreeing: remove them from the disagreements file").toEqual([]);
      for (const scope of ["base", "base+plus"] as const) {
        expect(agree[scope] / tasks.length, `${scope}: ${agree[scope]} of ${tasks.length} tasks agree`).toBeGreaterThanOrEqual(MIN_AGREEMENT);
      }
    },
    600_000,
  );

  it.skipIf(!HAS_DATA)("gives every sample the same verdict when each one is cut across workers as it starts (--tail-split eager)", async () => {
    if (unsplit === undefined || root === undefined) throw new Error("the one-process run did not complete");
    const split = await evalFidelity(DIR as string, join(root, "split"), ["--tail-split", "eager"]);
    // Tasks whose verdict comes and goes with the machine's load (listed, not stable) may differ between any two runs.
    const unstable = new Set(listed.disagreements.filter((l) => !l.stable).map((l) => l.task_id));
    const differ = [...unsplit].filter(([id, v]) => !unstable.has(id) && JSON.stringify(withoutTimings(v)) !== JSON.stringify(withoutTimings(split.get(id) as SampleVerdict)));
    expect(split.size).toBe(unsplit.size);
    expect(differ.map(([id]) => id), "verdicts that differ split and unsplit").toEqual([]);
  }, 600_000);
});
