import { describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { assertEngine, connectDocker, DEFAULT_DOCKER_SOCKET, engineAddress } from "../../src/sandbox/engine.js";

describe("connectDocker", () => {
  it("reaches the engine on this machine", async () => {
    const docker = connectDocker();
    await expect(assertEngine(docker)).resolves.toBeUndefined();
    const version = await docker.version();
    expect(version.ApiVersion).toMatch(/^1\.\d+$/);
  });

  it("takes unix, tcp and ssh addresses", () => {
    expect(engineAddress(connectDocker("unix:///run/other.sock"))).toBe("/run/other.sock");
    expect(engineAddress(connectDocker("/run/other.sock"))).toBe("/run/other.sock");
    expect(engineAddress(connectDocker("tcp://10.0.0.7:2375"))).toBe("http://10.0.0.7:2375");
    expect(engineAddress(connectDocker("tcp://10.0.0.7:2376"))).toBe("https://10.0.0.7:2376");
    expect(engineAddress(connectDocker("ssh://ci@build-host"))).toBe("ssh://build-host");
  });

  it("names the default socket when DOCKER_HOST is unset", () => {
    const saved = process.env.DOCKER_HOST;
    delete process.env.DOCKER_HOST;
    try {
      expect(engineAddress(connectDocker())).toBe(DEFAULT_DOCKER_SOCKET);
    } finally {
      if (saved !== undefined) process.env.DOCKER_HOST = saved;
    }
  });
});

describe("assertEngine", () => {
  it("throws SetupError with the fix when no engine answers on a socket", async () => {
    const attempt = assertEngine(connectDocker("unix:///nonexistent/docker.sock"));
    await expect(attempt).rejects.toBeInstanceOf(SetupError);
    await expect(attempt).rejects.toThrow(
      "no Docker engine answers at /nonexistent/docker.sock; run scripts/ensure-docker.sh as root, or start dockerd",
    );
  });

  it("gives up after its timeout when an address swallows the connection", async () => {
    // 192.0.2.0/24 is reserved for documentation: nothing there ever answers.
    const started = Date.now();
    await expect(assertEngine(connectDocker("tcp://192.0.2.1:2375"), 300)).rejects.toThrow(
      "no Docker engine answers at http://192.0.2.1:2375;",
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
