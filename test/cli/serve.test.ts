import { execFile, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { runServeVllm, type ServeVllmFlags } from "../../src/cli/commands/serve.js";
import { startVllm, type VllmOptions, type VllmServer } from "../../src/models/vllm-server.js";

const repo = join(import.meta.dirname, "..", "..");
const flags: ServeVllmFlags = { model: "Qwen/Qwen2.5-1.5B", port: 8123, host: "127.0.0.1", python: "/nonexistent/python3", startTimeout: 60 };

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
}

describe("verdict serve vllm", () => {
  it("fails with a SetupError that says vLLM is missing and how to install it", async () => {
    const { io } = collector();
    // An empty PATH: no `vllm` executable can be found, whatever this machine has.
    const start = (o: VllmOptions) => startVllm({ ...o, env: { PATH: "" } });
    const run = runServeVllm(flags, [], { ...io, stopRequested: new Promise(() => {}) }, start);
    await expect(run).rejects.toThrow(SetupError);
    await expect(run).rejects.toThrow(/vLLM is not installed.*pip install vllm/s);
  });

  it("prints the base URL on stdout, passes the extra arguments, and stops the server when asked", async () => {
    const { out, err, io } = collector();
    let stopped = 0;
    let asked: VllmOptions | undefined;
    // A real process stands in for vLLM, so the liveness check has a pid to watch.
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    const start = async (o: VllmOptions): Promise<VllmServer> => {
      asked = o;
      return { baseUrl: `http://${o.host}:${o.port}/v1`, command: ["vllm"], pid: child.pid ?? 0, stop: async () => void (stopped++, child.kill()) };
    };
    let requestStop: (why: string) => void = () => {};
    const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
    const running = runServeVllm(flags, ["--dtype", "bfloat16"], { ...io, stopRequested }, start);
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toEqual(["http://127.0.0.1:8123/v1\n"]);
    expect(asked).toMatchObject({ model: "Qwen/Qwen2.5-1.5B", port: 8123, extraArgs: ["--dtype", "bfloat16"], python: "/nonexistent/python3", startTimeoutMs: 60_000 });
    requestStop("SIGINT");
    expect(await running).toBe(0);
    expect(stopped).toBe(1);
    expect(err.join("")).toContain("vLLM stopped");
  });

  it("notices a server that dies on its own and exits non-zero", async () => {
    const { err, io } = collector();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 300)"], { stdio: "ignore" });
    const start = async (o: VllmOptions): Promise<VllmServer> => ({ baseUrl: `http://${o.host}:${o.port}/v1`, command: [], pid: child.pid ?? 0, stop: async () => {} });
    expect(await runServeVllm(flags, [], { ...io, stopRequested: new Promise(() => {}) }, start)).toBe(1);
    expect(err.join("")).toContain("vLLM exited on its own");
  }, 20_000);
});

describe("verdict serve vllm (built CLI)", () => {
  beforeAll(async () => {
    // The CLI runs from dist/: compile when the sources are newer than the build.
    const built = join(repo, "dist", "cli", "commands", "serve.js");
    const stale = !existsSync(built) || statSync(built).mtimeMs < statSync(join(repo, "src", "cli", "commands", "serve.ts")).mtimeMs;
    if (stale) {
      await new Promise<void>((resolve) => {
        execFile(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: repo }, () => resolve());
      });
    }
  }, 120_000);

  it("exits 2 with the install hint when vLLM is not installed", async () => {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(repo, "bin", "verdict.js"), "serve", "vllm", "--model", "Qwen/Qwen2.5-1.5B", "--python", "/nonexistent/python3", "--", "--dtype", "bfloat16"],
        { cwd: repo, env: { ...process.env, PATH: dirname(process.execPath) } },
        (e, stdout, stderr) => resolve({ code: e && typeof e.code === "number" ? e.code : e ? -1 : 0, stdout, stderr }),
      );
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^starting vLLM for Qwen\/Qwen2\.5-1\.5B/);
    expect(result.stderr).toContain("verdict: vLLM is not installed");
    expect(result.stderr).toContain("pip install vllm");
  });
});
