/**
 * Tail splitting on real containers: a sample's tests not yet started run on an idle worker,
 * and the verdict is the one the unsplit job gives — with a crash in the middle, with every
 * test run, and for a program that keeps state between tests that shows at the test both sides
 * run (it runs again whole). A dependence on earlier calls that shows only past that test is
 * not seen (README, "Tail splitting").
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Judgement } from "../../src/core/session.js";
import type { Benchmark, Test } from "../../src/core/task.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import type { LocalJudgingSession } from "../../src/session/session-options.js";
import type { SplitMode } from "../../src/runner/tail-split.js";

const TESTS = 10;
const call = (i: number): Test => ({ id: `test/${i}`, group: "test", input: { kind: "call", fn: "f", args: [i] }, expect: { expected: BigInt(i * i), comparator: { kind: "eq" } } });
const BENCHMARK: Benchmark = {
  name: "split-test",
  split: "all",
  dataSha256: {},
  groups: [],
  tasks: [{ taskId: "square", text: "Square it.", prompt: "", reference: "", setup: "", tests: Array.from({ length: TESTS }, (_, i) => call(i)) }],
};
const label = { "verdict.test": `split-${randomBytes(4).toString("hex")}` };
const salt = `# ${randomBytes(6).toString("hex")}\n`;
/** Each test spends `ms` of CPU first, so a cut finds tests not started. */
const burn = (ms: number, body: string): string =>
  `${salt}import time\ndef spend():\n    t = time.process_time()\n    while time.process_time() - t < ${ms / 1000}:\n        pass\n${body}`;

const PROGRAMS: Record<string, string> = {
  correct: burn(60, "def f(x):\n    spend()\n    return x * x\n"),
  wrong_at_7: burn(60, "def f(x):\n    spend()\n    return x * x + (x == 7)\n"),
  raises_at_6: burn(60, "def f(x):\n    spend()\n    if x == 6:\n        raise ValueError('six')\n    return x * x\n"),
  loops_at_4: burn(60, "def f(x):\n    spend()\n    while x == 4:\n        pass\n    return x * x\n"),
  // Ends the sample at test 1 while the part cut off at the start still has seconds of work: it is stopped.
  loops_at_1: burn(60, "def f(x):\n    spend()\n    while x == 1:\n        pass\n    if x >= 4:\n        spend()\n        spend()\n        spend()\n        spend()\n    return x * x\n"),
  exits_at_8: burn(60, "import os\ndef f(x):\n    spend()\n    if x == 8:\n        os._exit(3)\n    return x * x\n"),
  // Right only as the (x+1)-th call of its process: a part's fresh process answers its shared test differently.
  stateful_wrong: burn(60, "seen = []\ndef f(x):\n    spend()\n    seen.append(x)\n    return x * x if len(seen) == x + 1 else 0\n"),
};

const sessions: Partial<Record<SplitMode, LocalJudgingSession>> = {};
beforeAll(async () => {
  for (const split of ["off", "eager"] as const) {
    sessions[split] = await openJudgingSession({
      resolved: BENCHMARK,
      workers: 2,
      // A sample budget of min(30, 10 × 0.5) + 1 = 6 s of CPU: each part gets what is left of it.
      limits: { ...DEFAULT_LIMITS, testSeconds: 0.5, memoryMb: 256, sampleSeconds: 30 },
      verdictCache: false,
      memo: false,
      container: { pidsLimit: 64, tmpfsMb: 32 },
      labels: label,
      split,
    });
  }
}, 120_000);
afterAll(async () => {
  await Promise.all(Object.values(sessions).map((s) => s?.close()));
});

/** A judgement without what differs run to run: its timings (a timeout's detail says the wall time it took). */
function content(j: Judgement): unknown {
  const { seconds: _s, cpu_s: _c, cached: _k, engine: _e, ...rest } = j;
  return { ...rest, tests: j.tests.map(({ seconds: _t, detail, ...t }) => ({ ...t, ...(detail !== undefined ? { detail: detail.replace(/[\d.]+ s wall/, "… s wall") } : {}) })) };
}

describe("tail splitting", () => {
  it.each(Object.keys(PROGRAMS))("judges %s exactly as the unsplit job, first failure and every test", async (name) => {
    const program = PROGRAMS[name] as string;
    for (const untilFirstFailure of [true, false]) {
      const [off, eager] = await Promise.all([sessions.off?.judge("square", program, { untilFirstFailure }), sessions.eager?.judge("square", program, { untilFirstFailure })]);
      expect(content(eager as Judgement), `${name}, untilFirstFailure ${untilFirstFailure}`).toEqual(content(off as Judgement));
    }
  }, 60_000);

  it("cut every sample it could, and ran the stateful ones again whole", () => {
    const stats = sessions.eager?.splitStats();
    expect(stats?.cuts).toBeGreaterThanOrEqual(Object.keys(PROGRAMS).length);
    // stateful_wrong answers its shared test differently in a fresh process, in both modes.
    expect(stats?.wholeAgain).toBeGreaterThanOrEqual(2);
    expect(stats?.cancelled).toBeGreaterThanOrEqual(1);
    expect(sessions.off?.splitStats()).toEqual({ cuts: 0, wholeAgain: 0, cancelled: 0 });
  });

  it("judges a sample that runs out of its CPU budget as one process does (its parts together came near it: it runs again whole)", async () => {
    const open = (split: SplitMode) =>
      openJudgingSession({ resolved: BENCHMARK, workers: 2, limits: { ...DEFAULT_LIMITS, testSeconds: 0.5, memoryMb: 256, sampleSeconds: 1 }, verdictCache: false, memo: false, container: { pidsLimit: 64, tmpfsMb: 32 }, labels: label, split });
    const [off, eager] = await Promise.all([open("off"), open("eager")]);
    try {
      // 0.3 s of CPU per test against a budget of min(1, 5) + 1 = 2 s: it runs out around test 6.
      const program = burn(300, "def f(x):\n    spend()\n    return x * x\n");
      const [a, b] = await Promise.all([off.judge("square", program), eager.judge("square", program)]);
      expect(a.status).toBe("timeout");
      expect(a.tests.find((t) => t.outcome === "timeout")?.detail).toMatch(/budget/);
      expect(content(b)).toEqual(content(a));
      expect(eager.splitStats().cuts).toBeGreaterThanOrEqual(1);
      expect(eager.splitStats().wholeAgain).toBe(1);
    } finally {
      await Promise.all([off.close(), eager.close()]);
    }
  }, 60_000);

  it("at the tail, runs a long sample's remaining tests on the idle worker", async () => {
    const s = await openJudgingSession({ resolved: BENCHMARK, workers: 2, limits: { ...DEFAULT_LIMITS, testSeconds: 1, memoryMb: 256 }, verdictCache: false, memo: false, container: { pidsLimit: 64, tmpfsMb: 32 }, labels: label });
    try {
      // One sample alone on two workers: once it has run a while, the other worker takes half its tests.
      const j = await s.judge("square", burn(150, "def f(x):\n    spend()\n    return x * x\n"));
      expect(j).toMatchObject({ status: "pass", passed: TESTS });
      expect(s.splitStats().cuts).toBeGreaterThanOrEqual(1);
      expect(s.splitStats().wholeAgain).toBe(0);
    } finally {
      await s.close();
    }
  }, 60_000);
});
