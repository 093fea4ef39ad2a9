import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { InputError } from "../../core/errors.js";
import type { Isolation } from "../../core/sandbox.js";
import { loadBenchmark } from "../../benchmarks/registry.js";
import { startVllm, type VllmOptions, type VllmServer } from "../../models/vllm-server.js";
import { RUN_LABEL } from "../../sandbox/container-spec.js";
import { DEFAULT_LIMITS, defaultWorkers } from "../../sandbox/limits.js";
import { loadToken } from "../../service/auth.js";
import { assertSafeBinding, createJudgeServer } from "../../service/judge-server.js";
import { DEFAULT_SERVICE_OPTIONS } from "../../service/service-options.js";
import { openJudgingSession } from "../../session/judging-session.js";
import { addPlacementFlags, placementOf } from "../flags.js";
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

/** Flags of `verdict serve judge`. */
export interface ServeJudgeFlags {
  benchmark: string;
  split?: string;
  data?: string;
  workers?: number;
  isolation: Isolation;
  host: string;
  port: number;
  tokenFile?: string;
  timeout: number;
  memory: number;
  hashSeed: number;
  maxBody: number;
  maxProgram: number;
  maxItems: number;
  maxQueued: number;
  requestTimeout: number;
  maxRunSeconds: number;
  grace: number;
  reward: "binary" | "fraction";
  alpha: number;
  tcgRuns?: string;
  logPrograms: boolean;
  engines?: string;
  runtime?: string;
}

/** The environment variable the service token is read from when no --token-file is given. */
export const TOKEN_ENV = "VERDICT_SERVICE_TOKEN";

/**
 * Opens a judging session, serves it over HTTP until a stop is requested, then finishes the
 * requests in flight (up to --grace), closes the session (every container removed) and resolves
 * with the exit code. A stop while the session is still opening closes what it opened.
 */
export async function runServeJudge(flags: ServeJudgeFlags, io: ServeIo): Promise<number> {
  const token = loadToken({ env: TOKEN_ENV, ...(flags.tokenFile !== undefined ? { file: flags.tokenFile } : {}) });
  assertSafeBinding(flags.host, token);
  if (flags.reward === "fraction" && !(flags.alpha >= 0 && flags.alpha <= 1)) throw new InputError(`--alpha must be in [0, 1], got ${flags.alpha}`);
  const spec = await loadBenchmark(flags.benchmark, { ...(flags.split !== undefined ? { split: flags.split } : {}), ...(flags.data !== undefined ? { dataDir: flags.data } : {}), challenge: false });
  const label = `serve-${process.pid}-${randomBytes(3).toString("hex")}`;
  const opening = new AbortController();
  let stopped: string | undefined;
  let open = false;
  void io.stopRequested.then((why) => {
    stopped = why;
    // Only while opening: the session's signal closes its pools at once, which an open
    // session's graceful stop must not do.
    if (!open) opening.abort(new InputError(`stopped by ${why} while the session was opening`));
  });
  io.stderr(`opening a judging session on ${spec.name} ${spec.split} (containers labelled ${RUN_LABEL}=${label})\n`);
  const opened = openJudgingSession({
    benchmark: spec,
    workers: flags.workers ?? defaultWorkers(),
    isolation: flags.isolation,
    limits: { ...DEFAULT_LIMITS, testSeconds: flags.timeout, memoryMb: flags.memory },
    hashSeed: flags.hashSeed,
    labels: { [RUN_LABEL]: label },
    ...placementOf(flags, { workers: flags.workers }),
    log: (line) => io.stderr(`${line}\n`),
    signal: opening.signal,
  });
  const session = await opened.then(
    (s) => {
      open = true;
      return s;
    },
    (e: unknown) => {
      // A stop while opening closed what was opened: a clean stop, not a failure.
      if (stopped === undefined) throw e;
      return undefined;
    },
  );
  if (session === undefined || stopped !== undefined) {
    await session?.close();
    io.stderr(`stopped (${stopped ?? "?"}) while the session was opening; no container left\n`);
    return 0;
  }
  try {
    const server = createJudgeServer(session, {
      host: flags.host,
      port: flags.port,
      ...(token !== undefined ? { token } : {}),
      maxBodyBytes: flags.maxBody,
      maxProgramBytes: flags.maxProgram,
      maxItems: flags.maxItems,
      maxQueued: flags.maxQueued,
      requestTimeoutMs: flags.requestTimeout * 1000,
      maxRunSeconds: flags.maxRunSeconds,
      shutdownGraceMs: flags.grace * 1000,
      reward: { mode: flags.reward, alpha: flags.alpha },
      logPrograms: flags.logPrograms,
      ...(flags.tcgRuns !== undefined ? { tcgRunsDir: flags.tcgRuns } : {}),
      log: (line) => io.stderr(`${line}\n`),
    });
    const url = await server.listen();
    io.stdout(`${url}\n`);
    io.stderr(`judging ${spec.name} ${spec.split} at ${url} (${session.sandbox.workers} workers${token ? ", bearer token required" : ""}): POST /v1/judge, /get_reward, /run_code; GET /healthz, /metrics. Ctrl-C stops it.\n`);
    const why = await io.stopRequested;
    io.stderr(`stopping (${why}): finishing requests in flight, up to ${flags.grace} s\n`);
    await server.close();
    return 0;
  } finally {
    await session.close();
    io.stderr("judging session closed, containers removed\n");
  }
}

