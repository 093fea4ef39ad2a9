import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { detectVllm, startVllm } from "../../src/models/vllm-server.js";

/**
 * A stand-in for vLLM used only here: a node script that answers `-c "import vllm"` and, run as
 * `-m vllm.entrypoints.openai.api_server` (or as `vllm serve`), serves GET /v1/models.
 * The model name picks its behaviour.
 */
const FAKE_VLLM = `#!${process.execPath}
const http = require("node:http");
const fs = require("node:fs");
const args = process.argv.slice(2);
if (args[0] === "-c") process.exit(0);
let model = args[0] === "serve" ? args[1] : undefined;
let port = 0;
let host = "127.0.0.1";
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--model") model = args[i + 1];
  if (args[i] === "--port") port = Number(args[i + 1]);
  if (args[i] === "--host") host = args[i + 1];
}
if (process.env.FAKE_VLLM_LOG) fs.appendFileSync(process.env.FAKE_VLLM_LOG, JSON.stringify({ pid: process.pid, argv: args }) + "\\n");
console.error("INFO loading " + model);
if (model === "fake/crash") {
  console.error("RuntimeError: CUDA error: no kernel image is available for execution on the device");
  process.exit(1);
}
if (model === "fake/hang") {
  setInterval(() => console.error("INFO still loading weights"), 50);
  return;
}
const server = http.createServer((req, res) => {
  if (req.url === "/v1/models") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ object: "list", data: [{ id: model, object: "model" }] }));
  } else {
    res.writeHead(404);
    res.end();
  }
});
process.on("SIGINT", () => {
  if (model === "fake/stubborn") return console.error("ignoring SIGINT");
  console.error("INFO shutting down");
  server.close();
  process.exit(0);
});
setTimeout(() => server.listen(port, host, () => console.error("INFO Uvicorn running on " + host + ":" + port)), model === "fake/slow" ? 300 : 0);
`;

let dir: string;
let fakePython: string;
let cliDir: string;
let emptyDir: string;
let realPython: string;
let log: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "verdict-vllm-"));
  fakePython = join(dir, "python3");
  await writeFile(fakePython, FAKE_VLLM);
  await chmod(fakePython, 0o755);
  cliDir = join(dir, "bin");
  emptyDir = join(dir, "empty");
  execFileSync("mkdir", ["-p", cliDir, emptyDir]);
  await writeFile(join(cliDir, "vllm"), FAKE_VLLM);
  await chmod(join(cliDir, "vllm"), 0o755);
  // The interpreter itself, not a version manager's shim that needs PATH to work.
  realPython = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
  log = join(dir, "launches.jsonl");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function launches(): Promise<{ pid: number; argv: string[] }[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text.trim() === "" ? [] : text.trim().split("\n").map((l) => JSON.parse(l) as { pid: number; argv: string[] });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("vLLM missing", () => {
  it("throws SetupError saying how to install it when python lacks vllm and no vllm is on PATH", async () => {
    expect(await detectVllm(realPython, { PATH: emptyDir })).toBeNull();
    const start = startVllm({ model: "Qwen/Qwen2.5-1.5B", python: realPython, env: { PATH: emptyDir } });
    await expect(start).rejects.toThrow(SetupError);
    await expect(start).rejects.toThrow(/vLLM is not installed: `.*python3?[\d.]* -c "import vllm"` failed and no `vllm` executable is on PATH\. Install it on a GPU host with `pip install vllm`/);
  });

  it("treats a python that does not exist like one without vllm", async () => {
    expect(await detectVllm(join(emptyDir, "python3"), { PATH: emptyDir })).toBeNull();
  });
});

describe("startVllm with a stand-in server", () => {
  const env = () => ({ FAKE_VLLM_LOG: log });

  it("starts the module server, waits until /v1/models answers, and stops it", async () => {
    const server = await startVllm({ model: "fake/ok", python: fakePython, port: 0, extraArgs: ["--dtype", "half"], pollIntervalMs: 50, env: env() });
    try {
      expect(server.command.slice(1, 5)).toEqual(["-m", "vllm.entrypoints.openai.api_server", "--model", "fake/ok"]);
      expect(server.command.slice(5)).toEqual(["--host", "127.0.0.1", "--port", expect.stringMatching(/^\d+$/), "--dtype", "half"]);
      expect(server.baseUrl).toBe(`http://127.0.0.1:${server.command[8]}/v1`);
      const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as { data: { id: string }[] };
      expect(models.data[0]?.id).toBe("fake/ok");
      expect(alive(server.pid)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(alive(server.pid)).toBe(false);
    await server.stop();
  });

  it("polls until a slow server comes up", async () => {
    const started = Date.now();
    const server = await startVllm({ model: "fake/slow", python: fakePython, port: 0, pollIntervalMs: 50, env: env() });
    await server.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("uses `vllm serve` when the interpreter lacks vllm but the CLI is on PATH", async () => {
    const server = await startVllm({ model: "fake/ok", python: realPython, port: 0, pollIntervalMs: 50, env: { ...env(), PATH: `${cliDir}` } });
    await server.stop();
    expect(server.command.slice(0, 3)).toEqual([join(cliDir, "vllm"), "serve", "fake/ok"]);
  });

  it("reports a server that dies while loading, with the tail of its output", async () => {
    const start = startVllm({ model: "fake/crash", python: fakePython, port: 0, pollIntervalMs: 50, env: env() });
    await expect(start).rejects.toThrow(SetupError);
    await expect(start).rejects.toThrow(/vLLM exited with code 1 before it answered[\s\S]*CUDA error: no kernel image/);
  });

  it("stops a server that never answers and reports the timeout with its output", async () => {
    const before = (await launches()).length;
    const start = startVllm({ model: "fake/hang", python: fakePython, port: 0, pollIntervalMs: 50, startTimeoutMs: 1_500, stopGraceMs: 1_000, env: env() });
    await expect(start).rejects.toThrow(/did not answer on http:\/\/127\.0\.0\.1:\d+\/v1 within 1500 ms and was stopped[\s\S]*still loading weights/);
    const launch = (await launches())[before];
    expect(launch?.argv).toContain("fake/hang");
    expect(alive(launch?.pid ?? 0)).toBe(false);
  });

  it("listens on vLLM's default port 8000 unless told otherwise", async (ctx) => {
    if (!(await portFree(8000))) ctx.skip();
    const server = await startVllm({ model: "fake/ok", python: fakePython, pollIntervalMs: 50, env: env() });
    await server.stop();
    expect(server.baseUrl).toBe("http://127.0.0.1:8000/v1");
  });

  it("refuses a port where a server already answers, before starting anything", async () => {
    const first = await startVllm({ model: "fake/ok", python: fakePython, port: 0, pollIntervalMs: 50, env: env() });
    try {
      const port = Number(first.command[first.command.indexOf("--port") + 1]);
      const before = (await launches()).length;
      await expect(startVllm({ model: "fake/ok", python: fakePython, port, env: env() })).rejects.toThrow(`a server already answers on ${first.baseUrl}`);
      expect(await launches()).toHaveLength(before);
    } finally {
      await first.stop();
    }
  });

  it("kills a server that ignores SIGINT once the grace period is over", async () => {
    const server = await startVllm({ model: "fake/stubborn", python: fakePython, port: 0, pollIntervalMs: 50, stopGraceMs: 200, env: env() });
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(alive(server.pid)).toBe(false);
  });
});
