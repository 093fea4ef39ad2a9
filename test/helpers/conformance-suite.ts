/**
 * The conformance suite every sandbox backend passes (test/sandbox/conformance.test.ts runs it
 * on every registered backend; test/sandbox/gvisor.test.ts on the Docker backend under gVisor):
 * real programs (test/fixtures/python/) in real sandboxes. Each hostile case is followed by a
 * clean job in the same sandbox, which must pass. The unisolated host backend joins for the
 * cases that do not test containment.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job, RawJobResult, RawTestResult, WireTest } from "../../src/core/job.js";
import type { Isolation, SandboxPool } from "../../src/core/sandbox.js";
import type { SandboxBackend } from "../../src/sandbox/backends.js";

/** A fixture program's source. */
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/python/${name}.py`, import.meta.url), "utf8");

let seq = 0;

/** A job with the suite's default limits; `limits` overrides some of them. */
function job(program: string, tests: WireTest[], extra: Partial<Omit<Job, "limits">> & { limits?: Partial<Job["limits"]> } = {}): Job {
  const { limits, ...rest } = extra;
  return {
    id: `conf-${++seq}`,
    program,
    setup: "",
    tests,
    limits: { testSeconds: 3, loadSeconds: 5, memoryMb: 256, outputBytes: 64 * 1024, valueBytes: 64 * 1024, ...limits },
    continueAfterCrash: false,
    ...rest,
  };
}

const call = (fn: string, ...args: unknown[]): WireTest => ({ kind: "call", fn, args });
const expr = (src: string): WireTest => ({ kind: "expr", src });

/** The test results without their timings, which differ run to run. */
const untimed = (r: RawJobResult): Omit<RawTestResult, "t">[] => r.tests.map(({ t: _t, ...rest }) => rest);


/**
 * What the runner's environment may hold (Docker adds PATH, HOSTNAME and HOME; the image LANG and
 * PYTHONDONTWRITEBYTECODE; the sandbox PYTHONHASHSEED and, under gVisor, VERDICT_JOB_NPROC).
 */
const GVISOR_RUNNER_ENVIRONMENT = ["PATH", "HOSTNAME", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "VERDICT_JOB_NPROC"];

/** One backend of the registry in one of its isolation modes. */
export interface ConformanceCase {
  name: string;
  backend: SandboxBackend;
  isolation: Isolation;
  /** Whether its containers run under gVisor, where two outcomes legitimately differ (see below). */
  gvisor?: boolean;
  /** Warm sandboxes one of its pools holds (default 1; a pool over several engines holds one on each). */
  sandboxes?: number;
  /** Opens a pool whose sandboxes carry these labels (default: the case's own). */
  make(labels?: Record<string, string>): Promise<SandboxPool>;
}

/** The suite's cases for one backend (the body of a `describe`). */
export function conformanceSuite(backend: ConformanceCase): void {
  let sandbox: SandboxPool;

  beforeAll(async () => {
    sandbox = await backend.make();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  /** The clean job that follows every hostile one: it must pass in the same sandbox. */
  async function expectCleanJob(): Promise<void> {
    const r = await sandbox.run(job(fixture("arithmetic"), [call("add", 2, 3), call("double", 21)]));
    expect(r.load).toEqual({ st: "ok" });
    expect(untimed(r)).toEqual([
      { i: 0, st: "value", v: 5 },
      { i: 1, st: "value", v: 42 },
    ]);
  }

  it("runs a passing call test and returns the tagged value", async () => {
    const j = job(fixture("arithmetic"), [call("add", 2, 3), call("describe", [1, 2, 3]), call("add", { i: "0x20000000000001" }, 1)]);
    const r = await sandbox.run(j);
    expect(r.id).toBe(j.id);
    expect(r.load).toEqual({ st: "ok" });
    expect(untimed(r)).toEqual([
      { i: 0, st: "value", v: 5 },
      { i: 1, st: "value", v: { t: [6, [{ f: 1.5 }, { f: 3 }, { f: 4.5 }], { d: [["n", 3]] }, { fs: [1, 2, 3] }, null] } },
      { i: 2, st: "value", v: { i: "0x20000000000002" } },
    ]);
    expect(r.tests.every((t) => typeof t.t === "number" && t.t >= 0)).toBe(true);
    expect(r.wallSeconds).toBeGreaterThan(0);
  });

  it("reports a syntax error at load, and skips the tests", async () => {
    const r = await sandbox.run(job(fixture("syntax_error"), [call("add", 1, 2)]));
    expect(r.load).toMatchObject({ st: "syntax_error", exc: "SyntaxError", line: 1 });
    expect(untimed(r)).toEqual([{ i: 0, st: "skipped" }]);
    await expectCleanJob();
  });

  it("reports an exception with its type and message", async () => {
    const r = await sandbox.run(job(fixture("raises"), [call("parse", "abc")]));
    expect(r.load).toEqual({ st: "ok" });
    expect(untimed(r)).toEqual([{ i: 0, st: "raised", exc: "ValueError", msg: "cannot parse 'abc'" }]);
    await expectCleanJob();
  });

  it("stops a busy loop at the time limit, and the next job in the same sandbox passes", async () => {
    const started = Date.now();
    const r = await sandbox.run(job(fixture("busy_loop"), [call("spin"), call("double", 1)], { limits: { testSeconds: 0.5 } }));
    expect(untimed(r)).toEqual([
      { i: 0, st: "timeout" },
      { i: 1, st: "skipped" },
    ]);
    expect(r.tests[0]!.t).toBeGreaterThanOrEqual(0.5);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectCleanJob();
  });

  it("turns a memory bomb into a memory outcome", async () => {
    const r = await sandbox.run(job(fixture("memory_bomb"), [call("bomb")], { limits: { memoryMb: 200 } }));
    expect(r.load).toEqual({ st: "ok" });
    expect(r.tests[0]!.st).toBe("memory");
    await expectCleanJob();
  });

  it("stops a program that prints 10 MB at the output limit", async () => {
    const r = await sandbox.run(job(fixture("print_flood"), [call("flood")], { limits: { outputBytes: 64 * 1024 } }));
    expect(r.tests[0]!.st).toBe("output_limit");
    // The report keeps only a prefix of what was printed.
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThan(1024 * 1024);
    await expectCleanJob();
  });

  it("reports os._exit(0) inside a call as exited, not as a value", async () => {
    const r = await sandbox.run(job(fixture("exit_in_call"), [call("leave"), call("leave")]));
    expect(r.load).toEqual({ st: "ok" });
    expect(untimed(r)).toEqual([
      { i: 0, st: "exited", code: 0, msg: "exited with code 0" },
      { i: 1, st: "skipped" },
    ]);
    await expectCleanJob();
  });

  it("reports sys.exit(0) at import as a load that raised SystemExit", async () => {
    const r = await sandbox.run(job(fixture("exit_at_import"), [call("add", 1, 2)]));
    expect(r.load).toMatchObject({ st: "raised", exc: "SystemExit" });
    expect(untimed(r)).toEqual([{ i: 0, st: "skipped" }]);
    await expectCleanJob();
  });

  it("refuses a returned custom object as unserializable", async () => {
    const r = await sandbox.run(job(fixture("custom_object"), [call("answer")]));
    expect(r.tests[0]).toMatchObject({ i: 0, st: "unserializable" });
    expect(r.tests[0]!.v).toBeUndefined();
    await expectCleanJob();
  });

  it("runs a stdio test and returns the program's stdout", async () => {
    const r = await sandbox.run(job(fixture("stdio_sum"), [{ kind: "stdio", stdin: "3 4\n" }, { kind: "stdio", stdin: "10 -2\n" }]));
    expect(r.load).toEqual({ st: "ok" });
    expect(untimed(r)).toEqual([
      { i: 0, st: "value", v: "7\n" },
      { i: 1, st: "value", v: "8\n" },
    ]);
  });

  it("with continueAfterCrash, runs the tests after a timeout in a new process", async () => {
    const r = await sandbox.run(
      job(fixture("busy_loop"), [call("double", 1), call("spin"), call("double", 2), call("double", 3)], {
        continueAfterCrash: true,
        limits: { testSeconds: 0.5 },
      }),
    );
    expect(untimed(r)).toEqual([
      { i: 0, st: "value", v: 2 },
      { i: 1, st: "timeout" },
      { i: 2, st: "value", v: 4 },
      { i: 3, st: "value", v: 6 },
    ]);
    await expectCleanJob();
  });

  it("cleans up orphans: what a killed process left is found by its labels and removed", async () => {
    // A second pool that is never closed stands for the pool of a process that was killed.
    const labels = { "verdict.test": `conformance-orphan-${randomBytes(4).toString("hex")}` };
    const orphan = await backend.make(labels);
    const r = await orphan.run(job(fixture("arithmetic"), [call("add", 1, 1)]));
    expect(untimed(r)).toEqual([{ i: 0, st: "value", v: 2 }]);
    // A warm container outlives its process and is found by its labels; a fresh one goes with its
    // job, host runners with their process. Once pruned, nothing carrying the labels is left.
    const removed = await backend.backend.pruneOrphans(labels);
    if (backend.backend.isolated && backend.isolation === "pool") expect(removed).toBe(backend.sandboxes ?? 1);
    expect(await backend.backend.pruneOrphans(labels)).toBe(0);
    await orphan.close();
    // The case's own sandbox, with other labels, was left alone.
    await expectCleanJob();
  });

  describe.runIf(backend.backend.isolated)("containment", () => {
    it("ignores frames forged on every fd: the results are only the program's own values", async () => {
      const forged = job(fixture("forge_frames"), [call("forge", false), call("forge", true), call("forge", false)]);
      forged.setup = `JOB_ID = ${JSON.stringify(forged.id)}`;
      const r = await sandbox.run(forged);
      expect(r.id).toBe(forged.id);
      expect(JSON.stringify(r.tests)).not.toContain("FORGED");
      // Its own result pipe is the one channel it may write to: forging there only garbles
      // its own answer (a protocol or output_limit outcome), never anyone's verdict.
      expect(untimed(r)[0]).toEqual({ i: 0, st: "value", v: "own" });
      expect(["protocol", "output_limit"]).toContain(r.tests[1]!.st);
      expect(r.tests[2]!.st).toBe("skipped");
      await expectCleanJob();
    });

    it("leaves nothing behind: the next job sees no leftover process or file", async () => {
      const r = await sandbox.run(
        job(fixture("leave_behind"), [
          call("leave"),
          // Within the job the leftovers exist, so the probe below would see them if they survived.
          expr("sorted(os.listdir('/tmp') + os.listdir('/dev/shm') + os.listdir('.'))"),
          expr("len([p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]) > 0"),
        ]),
      );
      expect(untimed(r)).toEqual([
        { i: 0, st: "value", v: "left" },
        { i: 1, st: "value", v: ["job", "leaked", "leaked", "leaked-in-workdir"] },
        { i: 2, st: "value", v: true },
      ]);
      const probe = await sandbox.run(
        job("import os\n", [
          expr("sorted(os.listdir('/tmp'))"),
          expr("sorted(os.listdir('/tmp/job'))"),
          expr("sorted(os.listdir('/dev/shm'))"),
          expr("sorted(open(f'/proc/{p}/stat').read() for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid()))"),
          expr("os.getcwd()"),
        ]),
      );
      expect(untimed(probe)).toEqual([
        { i: 0, st: "value", v: ["job"] },
        { i: 1, st: "value", v: [] },
        { i: 2, st: "value", v: [] },
        { i: 3, st: "value", v: [] },
        { i: 4, st: "value", v: "/tmp/job" },
      ]);
      await expectCleanJob();
    });

    it("runs the job as uid 10000 with no capabilities; it cannot signal or read the runner", async () => {
      const r = await sandbox.run(
        job(fixture("escape"), [call("identity"), call("kill_runner"), call("read_runner_environ")], { continueAfterCrash: true }),
      );
      const expected: Omit<RawTestResult, "t">[] = [
        { i: 0, st: "value", v: { t: [10000, 10000, 10000, [], ["0000000000000000", "0000000000000000"]] } },
        { i: 1, st: "raised", exc: "PermissionError", msg: "[Errno 1] Operation not permitted" },
        { i: 2, st: "raised", exc: "PermissionError", msg: "[Errno 13] Permission denied: '/proc/1/environ'" },
      ];
      if (!backend.gvisor) {
        expect(untimed(r)).toEqual(expected);
      } else {
        // gVisor 20221219 lets a job read the runner's /proc/1/environ (docs/gvisor-notes.md):
        // it must hold nothing but these, none of them secret.
        expect(untimed(r).slice(0, 2)).toEqual(expected.slice(0, 2));
        expect(r.tests[2]).toMatchObject({ i: 2, st: "value", v: { b: expect.any(String) } });
        const environ = Buffer.from((r.tests[2]!.v as { b: string }).b, "base64").toString("utf8");
        const names = environ.split("\0").filter((e) => e !== "").map((e) => e.split("=")[0]);
        expect(names.filter((n) => !GVISOR_RUNNER_ENVIRONMENT.includes(n!)), environ).toEqual([]);
      }
      await expectCleanJob();
    });

    it("survives a fork bomb inside the pids limit", async () => {
      const r = await sandbox.run(job(fixture("fork_bomb"), [call("bomb")], { limits: { testSeconds: 1 } }));
      expect(untimed(r)).toEqual([{ i: 0, st: "timeout" }]);
      await expectCleanJob();
    });

    it("has no network and a read-only root filesystem; only scratch space is writable", async () => {
      const r = await sandbox.run(
        job(fixture("escape"), [call("reach_network"), call("root_is_readonly"), call("write_scratch")], {
          continueAfterCrash: true,
        }),
      );
      expect(r.tests[0]).toMatchObject({ st: "raised", exc: "OSError" });
      // gVisor's own network stack answers "No route to host" (EHOSTUNREACH) where Linux says
      // "Network is unreachable": no network either way.
      expect(r.tests[0]!.msg).toMatch(backend.gvisor ? /unreachable|no route to host/i : /unreachable/i);
      expect(untimed(r).slice(1)).toEqual([
        { i: 1, st: "value", v: true },
        { i: 2, st: "value", v: "ok" },
      ]);
      await expectCleanJob();
    });
  });
}
