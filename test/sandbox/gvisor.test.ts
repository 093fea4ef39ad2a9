/**
 * gVisor (Debian's runsc) as a sandbox runtime, on an extra engine of this machine whose default
 * runtime is runsc and which has runc too (the main engine is never reconfigured):
 *
 * - which facilities the runner relies on work under runsc, probed beside runc;
 * - the runtime option, checked against the engine's runtimes; a sandbox the host OOM-kills in
 *   the middle of a job is that job's memory outcome;
 * - the conformance suite, the forgery suite and a representative subset of the hostile suite
 *   (HOSTILE_SUBSET; VERDICT_GVISOR_HOSTILE=all runs every one) under runsc, in pool and fresh
 *   isolation, with the outcomes they must get (where gVisor legitimately differs, the suites
 *   say so and why).
 *
 * docs/gvisor-notes.md has the findings and the fallbacks. Root, runsc and dockerd only
 * (scripts/ensure-docker.sh --with-runsc installs runsc); forks cost ~10x there, so this file
 * takes a few minutes.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { PassThrough, type Duplex } from "node:stream";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import type { Isolation, SandboxOptions } from "../../src/core/sandbox.js";
import { sandboxBackend, type SandboxBackend } from "../../src/sandbox/backends.js";
import { containerSpec } from "../../src/sandbox/container-spec.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { connectEngine, type ConnectedEngine } from "../../src/sandbox/engine-connect.js";
import { parseEngineEntry } from "../../src/sandbox/engine-endpoint.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { copyImage } from "../../src/sandbox/image-transfer.js";
import { conformanceSuite, type ConformanceCase } from "../helpers/conformance-suite.js";
import { extraEnginesUnavailable, startExtraEngines, type ExtraEngines } from "../helpers/extra-engines.js";
import { expectNoForgedPass } from "../helpers/forgery-suite.js";
import { hostileSuite } from "../helpers/hostile-suite.js";
import { testImage } from "../helpers/sandbox-image.js";

const unavailable = extraEnginesUnavailable({ only: ["unix"], runsc: true });
const PROBE = fileURLToPath(new URL("../fixtures/python/gvisor_probe.py", import.meta.url));
const labels = { "verdict.test": `gvisor-${randomBytes(4).toString("hex")}` };

/**
 * The hostile programs run under runsc (the whole suite takes ~4x as long there): one or more of
 * each kind of attack (escapes, leftovers, limits, forged or amplified results, the network)
 * and every program whose outcome gVisor changes.
 */
const HOSTILE_SUBSET = [
  "background_thread.py",
  "budget_spread.py",
  "busy_loop.py",
  "children_spin.py",
  "ctypes_ptrace.py",
  "ctypes_unshare.py",
  "deep_tree.py",
  "docker_socket.py",
  "dup_and_forge.py",
  "fork_bomb.py",
  "inode_flood.py",
  "leave_files.py",
  "memory_children.py",
  "memory_list.py",
  "monkeypatch_codec.py",
  "net_tcp_public.py",
  "read_proc1_environ.py",
  "runner_fds.py",
  "setsid_daemon.py",
  "sleep_in_c.py",
  "snoop_other_jobs.py",
  "steal_previous_values.py",
  "stdout_flood.py",
  "symlink_swap.py",
  "sysv_ipc.py",
  "raw_frame_values.py",
];

let extra: ExtraEngines;
let engine: ConnectedEngine;
let image: { tag: string; id: string };

/** The Docker backend on the runsc engine, made when first used (the engine starts in beforeAll). */
function runscBackend(): SandboxBackend {
  const real = (): SandboxBackend => sandboxBackend("docker", { docker: engine.docker });
  return {
    name: "docker",
    isolated: true,
    isolations: ["pool", "fresh"],
    check: () => real().check(),
    prepareImage: (log) => real().prepareImage(log),
    describe: (i, p) => real().describe(i, p),
    open: (options) => real().open(options),
    pruneOrphans: (l) => real().pruneOrphans(l),
  };
}

