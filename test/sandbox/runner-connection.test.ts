import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RunnerNotReady, SandboxFault } from "../../src/core/errors.js";
import type { Job, WireTest } from "../../src/core/job.js";
import { createFrameDecoder, encodeFrame } from "../../src/sandbox/framing.js";
import { createRunnerConnection, hostTimeoutSeconds } from "../../src/sandbox/runner-connection.js";

const HELLO = { op: "hello", protocol: 2, python: "3.11.2", pid: 1, uid: 0 };

const job = (id = "j1"): Job => ({
  id,
  program: "def f(x):\n    return x\n",
  setup: "",
  tests: [{ kind: "call", fn: "f", args: [1] }],
  limits: { testSeconds: 1, loadSeconds: 2, memoryMb: 128, outputBytes: 1000, valueBytes: 1000 },
  continueAfterCrash: false,
});

const resultFor = (id: string) => ({
  op: "result",
  id,
  load: { st: "ok" },
  tests: [{ i: 0, st: "value", v: 1, t: 0.001 }],
  stdout: "",
  stderr: "",
  max_rss_kb: 1,
  wall_s: 0.01,
});

/** A scripted stand-in for the runner process: three in-memory pipes and what it received. */
function fakeRunner() {
  const input = new PassThrough();
  const output = new PassThrough();
  const diagnostics = new PassThrough();
  const received: unknown[] = [];
  const decoder = createFrameDecoder(1 << 20);
  const listeners: ((m: unknown) => void)[] = [];
  input.on("data", (chunk: Buffer) => {
    for (const m of decoder.push(chunk)) {
      received.push(m);
      for (const l of listeners) l(m);
    }
  });
  return {
    streams: { input, output, diagnostics },
    received,
    send: (m: unknown) => output.write(encodeFrame(m)),
    onFrame: (l: (m: unknown) => void) => listeners.push(l),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("createRunnerConnection", () => {
  it("waits for the hello, sends the job as a wire frame and resolves with its result", async () => {
    const r = fakeRunner();
    r.onFrame((m) => {
      if ((m as { op: string }).op === "job") r.send(resultFor("j1"));
    });
    const conn = createRunnerConnection(r.streams, { label: "t" });
    const pending = conn.run(job());
    r.send(HELLO);
    expect(await conn.ready).toEqual({ protocol: 2, python: "3.11.2", pid: 1, uid: 0 });
    const result = await pending;
    expect(result).toMatchObject({ id: "j1", load: { st: "ok" }, maxRssKb: 1, wallSeconds: 0.01 });
    expect(r.received).toEqual([
      {
        op: "job",
        id: "j1",
        program: job().program,
        setup: "",
        tests: job().tests,
        limits: { test_s: 1, load_s: 2, memory_mb: 128, output_bytes: 1000, value_bytes: 1000, sample_s: null },
        continue_after_crash: false,
      },
    ]);
    expect(conn.fault).toBeNull();
  });

  it("runs jobs one after another, and refuses a second job while one runs", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    const first = conn.run(job("a"));
    await expect(conn.run(job("b"))).rejects.toThrow(/busy \(job a\); one job at a time/);
    await vi.waitFor(() => expect(r.received).toHaveLength(1));
    r.send(resultFor("a"));
    expect((await first).id).toBe("a");
    // The next job goes out only once the runner says it is clean again.
    const second = conn.run(job("b"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.received).toHaveLength(1);
    r.send({ op: "ready" });
    await vi.waitFor(() => expect(r.received).toHaveLength(2));
    r.send(resultFor("b"));
    expect((await second).id).toBe("b");
  });

  it("faults with RunnerNotReady, before sending anything, when the runner's cleanup overruns", async () => {
    vi.useFakeTimers();
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t", readyTimeoutMs: 1000 });
    const first = conn.run(job("a"));
    await vi.waitFor(() => expect(r.received).toHaveLength(1));
    r.send(resultFor("a"));
    expect((await first).id).toBe("a");
    const second = conn.run(job("b"));
    const settled = expect(second).rejects.toThrow(RunnerNotReady);
    await vi.advanceTimersByTimeAsync(999);
    expect(conn.fault).toBeNull();
    await vi.advanceTimersByTimeAsync(2);
    await settled;
    await expect(second).rejects.toThrow(/not ready within 1 s of the result of job a \(its cleanup overran\)/);
    expect(r.received).toHaveLength(1);
  });

  it("a ping waits for the runner to be ready too", async () => {
    const r = fakeRunner();
    r.onFrame((m) => {
      const op = (m as { op: string }).op;
      if (op === "job") r.send(resultFor("a"));
      if (op === "ping") r.send({ op: "pong" });
    });
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    await conn.run(job("a"));
    const pong = conn.ping();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.received).toHaveLength(1);
    r.send({ op: "ready" });
    await expect(pong).resolves.toBeUndefined();
  });

  it("faults on a ready frame nobody waits for", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    await conn.ready;
    r.send({ op: "ready" });
    await vi.waitFor(() => expect(conn.fault).not.toBeNull());
    expect(conn.fault?.message).toMatch(/unexpected frame/);
  });

  it("answers a ping", async () => {
    const r = fakeRunner();
    r.onFrame((m) => {
      if ((m as { op: string }).op === "ping") r.send({ op: "pong" });
    });
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    await expect(conn.ping()).resolves.toBeUndefined();
  });

  it("faults when the runner's output ends mid-job, quoting its stderr", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "box-7" });
    const pending = conn.run(job());
    r.streams.diagnostics.write("Traceback: runner crashed\n");
    await vi.waitFor(() => expect(r.received).toHaveLength(1));
    r.streams.output.end();
    await expect(pending).rejects.toThrow(SandboxFault);
    await expect(pending).rejects.toThrow(/box-7: runner closed its output.*runner stderr: Traceback: runner crashed/);
    // The fault sticks: the connection is dead for good.
    await expect(conn.run(job("j2"))).rejects.toBe(conn.fault);
  });

  it("faults on a truncated frame at EOF", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    const pending = conn.run(job());
    r.streams.output.end(encodeFrame(resultFor("j1")).subarray(0, 10));
    await expect(pending).rejects.toThrow(/output ended inside a frame/);
  });

  it.each([
    ["garbage bytes", Buffer.from("Traceback (most recent call last):\n"), /above the|not UTF-8 JSON/],
    ["a result for another job", encodeFrame(resultFor("other")), /result for job other while job j1/],
    ["a malformed result", encodeFrame({ ...resultFor("j1"), tests: [] }), /0 test results/],
    ["an error frame", encodeFrame({ op: "error", message: "job.tests must be a list" }), /refused a frame: job.tests must be a list/],
    ["a second hello", encodeFrame(HELLO), /unexpected frame/],
  ])("faults on %s", async (_name, bytes, message) => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t", maxFrameBytes: 4096 });
    const pending = conn.run(job());
    await vi.waitFor(() => expect(r.received).toHaveLength(1));
    r.streams.output.write(bytes);
    await expect(pending).rejects.toThrow(message);
    expect(conn.fault).toBeInstanceOf(SandboxFault);
  });

  it("faults on a frame the runner sends while idle, before the next job is handed over", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    await conn.ready;
    r.send(resultFor("j1"));
    await vi.waitFor(() => expect(conn.fault).not.toBeNull());
    await expect(conn.run(job())).rejects.toThrow(/unexpected frame/);
    expect(r.received).toEqual([]);
  });

  it("accepts a result above the base frame limit when the job's limits allow one that big", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t", maxFrameBytes: 64 });
    const pending = conn.run(job());
    await vi.waitFor(() => expect(r.received).toHaveLength(1));
    r.send({ ...resultFor("j1"), stdout: "x".repeat(5000) });
    expect((await pending).stdout).toHaveLength(5000);
  });

  it("faults when the hello never comes", async () => {
    vi.useFakeTimers();
    const r = fakeRunner();
    const conn = createRunnerConnection(r.streams, { label: "t", helloTimeoutMs: 1000 });
    const ready = expect(conn.ready).rejects.toThrow(/no hello within 1 s/);
    await vi.advanceTimersByTimeAsync(1001);
    await ready;
  });

  it("faults at the host timeout when a wedged runner never answers, and not before", async () => {
    vi.useFakeTimers();
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    const limitMs = hostTimeoutSeconds(job()) * 1000;
    const pending = conn.run(job());
    const settled = vi.fn();
    pending.catch(settled);
    await vi.advanceTimersByTimeAsync(limitMs - 10);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(20);
    await expect(pending).rejects.toThrow(/host timeout of 11\.3 s \(runner wedged\)/);
  });

  it("close asks the runner to exit and ends its input", async () => {
    const r = fakeRunner();
    r.send(HELLO);
    const conn = createRunnerConnection(r.streams, { label: "t" });
    await conn.ready;
    conn.close();
    conn.close();
    await vi.waitFor(() => expect(r.received).toEqual([{ op: "exit" }]));
    expect(r.streams.input.writableEnded).toBe(true);
    await expect(conn.run(job())).rejects.toThrow(/connection closed/);
  });
});

