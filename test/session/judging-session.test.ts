/**
 * The judging session on real containers: per-test outcomes with first-failure and all-tests
 * semantics, the counts rewards need, one judgement per identical (program, tests, limits),
 * the host backend's refusal to judge, an abort that removes every container, and tasks from
 * outside the benchmark resolved in reference containers of their own.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Benchmark, Task, Test } from "../../src/core/task.js";
import { mbppRowToTask } from "../../src/benchmarks/mbpp.js";
import { sessionRewardJudge } from "../../src/search/session-judge.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import type { LocalJudgingSession } from "../../src/session/session-options.js";

const call = (i: number, x: number, expected: bigint): Test => ({
  id: `test/${i}`,
  group: "test",
  input: { kind: "call", fn: "f", args: [x] },
  expect: { expected, comparator: { kind: "eq" } },
});

/** f doubles, and the tests ask f(1), f(2), f(3). */
const BENCHMARK: Benchmark = {
  name: "session-test",
  split: "all",
  dataSha256: {},
  groups: [],
  tasks: [{ taskId: "double", text: "Double it.", prompt: "", reference: "", setup: "", tests: [call(0, 1, 2n), call(1, 2, 4n), call(2, 3, 6n)] }],
};

const label = { "verdict.test": `session-${randomBytes(4).toString("hex")}` };
/** A salt per test run: nothing any earlier run cached can answer for these programs. */
const salt = `# ${randomBytes(6).toString("hex")}\n`;
const DOUBLE = `${salt}def f(x):\n    return 2 * x\n`;
/** Loops on f(2): a crash in the middle of the tests. */
const LOOPS_ON_2 = `${salt}def f(x):\n    while x == 2:\n        pass\n    return 2 * x\n`;

let session: LocalJudgingSession;

beforeAll(async () => {
  session = await openJudgingSession({
    resolved: BENCHMARK,
    workers: 1,
    limits: { ...DEFAULT_LIMITS, testSeconds: 0.5, memoryMb: 256 },
    verdictCache: false,
    container: { pidsLimit: 64, tmpfsMb: 32 },
    labels: label,
  });
});
afterAll(async () => {
  await session?.close();
});

describe("judging session", () => {
  it("judges a program on the task's tests and fills in passed, total and compiles", async () => {
    const j = await session.judge("double", DOUBLE);
    expect(j).toMatchObject({ task_id: "double", status: "pass", passed: 3, total: 3, compiles: true, cached: false });
    const broken = await session.judge("double", `${salt}def f(x)\n    return x\n`);
    expect(broken).toMatchObject({ status: "syntax_error", passed: 0, total: 3, compiles: false });
  });

  it("stops at the first failure by default; with untilFirstFailure false every test runs, after a crash too", async () => {
    const first = await session.judge("double", LOOPS_ON_2);
    expect(first.tests.map((t) => t.outcome)).toEqual(["pass", "timeout", "timeout"]);
    expect([first.passed, first.total]).toEqual([1, 3]);
    const all = await session.judge("double", LOOPS_ON_2, { untilFirstFailure: false });
    expect(all.tests.map((t) => t.outcome)).toEqual(["pass", "timeout", "pass"]);
    expect([all.passed, all.total]).toEqual([2, 3]);
    // The search's judge sees the same counts.
    const score = await sessionRewardJudge(session).judge({ taskId: "double", prompt: { taskId: "double", text: "", tests: [] }, testsDigest: "t" }, LOOPS_ON_2);
    expect(score).toMatchObject({ compiles: true, passed: 2, total: 3 });
    expect(score.tests?.map((t) => t.outcome)).toEqual(["pass", "timeout", "pass"]);
  });

  it("judges any tests asked for (a subset, generated ones) instead of the task's own", async () => {
    const tests = [call(0, 5, 10n), call(1, 6, 13n)];
    const j = await session.judge("double", DOUBLE, { tests, untilFirstFailure: false });
    expect(j.tests.map((t) => [t.id, t.outcome])).toEqual([
      ["test/0", "pass"],
      ["test/1", "wrong_answer"],
    ]);
  });

  it("reports the CPU seconds a program's processes used, by the container's counter", async () => {
    const burn = `${salt}import time\ndef f(x):\n    t = time.process_time()\n    while time.process_time() - t < 0.15:\n        pass\n    return 2 * x\n`;
    const j = await session.judge("double", burn);
    expect(j.status).toBe("pass");
    // Three tests of 0.15 s each, plus the load; never more than the wall time allows on one CPU.
    expect(j.cpu_s).toBeGreaterThanOrEqual(0.4);
    expect(j.cpu_s).toBeLessThan(j.seconds + 0.1);
    const idle = await session.judge("double", `${salt}import time\ndef f(x):\n    time.sleep(0.1)\n    return 2 * x\n`);
    expect(idle.cpu_s).toBeLessThan(0.2);
  });

  it("judges identical (program, tests, limits) once per session, concurrent asks included", async () => {
    const program = `${salt}# once\ndef f(x):\n    return x + x\n`;
    const many = await session.judgeMany([0, 1, 2, 3].map(() => ({ task: "double", program })));
    expect(many.map((j) => j.status)).toEqual(["pass", "pass", "pass", "pass"]);
    expect(many.filter((j) => !j.cached)).toHaveLength(1);
    const again = await session.judgeSample({ taskId: "double", sampleIndex: 7, program });
    expect(again.verdict).toMatchObject({ task_id: "double", sample_index: 7, status: "pass", cached: true });
  });

  it("an abort removes every container of the session and rejects what was asked", async () => {
    const abort = new AbortController();
    const own = { "verdict.test": `session-abort-${randomBytes(4).toString("hex")}` };
    const s = await openJudgingSession({ resolved: BENCHMARK, workers: 1, verdictCache: false, container: { pidsLimit: 64, tmpfsMb: 32 }, containerMemoryMb: 512, labels: own, signal: abort.signal });
    await s.warm();
    const docker = connectDocker();
    const mine = () => docker.listContainers({ all: true, filters: { label: Object.entries(own).map(([k, v]) => `${k}=${v}`) } });
    expect(await mine()).toHaveLength(1);
    const pending = s.judge("double", `${salt}import time\ndef f(x):\n    time.sleep(30)\n`);
    abort.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
    await s.close();
    expect(await mine()).toHaveLength(0);
  });
});

