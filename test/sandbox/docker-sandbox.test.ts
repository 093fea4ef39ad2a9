/**
 * What the Docker backend adds to the conformance suite: the containers it makes (their
 * settings, labels and cleanup), concurrency in fresh mode, and faults retried in a new
 * container. Real containers throughout.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { SandboxFault, SetupError } from "../../src/core/errors.js";
import type { Job, WireTest } from "../../src/core/job.js";
import type { SandboxPool } from "../../src/core/sandbox.js";
import { SCRATCH_INODES } from "../../src/sandbox/container-spec.js";
import { createDockerSandbox, type DockerSandboxOptions } from "../../src/sandbox/docker-sandbox.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { testImage } from "../helpers/sandbox-image.js";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/python/${name}.py`, import.meta.url), "utf8");
const BROKEN_RUNNER = new URL("../fixtures/python/broken_runner.py", import.meta.url).pathname;

let seq = 0;
const job = (program: string, tests: WireTest[], limits: Partial<Job["limits"]> = {}): Job => ({
  id: `docker-${++seq}`,
  program,
  setup: "",
  tests,
  limits: { testSeconds: 5, loadSeconds: 5, memoryMb: 256, outputBytes: 65536, valueBytes: 65536, ...limits },
  continueAfterCrash: false,
});
const call = (fn: string, ...args: unknown[]): WireTest => ({ kind: "call", fn, args });
/** The clock tick at which the container's PID 1 started: it tells containers apart. */
const containerStart: WireTest = { kind: "expr", src: "open('/proc/1/stat').read().split()[21]" };

let docker: Docker;
let image: { tag: string; id: string };

beforeAll(async () => {
  docker = connectDocker();
  image = await testImage();
});

/** Options for a pool under test, with a label no other test uses. */
function options(overrides: Partial<DockerSandboxOptions> = {}): DockerSandboxOptions & { labels: Record<string, string> } {
  return {
    image: image.tag,
    isolation: "pool",
    workers: 1,
    memoryMb: 256,
    cpus: 1,
    pidsLimit: 64,
    tmpfsMb: 32,
    hashSeed: 7,
    ...overrides,
    labels: { "verdict.test": `docker-sandbox-${randomBytes(4).toString("hex")}`, ...overrides.labels },
  };
}

/** The containers carrying a test's label, running or not. */
async function containersOf(labels: Record<string, string>): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`verdict.test=${labels["verdict.test"]}`] } });
}