describe("hostTimeoutSeconds", () => {
  const limits = { testSeconds: 1, loadSeconds: 2, memoryMb: 128, outputBytes: 1000, valueBytes: 1000 };
  const base = { id: "x", program: "", setup: "", limits, continueAfterCrash: false };
  const call: WireTest = { kind: "call", fn: "f", args: [] };
  const stdio: WireTest = { kind: "stdio", stdin: "" };

  it("covers the tests, one load and the runner's exit grace per child, plus slack", () => {
    // 3 tests of 1 s, one child (2 s load + 2 s grace): 7 s, ×1.25 + 5.
    expect(hostTimeoutSeconds({ ...base, tests: [call, call, call] })).toBeCloseTo(13.75);
  });

  it("counts a child per stdio test and per run of other tests", () => {
    // children: [call call] [stdio] [stdio] [call] = 4; 5 s of tests + 4 × 4 s = 21 s.
    expect(hostTimeoutSeconds({ ...base, tests: [call, call, stdio, stdio, call] })).toBeCloseTo(21 * 1.25 + 5);
  });

  it("with continueAfterCrash, allows a new child for every test", () => {
    expect(hostTimeoutSeconds({ ...base, tests: [call, call, call], continueAfterCrash: true })).toBeCloseTo(15 * 1.25 + 5);
  });

  it("still covers one load for a job without tests", () => {
    expect(hostTimeoutSeconds({ ...base, tests: [] })).toBeCloseTo(4 * 1.25 + 5);
  });

  it("stops at the per-sample budget's wall backstop when that is sooner, plus the exit grace per child", () => {
    // 100 tests of 1 s, budget min(10, 100) + 1 = 11 s, backstop 1.5x; one child: 16.5 + 2 s grace.
    const tests = new Array<WireTest>(100).fill(call);
    expect(hostTimeoutSeconds({ ...base, tests, limits: { ...limits, sampleSeconds: 10 } })).toBeCloseTo(18.5 * 1.25 + 5);
    // A budget above what the tests and loads may take anyway changes nothing.
    expect(hostTimeoutSeconds({ ...base, tests: [call], limits: { ...limits, sampleSeconds: 60 } })).toBeCloseTo(5 * 1.25 + 5);
  });

  it("uses per-test limits", () => {
    expect(hostTimeoutSeconds({ ...base, tests: [call, call], limits: { ...limits, testSeconds: [0.5, 10] } })).toBeCloseTo(
      14.5 * 1.25 + 5,
    );
  });
});
