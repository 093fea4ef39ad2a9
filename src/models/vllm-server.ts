import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { execa } from "execa";
import { SetupError } from "../core/errors.js";

/** How to launch a local vLLM OpenAI-compatible server. */
export interface VllmOptions {
  /** A Hugging Face model id or a local checkpoint directory. */
  model: string;
  /** Port to listen on (default 8000, vLLM's own; 0 picks a free one). A fixed port keeps response-cache keys stable across runs. */
  port?: number;
  /** Interface to bind (default 127.0.0.1: the server is for this machine only). */
  host?: string;
  /** Passed to vLLM as they are, e.g. ["--dtype", "bfloat16", "--max-model-len", "4096"]. */
  extraArgs?: string[];
  /** The Python interpreter that has vLLM (default python3). */
  python?: string;
  /** How long loading may take before giving up (default 20 min: large checkpoints, CUDA graph capture). */
  startTimeoutMs?: number;
  /** Interval between readiness probes of GET /v1/models (default 1000). */
  pollIntervalMs?: number;
  /** Time between SIGINT and SIGKILL on stop (default 30 s: vLLM frees GPU memory on SIGINT). */
  stopGraceMs?: number;
  /** Environment for the server and for finding `vllm` on PATH (merged over process.env). */
  env?: Record<string, string | undefined>;
}

/** A running vLLM server. */
export interface VllmServer {
  /** The API root to give createOpenAICompatibleProvider, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  /** The command line that started it. */
  command: string[];
  pid: number;
  /** Stops the server: SIGINT, then SIGKILL after the grace period. Safe to call twice. */
  stop(): Promise<void>;
}

/** How vLLM can be launched on this machine. */
export type VllmLauncher = { kind: "python"; command: string[] } | { kind: "cli"; command: string[] };

const OUTPUT_TAIL_BYTES = 8_192;

/** Finds a way to run vLLM: the interpreter's `vllm` module first, else a `vllm` executable on PATH. */
export async function detectVllm(python = "python3", env: Record<string, string | undefined> = {}): Promise<VllmLauncher | null> {
  // Importing vllm pulls in torch and can take tens of seconds on a cold disk.
  const probe = await execa(python, ["-c", "import vllm"], { reject: false, env, timeout: 300_000, stdin: "ignore" });
  if (probe.exitCode === 0) return { kind: "python", command: [python, "-m", "vllm.entrypoints.openai.api_server"] };
  const cli = await findOnPath("vllm", env.PATH ?? process.env.PATH ?? "");
  if (cli) return { kind: "cli", command: [cli, "serve"] };
  return null;
}

/**
 * Starts vLLM's OpenAI-compatible server and waits until GET /v1/models answers.
 * Throws SetupError when vLLM is not installed, when the server exits while loading
 * (with the tail of its output), or when it does not answer in time (after stopping it).
 * Kept whole: one start-up sequence (spawn, wait for the port, report the failure with the log tail).
 */
export async function startVllm(options: VllmOptions): Promise<VllmServer> {
  const env = options.env ?? {};
  const python = options.python ?? "python3";
  const launcher = await detectVllm(python, env);
  if (!launcher) {
    throw new SetupError(
      `vLLM is not installed: \`${python} -c "import vllm"\` failed and no \`vllm\` executable is on PATH. ` +
        "Install it on a GPU host with `pip install vllm` (in the interpreter given as python), " +
        "or start any OpenAI-compatible server yourself and pass its base URL.",
    );
  }
  const host = options.host ?? "127.0.0.1";
  const port = options.port === 0 ? await freePort(host) : (options.port ?? 8000);
  const modelArgs = launcher.kind === "cli" ? [options.model] : ["--model", options.model];
  const command = [...launcher.command, ...modelArgs, "--host", host, "--port", String(port), ...(options.extraArgs ?? [])];
  const baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}/v1`;
  // An old server still on the port would answer the readiness probe in place of the new one.
  if (await answers(`${baseUrl}/models`, 2_000)) {
    throw new SetupError(`a server already answers on ${baseUrl}; stop it, use it as it is, or pick another port`);
  }
  const [file, ...args] = command;
  if (file === undefined) throw new SetupError("empty vLLM command");

  // Not detached: a Ctrl-C in the terminal reaches vLLM too, and execa's cleanup kills it if verdict
  // exits first. vLLM stops its own engine and worker processes when it gets SIGINT.
  const child = execa(file, args, { reject: false, buffer: false, stdin: "ignore", env, cleanup: true });
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    throw new SetupError(`could not start ${file}: ${result.message}`);
  }

  let tail = "";
  const keep = (chunk: Buffer | string): void => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  // The leader's exit, not the end of its output: workers in the group may hold the pipes open longer.
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  // The process ended and its output was read to the end.
  const drained = child.then(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exit) {
        child.kill("SIGINT");
        const graceful = await Promise.race([exited.then(() => true), sleep(options.stopGraceMs ?? 30_000).then(() => false)]);
        if (!graceful) child.kill("SIGKILL");
      }
      await exited;
      // A worker that outlived the server may hold its output pipes open: do not wait on it for long.
      await Promise.race([drained, sleep(2_000)]);
    })();
    return stopping;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20 * 60_000);
  const poll = options.pollIntervalMs ?? 1_000;
  while (true) {
    if (exit) {
      await stop();
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      throw new SetupError(`vLLM exited with ${how} before it answered on ${baseUrl}. Command: ${command.join(" ")}\nLast output:\n${tail}`);
    }
    if (await answers(`${baseUrl}/models`, Math.max(poll, 2_000))) break;
    if (Date.now() >= deadline) {
      await stop();
      throw new SetupError(
        `vLLM did not answer on ${baseUrl} within ${options.startTimeoutMs ?? 20 * 60_000} ms and was stopped. Command: ${command.join(" ")}\nLast output:\n${tail}`,
      );
    }
    await Promise.race([sleep(poll), exited]);
  }
  return { baseUrl, command, pid, stop };
}

/** Whether GET `url` answers 2xx within `timeoutMs` (a readiness probe). */
export async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, path: string): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A timer that does not keep Node alive by itself: the server process already does while it runs. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
