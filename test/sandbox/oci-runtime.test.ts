import { describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { isGvisor, resolveRuntime } from "../../src/sandbox/oci-runtime.js";

describe("isGvisor", () => {
  it("is true for a runtime whose program is runsc, whatever its name", () => {
    expect(isGvisor("runsc", "/usr/bin/runsc")).toBe(true);
    expect(isGvisor("gvisor", "/usr/local/bin/runsc")).toBe(true);
    expect(isGvisor("runsc", undefined)).toBe(true);
    expect(isGvisor("runc", "runc")).toBe(false);
    expect(isGvisor("io.containerd.runc.v2", undefined)).toBe(false);
  });
});

describe("resolveRuntime (on the main engine)", () => {
  it("is the engine's default runtime when none is asked for, and runc by name", async () => {
    const docker = connectDocker();
    const info = (await docker.info()) as { DefaultRuntime: string };
    expect(await resolveRuntime(docker)).toEqual({ name: info.DefaultRuntime, gvisor: false });
    expect(await resolveRuntime(docker, "runc")).toEqual({ name: "runc", gvisor: false });
  });

  it("refuses a runtime the engine has not registered, naming those it has", async () => {
    const attempt = resolveRuntime(connectDocker(), "no-such-runtime");
    await expect(attempt).rejects.toThrow(SetupError);
    await expect(attempt).rejects.toThrow(/no-such-runtime is not registered .* \(it has: .*runc/);
  });
});
