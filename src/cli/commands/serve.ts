import type { Command } from "commander";
import { startVllm, type VllmOptions, type VllmServer } from "../../models/vllm-server.js";
import { numberFlag } from "./generate.js";

/** Flags of `verdict serve vllm`. */
export interface ServeVllmFlags {
  model: string;
  port: number;
  host: string;
  python: string;
  startTimeout: number;
}

/** What the serve loop needs from its surroundings (the process, in production). */
export interface ServeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Resolves when the user asks to stop (Ctrl-C, SIGTERM). */
  stopRequested: Promise<string>;
}

/**
 * Starts vLLM, prints its base URL, and keeps it up until a stop is requested or it dies.
 * Resolves with the exit code verdict should end with. Throws SetupError when vLLM is missing
 * or fails to start (startVllm says why and how to install it).
 */
export async function runServeVllm(flags: ServeVllmFlags, extraArgs: string[], io: ServeIo, start: (o: VllmOptions) => Promise<VllmServer> = startVllm): Promise<number> {
  io.stderr(`starting vLLM for ${flags.model} (loading can take minutes)\n`);
  const server = await start({
    model: flags.model,
    port: flags.port,
    host: flags.host,
    python: flags.python,
    extraArgs,
    startTimeoutMs: flags.startTimeout * 1000,
  });
  io.stdout(`${server.baseUrl}\n`);
  io.stderr(
    `vLLM serves ${flags.model} at ${server.baseUrl} (pid ${server.pid}); point a config's base_url at it, model: ${JSON.stringify(flags.model)}. Ctrl-C stops it.\n`,
  );
  // vLLM can die on its own (out of GPU memory, a crashed worker): notice, rather than serve nothing.
  let timer: NodeJS.Timeout | undefined;
  const died = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      try {
        process.kill(server.pid, 0);
      } catch {
        resolve("died");
      }
    }, 2_000);
  });
  const why = await Promise.race([io.stopRequested, died]);
  clearInterval(timer);
  if (why === "died") {
    io.stderr("vLLM exited on its own; its output above says why\n");
    await server.stop();
    return 1;
  }
  io.stderr(`stopping vLLM (${why})\n`);
  await server.stop();
  io.stderr("vLLM stopped\n");
  return 0;
}

/** `verdict serve vllm`: run a local vLLM OpenAI-compatible server for `verdict run`. */
export function registerServeCommand(program: Command): void {
  const serve = program.command("serve").description("start a local model server that speaks the OpenAI API");
  serve
    .command("vllm")
    .description("start vLLM's OpenAI-compatible server, wait until it answers, print its base URL; Ctrl-C stops it. Arguments after -- go to vLLM")
    .requiredOption("--model <path|name>", "a Hugging Face model id or a local checkpoint directory")
    .option("--port <n>", "port (0: any free one)", numberFlag("--port", { integer: true, min: 0 }), 8000)
    .option("--host <addr>", "interface to bind", "127.0.0.1")
    .option("--python <path>", "the Python interpreter that has vLLM installed", "python3")
    .option("--start-timeout <seconds>", "how long loading may take", numberFlag("--start-timeout", { positive: true }), 1200)
    .argument("[vllm-args...]", "extra vLLM arguments, after --, e.g. -- --dtype bfloat16 --max-model-len 4096")
    .action(async (extra: string[], flags: ServeVllmFlags) => {
      const stopRequested = new Promise<string>((resolve) => {
        process.once("SIGINT", () => resolve("SIGINT"));
        process.once("SIGTERM", () => resolve("SIGTERM"));
      });
      const code = await runServeVllm(flags, extra, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        stopRequested,
      });
      process.exitCode = code;
    });
}