describe("tasks from outside the benchmark", () => {
  it("resolves task specs in reference containers closed after, once per session, and judges them on the host", async () => {
    const own = { "verdict.test": `session-resolve-${randomBytes(4).toString("hex")}` };
    const docker = connectDocker();
    const references = () => docker.listContainers({ all: true, filters: { label: [...Object.entries(own).map(([k, v]) => `${k}=${v}`), "verdict.role=reference"] } });
    const s = await openJudgingSession({ resolved: BENCHMARK, workers: 1, verdictCache: false, groundTruthCache: false, container: { pidsLimit: 64, tmpfsMb: 32 }, containerMemoryMb: 512, labels: own });
    try {
      // A salt in the spec: no cached ground truth answers for it.
      const spec = { ...mbppRowToTask({ task_id: 77, text: `Triple it ${salt}`, code: "def t(x):\n    return 3 * x\n", test_list: ["assert t(2) == 6", "assert t(3) == 9"], test_setup_code: "" }, false) };
      const [[first], [again]] = [await s.resolveTasks([spec]), await s.resolveTasks([spec])];
      expect(again?.task).toBe(first?.task);
      expect(first?.failures).toEqual([]);
      const task = first?.task as Task;
      expect(task.tests.map((t) => [t.input.kind, t.expect, t.weak ?? false])).toEqual([
        ["expr", { expected: 6n, comparator: { kind: "eq" } }, false],
        ["expr", { expected: 9n, comparator: { kind: "eq" } }, false],
      ]);
      expect(await references()).toHaveLength(0);
      const forged = await s.judge(task, `${salt}class A:\n    def __eq__(self, o):\n        return True\ndef t(x):\n    return A()\n`);
      expect(forged.status).not.toBe("pass");
      expect(await s.judge(task, `${salt}def t(x):\n    return x * 3\n`)).toMatchObject({ task_id: "77", status: "pass", weak: false, passed: 2 });
    } finally {
      await s.close();
    }
  });
});

describe("a session's start and its cost estimates", () => {
  it("starts the candidates' containers as it opens, and a close at once leaves none", async () => {
    const own = { "verdict.test": `session-start-${randomBytes(4).toString("hex")}` };
    const docker = connectDocker();
    const mine = () => docker.listContainers({ all: true, filters: { label: Object.entries(own).map(([k, v]) => `${k}=${v}`) } });
    const closedAtOnce = await openJudgingSession({ resolved: BENCHMARK, workers: 1, verdictCache: false, container: { pidsLimit: 64, tmpfsMb: 32 }, containerMemoryMb: 512, labels: own });
    await closedAtOnce.close();
    expect(await mine()).toHaveLength(0);
    const s = await openJudgingSession({ resolved: BENCHMARK, workers: 1, verdictCache: false, container: { pidsLimit: 64, tmpfsMb: 32 }, containerMemoryMb: 512, labels: own });
    try {
      // Nobody asked for a job: the pool started on its own.
      await expect.poll(async () => (await mine()).length, { timeout: 30_000, interval: 200 }).toBe(1);
    } finally {
      await s.close();
    }
    expect(await mine()).toHaveLength(0);
  });

  it("learns a task's cost from what its samples took in the sandbox, not from tests asked for", async () => {
    const s = await openJudgingSession({ resolved: BENCHMARK, workers: 1, verdictCache: false, container: { pidsLimit: 64, tmpfsMb: 32 }, containerMemoryMb: 512, labels: label });
    try {
      expect(s.costs.estimate("double")).toBe(0);
      const slow = `${salt}# slow\nimport time\ndef f(x):\n    time.sleep(0.1)\n    return 2 * x\n`;
      await s.judge("double", slow, { tests: [call(0, 1, 2n)] });
      expect(s.costs.estimate("double")).toBe(0);
      const j = await s.judge("double", slow);
      expect(j.status).toBe("pass");
      expect(s.costs.estimate("double")).toBe(j.seconds);
      expect(s.costs.estimate("double")).toBeGreaterThanOrEqual(0.3);
    } finally {
      await s.close();
    }
  });
});

describe("the host backend", () => {
  it("times raw jobs but judges nothing: it has no sandbox", async () => {
    const host = await openJudgingSession({ resolved: BENCHMARK, backend: "host", workers: 1, verdictCache: false });
    try {
      await expect(host.judge("double", DOUBLE)).rejects.toThrow(/without a sandbox/);
      const raw = await host.runJob({ id: "j", program: "def f(x):\n    return x\n", setup: "", tests: [{ kind: "call", fn: "f", args: [3] }], limits: DEFAULT_LIMITS, continueAfterCrash: false });
      expect(raw.tests[0]).toMatchObject({ st: "value", v: 3 });
    } finally {
      await host.close();
    }
  });
});