/** Resolves with the name of the first SIGINT or SIGTERM the process gets. */
function stopSignal(): Promise<string> {
  return new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

/** `verdict serve vllm` and `verdict serve judge`: local servers for a model and for judging. */
export function registerServeCommand(program: Command): void {
  const serve = program.command("serve").description("start a local server: a model (vllm) or the judging service (judge)");
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
      const stopRequested = stopSignal();
      const code = await runServeVllm(flags, extra, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        stopRequested,
      });
      process.exitCode = code;
    });
  registerServeJudge(serve);
}

/** `verdict serve judge`: the judging service (README, "Judging as a service"). */
function registerServeJudge(serve: Command): void {
  const d = DEFAULT_SERVICE_OPTIONS;
  const int = (name: string, min = 1) => numberFlag(name, { integer: true, min });
  const judge = serve
    .command("judge")
    .description("serve a judging session over HTTP: POST /v1/judge (verdicts), /get_reward (OpenRLHF), /run_code (SandboxFusion, runs without judging); GET /healthz, /metrics")
    .option("--benchmark <name|path>", "mbpp, mbpp-sanitized, mbpp-plus, or a JSONL file in MBPP's schema", "mbpp-plus")
    .option("--split <split>", "the benchmark's split (default: test for mbpp, all otherwise)")
    .option("--data <dir>", "data directory laid out like DIR/mbpp/mbpp.jsonl (default: $VERDICT_DATA_DIR, else ../shared/data beside the checkout, else download)")
    .option("--workers <n>", "sandboxes at once (default: cores)", int("--workers"))
    .option("--isolation <mode>", "pool (warm containers, a fork per job) or fresh (a container per job)", "pool")
    .option("--host <addr>", "interface to bind; anything but loopback requires a token", d.host)
    .option("--port <n>", "port (0: any free one)", int("--port", 0), d.port)
    .option("--token-file <path>", `file whose first line is the bearer token (default: $${TOKEN_ENV})`)
    .option("--timeout <seconds>", "time limit per test in CPU seconds (tests calibrated on a slow reference get more)", numberFlag("--timeout", { positive: true }), DEFAULT_LIMITS.testSeconds as number)
    .option("--memory <mib>", "memory limit per job in MiB", int("--memory"), DEFAULT_LIMITS.memoryMb)
    .option("--hash-seed <n>", "PYTHONHASHSEED for every sandboxed process", int("--hash-seed", 0), 0)
    .option("--max-body <bytes>", "largest request body (413 above it)", int("--max-body"), d.maxBodyBytes)
    .option("--max-program <bytes>", "largest program, query or stdin in one item (413 above it)", int("--max-program"), d.maxProgramBytes)
    .option("--max-items <n>", "most programs in one request (413 above it)", int("--max-items"), d.maxItems)
    .option("--max-queued <n>", "most programs waiting for the pool; a request that would overflow it gets 429 with Retry-After", int("--max-queued"), d.maxQueued)
    .option("--request-timeout <seconds>", "longest a request may wait for its judgements (504 after it, its work cancelled)", numberFlag("--request-timeout", { positive: true }), d.requestTimeoutMs / 1000)
    .option("--max-run-seconds <n>", "/run_code: the longest run_timeout a request may ask for", numberFlag("--max-run-seconds", { positive: true }), d.maxRunSeconds)
    .option("--grace <seconds>", "on SIGTERM, how long requests in flight may take to finish", numberFlag("--grace", { min: 0 }), d.shutdownGraceMs / 1000)
    .option("--reward <mode>", "/get_reward scoring: binary (1 when every test passes, else 0) or fraction (alpha*compiles + (1-alpha)*passed/total)", d.reward.mode)
    .option("--alpha <a>", "alpha of --reward fraction", numberFlag("--alpha", { min: 0 }), d.reward.alpha)
    .option("--tcg-runs <dir>", "directory of TCG runs: tests \"tcg:NAME\" reads NAME/tests.jsonl under it")
    .option("--log-programs", "log each program's text (off: programs may be someone's submission)", false);
  addPlacementFlags(judge).action(async (flags: ServeJudgeFlags) => {
      if (flags.isolation !== "pool" && flags.isolation !== "fresh") throw new InputError(`--isolation must be pool or fresh, got ${JSON.stringify(flags.isolation)}`);
      if (flags.reward !== "binary" && flags.reward !== "fraction") throw new InputError(`--reward must be binary or fraction, got ${JSON.stringify(flags.reward)}`);
      const stopRequested = stopSignal();
      process.exitCode = await runServeJudge(flags, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        stopRequested,
      });
    });
}
