/**
 * The forgery suite (run by test/runner/forgery.test.ts, and under gVisor by
 * test/sandbox/gvisor.test.ts): programs that try to fake a pass, each followed by its task's
 * clean program in the same container, judged end to end by `runEval` on the engine DOCKER_HOST
 * names (else the local one).
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Isolation } from "../../src/core/sandbox.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { runEval } from "../../src/pipelines/eval.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import type { SandboxPlacement } from "../../src/session/session-options.js";

const FIXTURES = join(import.meta.dirname, "../fixtures/python/forgery");
/** Each hostile program, and the task it answers (a `# task: N` first line, else task 1). */
const HOSTILE = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".py") && !f.startsWith("clean"))
  .sort()
  .map((file) => {
    const source = readFileSync(join(FIXTURES, file), "utf8");
    return { file, source, task: Number(/^# task: (\d+)/.exec(source)?.[1] ?? 1) };
  });
/** The clean program of each task. */
const CLEAN: Record<number, string> = {
  1: readFileSync(join(FIXTURES, "clean.py"), "utf8"),
  2: readFileSync(join(FIXTURES, "clean_evens.py"), "utf8"),
};

/** Asserts of task 2 that compare inside a call: the host cannot run them, so they run whole in the job (weak). */
const WEAK_EVENS = ["test/1", "test/2", "test/3", "test/4"];

/** Tasks whose expected values appear nowhere but in the hidden test file (the first `count` of them). */
export function writeBenchmark(dir: string, count = 2): string {
  const tasks = [
    {
      task_id: 1,
      text: "Return x * 1000 + 7.",
      code: "def secret(x):\n    return x * 1000 + 7\n",
      test_list: ["assert secret(1) == 1007", "assert secret(2) == 2007", "assert secret(3) == 3007"],
      test_setup_code: "",
    },
    {
      // Comparisons hidden in calls (red team, finding 3): decomposed where the host can run the
      // call on the value as plain data (operator.eq, isclose(...) == True, set, len), weak otherwise.
      task_id: 2,
      text: "Return the even numbers below n, in order.",
      code: "def evens(n):\n    return list(range(0, n, 2))\n",
      test_list: [
        "assert operator.eq(evens(6), [0, 2, 4])",
        "assert evens(7).count(6) == 1",
        "assert evens(7).index(6) == 3",
        "assert evens(3).__eq__([0, 2])",
        "assert isinstance(evens(4), list)",
        "assert math.isclose(len(evens(5)), 3) == True",
        "assert set(evens(5)) == {0, 2, 4}",
        "assert len(evens(8)) == 4",
      ],
      test_setup_code: "import math\nimport operator\n",
    },
  ];
  const path = join(dir, `tasks-${count}.jsonl`);
  writeFileSync(path, tasks.slice(0, count).map((t) => `${JSON.stringify(t)}\n`).join(""));
  return path;
}

/** Hostile samples, each followed by its task's clean one, which must still pass in the same container. */
function writeSamples(dir: string): string {
  const lines: string[] = [];
  for (const h of HOSTILE) {
    lines.push(JSON.stringify({ task_id: h.task, solution: h.source }));
    lines.push(JSON.stringify({ task_id: h.task, solution: CLEAN[h.task] }));
  }
  const path = join(dir, "samples.jsonl");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** The tests of a verdict that passed without the weak flag: only a decomposed assert can. */
function strongPasses(v: SampleVerdict): string[] {
  return v.tests.filter((t) => t.outcome === "pass" && t.weak !== true).map((t) => t.id);
}

/**
 * Runs every forging program, each followed by its task's clean one in the same container (one
 * worker; over several engines, one each), checks none passed, and returns the verdicts.
 */
export async function expectNoForgedPass(isolation: Isolation, placement?: SandboxPlacement): Promise<SampleVerdict[]> {
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
    ...(placement !== undefined ? { placement } : {}),
  });
  // Verdicts come back in task order, each task's samples in file order.
  const byTask = (task: number) => result.verdicts.filter((v) => v.task_id === String(task));
  for (const task of [1, 2]) {
    const hostile = HOSTILE.filter((h) => h.task === task);
    const verdicts = byTask(task);
    expect(verdicts).toHaveLength(hostile.length * 2);
    hostile.forEach((h, k) => {
      const v = verdicts[2 * k]!;
      const clean = verdicts[2 * k + 1]!;
      const why = `${h.file}: ${v.tests.map((t) => `${t.id} ${t.outcome}${t.weak ? " (weak)" : ""} ${t.detail ?? ""}`).join(" | ")}`;
      expect(v.status, why).not.toBe("pass");
      // "Decomposed asserts cannot be fooled": only an assert that ran in the job may pass.
      if (task === 2) expect(strongPasses(v), why).toEqual([]);
      expect(clean.status, `clean after ${h.file}`).toBe("pass");
    });
  }
  // The clean program passes task 2 too, its in-job asserts flagged weak and only those.
  const cleanEvens = byTask(2)[1]!;
  expect(cleanEvens.tests.filter((t) => t.weak === true).map((t) => t.id)).toEqual(WEAK_EVENS);
  expect(cleanEvens.weak).toBe(true);
  // No non-pass ever came back from a sandbox fault: every hostile program got a real verdict.
  expect(result.verdicts.filter((v) => v.status === "sandbox_error")).toEqual([]);
  expect(result.summary.pass_at_k["1"]).toBeCloseTo(0.5);
  return result.verdicts;
}