/** Waits until a running container with the label exists that is not in `seen`, and returns it. */
async function nextRunning(labels: Record<string, string>, seen: Set<string>): Promise<Docker.ContainerInfo> {
  for (let i = 0; i < 200; i++) {
    const found = (await containersOf(labels)).find((c) => c.State === "running" && !seen.has(c.Id));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no new running container appeared");
}

describe("createDockerSandbox", () => {
  it("starts `workers` containers with the containment settings, and close() removes them all", async () => {
    const opts = options({ workers: 2, memoryMb: 300, cpus: 0.5, pidsLimit: 50, tmpfsMb: 16 });
    const pool = await createDockerSandbox(docker, opts);
    try {
      expect(pool.info).toEqual({
        backend: "docker",
        isolation: "pool",
        image: image.tag,
        imageId: image.id,
        workers: 2,
        hashSeed: 7,
      });
      const listed = await containersOf(opts.labels);
      expect(listed.map((c) => c.State)).toEqual(["running", "running"]);
      const inspected = await docker.getContainer(listed[0]!.Id).inspect();
      const hc = inspected.HostConfig;
      expect(inspected.Config.Cmd).toEqual(["python3", "-S", "-B", "/opt/verdict/runner.py"]);
      expect(inspected.Config.Env).toContain("PYTHONHASHSEED=7");
      expect(inspected.Config.Labels).toMatchObject({
        "verdict.managed": "1",
        "verdict.isolation": "pool",
        "verdict.test": opts.labels["verdict.test"],
      });
      expect(inspected.Config.Labels["verdict.run"]).toMatch(/\S/);
      expect(inspected.Config.OpenStdin).toBe(true);
      expect(inspected.Config.Tty).toBe(false);
      expect(hc).toMatchObject({
        NetworkMode: "none",
        ReadonlyRootfs: true,
        Memory: 300 * 1024 * 1024,
        MemorySwap: 300 * 1024 * 1024,
        NanoCpus: 500_000_000,
        PidsLimit: 50,
        SecurityOpt: ["no-new-privileges"],
        CapDrop: ["ALL"],
        // Inode caps keep the runner's cleanup after a job short (red team, finding 5).
        Tmpfs: {
          "/tmp": `rw,nosuid,nodev,size=16m,nr_inodes=${SCRATCH_INODES},mode=1777`,
          "/dev/shm": `rw,nosuid,nodev,size=64m,nr_inodes=${SCRATCH_INODES},mode=1777`,
        },
        AutoRemove: false,
        Ulimits: [{ Name: "nofile", Soft: 1024, Hard: 1024 }],
      });
      expect([...(hc.CapAdd as string[])].sort()).toEqual(["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID"]);
      // PYTHONHASHSEED reaches the job: str hashes are the seeded ones.
      const seeded = await pool.run(job("", [{ kind: "expr", src: "hash('verdict')" }]));
      const again = await pool.run(job("", [{ kind: "expr", src: "hash('verdict')" }]));
      expect(seeded.tests[0]!.v).toEqual(again.tests[0]!.v);
    } finally {
      await pool.close();
    }
    expect(await containersOf(opts.labels)).toEqual([]);
    await pool.close();
    await expect(pool.run(job(fixture("arithmetic"), [call("add", 1, 2)]))).rejects.toThrow(SandboxFault);
  });

  it("lets several pools of one run share its run label", async () => {
    const run = `shared-${randomBytes(4).toString("hex")}`;
    const opts = options({ labels: { "verdict.run": run } });
    const pools = await Promise.all([createDockerSandbox(docker, opts), createDockerSandbox(docker, opts)]);
    try {
      const listed = await docker.listContainers({ all: true, filters: { label: [`verdict.run=${run}`] } });
      expect(listed).toHaveLength(2);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it("keeps containers warm in pool mode and makes a new one per job in fresh mode", async () => {
    for (const isolation of ["pool", "fresh"] as const) {
      const pool = await createDockerSandbox(docker, options({ isolation }));
      try {
        const starts: unknown[] = [];
        for (let k = 0; k < 3; k++) starts.push((await pool.run(job("", [containerStart]))).tests[0]!.v);
        expect(new Set(starts).size).toBe(isolation === "pool" ? 1 : 3);
      } finally {
        await pool.close();
      }
    }
  });

  it("runs at most `workers` fresh containers at once, and queues the rest", async () => {
    const opts = options({ isolation: "fresh", workers: 2 });
    const pool = await createDockerSandbox(docker, opts);
    let most = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        most = Math.max(most, (await containersOf(opts.labels)).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, () => pool.run(job(fixture("nap"), [call("nap", { f: 0.3 })]))),
      );
      expect(results.map((r) => r.tests[0]!.v)).toEqual(Array(5).fill("rested"));
    } finally {
      polling = false;
      await poller;
      await pool.close();
    }
    expect(most).toBe(2);
    expect(await containersOf(opts.labels)).toEqual([]);
  });

  it("retries a job whose container dies mid-job in a new container, which replaces it in the pool", async () => {
    const opts = options();
    const pool = await createDockerSandbox(docker, opts);
    try {
      const [first] = await containersOf(opts.labels);
      const pending = pool.run(job(fixture("nap"), [call("nap", 1)]));
      await new Promise((r) => setTimeout(r, 300));
      await docker.getContainer(first!.Id).kill();
      const result = await pending;
      expect(result.tests[0]).toMatchObject({ st: "value", v: "rested" });
      const now = await containersOf(opts.labels);
      expect(now.map((c) => c.Id)).not.toContain(first!.Id);
      expect(now).toHaveLength(1);
      expect((await pool.run(job(fixture("arithmetic"), [call("add", 1, 2)]))).tests[0]).toMatchObject({ v: 3 });
    } finally {
      await pool.close();
    }
  });

  it("throws a SandboxFault when the retry faults too, and the pool recovers afterwards", async () => {
    const opts = options();
    const pool = await createDockerSandbox(docker, opts);
    try {
      const seen = new Set<string>();
      const pending = pool.run(job(fixture("nap"), [call("nap", 2)]));
      pending.catch(() => undefined);
      for (let k = 0; k < 2; k++) {
        const victim = await nextRunning(opts.labels, seen);
        seen.add(victim.Id);
        await new Promise((r) => setTimeout(r, 300));
        await docker.getContainer(victim.Id).kill();
      }
      await expect(pending).rejects.toThrow(SandboxFault);
      await expect(pending).rejects.toThrow(/sandbox fault, then again on retry in a new container.*exited with code 137/);
      expect((await pool.run(job(fixture("arithmetic"), [call("add", 2, 2)]))).tests[0]).toMatchObject({ v: 4 });
    } finally {
      await pool.close();
    }
    expect(await containersOf(opts.labels)).toEqual([]);
  });

  it("replaces a pool container that died while idle without counting it against the job", async () => {
    const opts = options();
    const pool = await createDockerSandbox(docker, opts);
    try {
      const [idle] = await containersOf(opts.labels);
      await docker.getContainer(idle!.Id).kill();
      await new Promise((r) => setTimeout(r, 200));
      const pending = pool.run(job(fixture("nap"), [call("nap", 1)]));
      // The job's first real container dies too: the job still has its one retry left.
      const victim = await nextRunning(opts.labels, new Set([idle!.Id]));
      await new Promise((r) => setTimeout(r, 300));
      await docker.getContainer(victim.Id).kill();
      expect((await pending).tests[0]).toMatchObject({ st: "value", v: "rested" });
    } finally {
      await pool.close();
    }
  });

  it.each(["pool", "fresh"] as const)("reports a runner that writes garbage or dies, with its stderr, after one retry (%s)", async (isolation) => {
    const opts = options({ isolation, runnerPath: BROKEN_RUNNER });
    const pool = await createDockerSandbox(docker, opts);
    try {
      await expect(pool.run(job("garbage", [call("f")]))).rejects.toThrow(/again on retry.*above the \d+-byte limit/);
      await expect(pool.run(job("die", [call("f")]))).rejects.toThrow(
        /runner closed its output.*broken_runner: dying on purpose.*exited with code 3/,
      );
      expect((await pool.run(job("ok", [call("f")]))).tests).toEqual([{ i: 0, st: "value", v: null }]);
    } finally {
      await pool.close();
    }
    expect(await containersOf(opts.labels)).toEqual([]);
  });

  it("replaces a pool container that never says it is ready for the next job, spending no retry", async () => {
    // The runner answers job A, then its cleanup "overruns" (it never says ready): job B must
    // run in a new container, and still have its one retry for faults of its own.
    const opts = options({ isolation: "pool", workers: 1, runnerPath: BROKEN_RUNNER, readySeconds: 1 });
    const lines: string[] = [];
    const pool = await createDockerSandbox(docker, { ...opts, log: (line) => lines.push(line) });
    try {
      expect((await pool.run(job("noready", [call("f")]))).tests).toEqual([{ i: 0, st: "value", v: null }]);
      expect((await pool.run(job("ok", [call("f")]))).tests).toEqual([{ i: 0, st: "value", v: null }]);
      expect(lines.join("\n")).toMatch(/replaced container .*not ready within 1 s of the result of job/);
    } finally {
      await pool.close();
    }
  });

  it("turns the container's memory cap into a memory outcome, and the runner survives", async () => {
    // The job's own limit is above the container's: the cgroup OOM killer has to step in,
    // and it must pick the job (oom_score_adj 1000), never the runner.
    const pool = await createDockerSandbox(docker, options({ memoryMb: 128 }));
    try {
      const r = await pool.run(job(fixture("memory_bomb"), [call("bomb")], { memoryMb: 2048 }));
      expect(r.tests[0]).toMatchObject({ st: "memory", msg: "killed by the out-of-memory killer" });
      expect((await pool.run(job(fixture("arithmetic"), [call("add", 1, 2)]))).tests[0]).toMatchObject({ v: 3 });
    } finally {
      await pool.close();
    }
  });

  it("removes every container when closed with a job in flight; the job fails as a SandboxFault", async () => {
    // Two running, two waiting for a container.
    const opts = options({ workers: 2 });
    const pool = await createDockerSandbox(docker, opts);
    const jobs = Array.from({ length: 4 }, () => pool.run(job(fixture("nap"), [call("nap", 5)])));
    const settled = Promise.allSettled(jobs);
    await new Promise((r) => setTimeout(r, 300));
    await pool.close();
    for (const s of await settled) {
      expect(s.status).toBe("rejected");
      expect((s as PromiseRejectedResult).reason).toBeInstanceOf(SandboxFault);
      expect(String((s as PromiseRejectedResult).reason)).toMatch(/closed/);
    }
    expect(await containersOf(opts.labels)).toEqual([]);
  });

  it("says how to get a missing image", async () => {
    await expect(createDockerSandbox(docker, options({ image: "verdict-python:does-not-exist" }))).rejects.toThrow(SetupError);
  });

  it("refuses a job whose per-test limits do not match its tests, before using a container", async () => {
    const pool: SandboxPool = await createDockerSandbox(docker, options({ isolation: "fresh" }));
    try {
      await expect(pool.run(job("", [call("f")], { testSeconds: [1, 2] }))).rejects.toThrow(RangeError);
    } finally {
      await pool.close();
    }
  });
});
