import { describe, expect, it } from "vitest";
import type { SandboxOptions } from "../../src/core/sandbox.js";
import { containerSpec, GVISOR_PIDS_PER_PROCESS, gvisorJobProcesses } from "../../src/sandbox/container-spec.js";

const opts: SandboxOptions = { image: "img", isolation: "pool", workers: 1, memoryMb: 1280, cpus: 1, pidsLimit: 512, tmpfsMb: 64, hashSeed: 3 };

describe("containerSpec", () => {
  it("under runc: the pids limit caps the job, the engine's default runtime, nothing but the hash seed in the environment", () => {
    const spec = containerSpec(opts, { runId: "r", isolation: "pool" });
    expect(spec.HostConfig?.PidsLimit).toBe(512);
    expect(spec.HostConfig?.Runtime).toBeUndefined();
    expect(spec.Env).toEqual(["PYTHONHASHSEED=3"]);
  });

  it("names the runtime a pool asks for", () => {
    expect(containerSpec({ ...opts, runtime: "runsc" }, { runId: "r", isolation: "pool" }).HostConfig?.Runtime).toBe("runsc");
  });

  it("under gVisor: the job's processes capped inside (pids limit and memory), the container's pids limit covering gVisor's threads", () => {
    const spec = containerSpec(opts, { runId: "r", isolation: "pool", gvisor: true });
    // 1280 MiB at 16 MiB a process is 80 processes, fewer than the pids limit's 511.
    expect(gvisorJobProcesses(opts)).toBe(80);
    expect(spec.Env).toEqual(["PYTHONHASHSEED=3", "VERDICT_JOB_NPROC=80"]);
    expect(spec.HostConfig?.PidsLimit).toBe(80 * GVISOR_PIDS_PER_PROCESS + 128);
    expect(gvisorJobProcesses({ pidsLimit: 64, memoryMb: 4096 })).toBe(63);
    expect(gvisorJobProcesses({ pidsLimit: 1, memoryMb: 8 })).toBe(1);
  });
});