const options = (more: Partial<SandboxOptions> = {}): SandboxOptions => ({
  image: image.tag,
  isolation: "pool",
  workers: 1,
  memoryMb: 512,
  cpus: 1,
  pidsLimit: 64,
  tmpfsMb: 32,
  hashSeed: 0,
  labels,
  ...more,
});

describe.skipIf(unavailable !== undefined)("gVisor (runsc) as the runtime", () => {
  beforeAll(async () => {
    image = await testImage();
    extra = await startExtraEngines({ only: ["unix"], defaultRuntime: "runsc" });
    engine = await connectEngine(parseEngineEntry(extra.entry("unix"), "runsc engine"));
    await copyImage({ docker: connectDocker(), label: "main engine" }, { docker: engine.docker, label: "runsc engine" }, image.tag);
  });

  afterAll(async () => {
    await extra?.stop();
  });

  it("registers runsc as the engine's default runtime, beside runc", () => {
    expect(engine.info.runtimes).toEqual(expect.arrayContaining(["runc", "runsc"]));
    expect(engine.info.defaultRuntime).toBe("runsc");
  });

  it("gives the runner what it relies on under runc, and under runsc all but pidfd_open, select, cgroup counters and IPC listings", async () => {
    // The probe runs in the runner's place, with no gVisor settings: room for gVisor's own threads.
    const runc = await probe(engine.docker, options({ pidsLimit: 2048 }), "runc");
    const runsc = await probe(engine.docker, options({ pidsLimit: 2048 }), "runsc");
    const common = {
      kill_all_from_pid1: true,
      job_signals_runner: "EPERM",
      job_reads_runner_mem: "EACCES",
      // Docker's seccomp profile forbids it; runsc applies the profile with --oci-seccomp.
      job_unshare_user: "EPERM",
      memfd_sendfile: "ok",
      oom_score_adj: "ok",
      proc_stat_cpu: true,
      rlimit_as: true,
      rlimit_nproc: true,
      tmpfs_size_cap: "ENOSPC",
    };
    expect(runc).toEqual({
      ...common,
      pidfd_open: "ok",
      select: "ok",
      cgroup_cpu_counter: true,
      oom_events: true,
      job_reads_runner_environ: "EACCES",
      sysvipc_listed: true,
      mqueue_dir: true,
    });
    expect(runsc).toEqual({
      ...common,
      pidfd_open: "ENOSYS",
      select: "EPERM",
      cgroup_cpu_counter: false,
      oom_events: false,
      job_reads_runner_environ: "ok",
      sysvipc_listed: false,
      mqueue_dir: false,
    });
  });

  it("runs jobs under runsc by default, and under runc when a pool names it; an unknown runtime is a SetupError", async () => {
    const job = {
      id: "gvisor-1",
      program: "import os, resource\ndef nproc():\n    return resource.getrlimit(resource.RLIMIT_NPROC)[0]\n",
      setup: "",
      tests: [{ kind: "call" as const, fn: "nproc", args: [] }],
      limits: { testSeconds: 5, loadSeconds: 5, memoryMb: 256, outputBytes: 65536, valueBytes: 65536 },
      continueAfterCrash: false,
    };
    const nproc = async (runtime?: string): Promise<unknown> => {
      const pool = await createDockerSandbox(engine.docker, options(runtime === undefined ? {} : { runtime }));
      try {
        const r = await pool.run(job);
        expect(r.load).toEqual({ st: "ok" });
        expect(r.tests[0]).toMatchObject({ i: 0, st: "value" });
        return r.tests[0]!.v;
      } finally {
        await pool.close();
      }
    };
    // Under gVisor the job's processes are capped inside (512 MiB at 16 MiB each); under runc by
    // the container's pids limit alone.
    expect(await nproc()).toBe(32);
    expect(await nproc("runc")).not.toBe(32);
    await expect(createDockerSandbox(engine.docker, options({ runtime: "no-such-runtime" }))).rejects.toThrow(SetupError);
    await expect(createDockerSandbox(engine.docker, options({ runtime: "no-such-runtime" }))).rejects.toThrow(/not registered.*it has: .*runsc/);
  });

  it("reports a job whose processes pass the container's memory as memory, though the host's OOM killer took the sandbox", async () => {
    // Four children of 100 MB each, each under its own address-space limit, in a 256 MiB container.
    const program = [
      "import os, time",
      "def hog():",
      "    for _ in range(4):",
      "        if os.fork() == 0:",
      "            b = bytearray(100 << 20)",
      "            time.sleep(30)",
      "    time.sleep(30)",
    ].join("\n");
    const pool = await createDockerSandbox(engine.docker, options({ memoryMb: 256 }));
    try {
      const r = await pool.run({
        id: "gvisor-oom",
        program,
        setup: "",
        tests: [{ kind: "call", fn: "hog", args: [] }, { kind: "call", fn: "hog", args: [] }],
        limits: { testSeconds: 20, loadSeconds: 5, memoryMb: 200, outputBytes: 65536, valueBytes: 65536 },
        continueAfterCrash: false,
      });
      expect(r.load).toMatchObject({ st: "memory", msg: expect.stringContaining("out-of-memory killer") });
      expect(r.tests).toEqual([{ i: 0, st: "skipped" }, { i: 1, st: "skipped" }]);
      // The pool carries on in a new container.
      const next = await pool.run({ id: "gvisor-after-oom", program: "def one():\n    return 1\n", setup: "", tests: [{ kind: "call", fn: "one", args: [] }], limits: { testSeconds: 5, loadSeconds: 5, memoryMb: 200, outputBytes: 65536, valueBytes: 65536 }, continueAfterCrash: false });
      expect(next.tests).toMatchObject([{ i: 0, st: "value", v: 1 }]);
    } finally {
      await pool.close();
    }
  });

  describe.each<Isolation>(["pool", "fresh"])("suites under runsc (%s)", (isolation) => {
    const backend = runscBackend();
    const conformance: ConformanceCase = {
      name: `docker ${isolation} (runsc)`,
      backend,
      isolation,
      gvisor: true,
      async make(more = { ...labels, "verdict.suite": `conformance-${isolation}` }) {
        // One worker: "the next job in the same sandbox" is then the same container in pool mode.
        return backend.open(options({ isolation, tmpfsMb: 64, labels: more }));
      },
    };
    describe("sandbox conformance", () => conformanceSuite(conformance));

    // VERDICT_GVISOR_HOSTILE=all runs all of them (about 4 minutes for both modes).
    const all = process.env.VERDICT_GVISOR_HOSTILE === "all";
    describe(`hostile programs (${all ? "all" : "a representative subset"})`, () =>
      hostileSuite({ isolation, backend: runscBackend, gvisor: true, ...(all ? {} : { only: HOSTILE_SUBSET }) }));

    describe("programs that try to fake a pass", () => {
      let saved: string | undefined;
      beforeAll(() => {
        // runEval reaches the engine DOCKER_HOST names; its default runtime is runsc.
        saved = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = `unix://${extra.engines.unix!.socket}`;
      });
      afterAll(() => {
        if (saved === undefined) delete process.env.DOCKER_HOST;
        else process.env.DOCKER_HOST = saved;
      });
      it("get a non-pass verdict, and the clean job after each one passes", () => expectNoForgedPass(isolation), 600_000);
    });
  });
});

if (unavailable !== undefined) it.skip(`gVisor (runsc) as the runtime: not run here: ${unavailable}`, () => {});

/** Runs the probe as PID 1 in a sandbox container under `runtime`; its JSON report. */
async function probe(docker: Docker, opts: SandboxOptions, runtime: string): Promise<Record<string, unknown>> {
  const spec = containerSpec({ ...opts, runtime }, { runId: labels["verdict.test"], isolation: "pool", runnerPath: PROBE });
  const container = await docker.createContainer(spec);
  try {
    const socket = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(socket, out, err);
    const chunks: Buffer[] = [];
    const errs: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    err.on("data", (c: Buffer) => errs.push(c));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    socket.destroy();
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (StatusCode !== 0 || text === "") throw new Error(`probe under ${runtime} exited ${StatusCode}: ${Buffer.concat(errs).toString("utf8")}`);
    return JSON.parse(text) as Record<string, unknown>;
  } finally {
    await container.remove({ force: true });
  }
}
