import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { VerdictError } from "../core/errors.js";
import { answers } from "../models/vllm-server.js";
import { writeJsonAtomic } from "../runner/results-store.js";
import { processAlive } from "../util/process-files.js";
import { fillTemplate, logTail, templateEnv } from "./selfplay-command.js";
import type { SelfplayConfig } from "./selfplay-config.js";

/**
 * How each round's policy is served (the `serve` section): `static` leaves the endpoint alone;
 * `restart` runs the command template on the checkpoint (the previous server stopped first) and
 * waits for the health URL; `lora` loads the checkpoint as an adapter on the running server
 * (vLLM's POST /v1/load_lora_adapter) and requests it by name. A restart server is started in
 * a process group of its own and recorded in `<run>/server.json`, so a loop killed with SIGKILL
 * finds it on resume: the one serving the wanted checkpoint is kept, any other is stopped.
 */

/** The policy a phase talks to. */
export interface ServedPolicy {
  mode: SelfplayConfig["serve"]["mode"];
  round: number;
  checkpoint: string;
  base_url: string;
  /** The model name requests carry. */
  model: string;
}

/** The server a restart loop runs, as `<run>/server.json` keeps it. */
interface ServerRecord {
  pid: number;
  round: number;
  checkpoint: string;
  command: string;
  log: string;
}

const SERVER_FILE = "server.json";

/** The policy of round `round` served from `checkpoint` (what a restart or a LoRA load makes of the config's endpoint). */
export function servedPolicy(cfg: SelfplayConfig, round: number, checkpoint: string): ServedPolicy {
  const base = cfg.policy.base_url ?? "";
  const model = cfg.serve.mode === "lora" && round > 0 ? `${cfg.serve.name}-round-${round}` : cfg.policy.model;
  return { mode: cfg.serve.mode, round, checkpoint, base_url: base, model };
}

/** Makes the policy servable: starts (restart) or loads (lora) it unless it already is. `log` is the server's log file (restart). */
export async function ensureServed(cfg: SelfplayConfig, runDir: string, policy: ServedPolicy, log: string, say: (line: string) => void, signal?: AbortSignal): Promise<{ started: boolean; pid?: number; command?: string }> {
  const serve = cfg.serve;
  if (serve.mode === "static") return { started: false };
  if (serve.mode === "lora") return { started: policy.round > 0 ? await loadAdapter(policy, say) : false };
  const current = readServer(runDir);
  if (current !== undefined && processAlive(current.pid) && current.checkpoint === policy.checkpoint && (await answers(serve.health_url, 2_000))) {
    return { started: false, pid: current.pid, command: current.command };
  }
  await stopServer(runDir);
  const values = { round: String(policy.round), checkpoint: policy.checkpoint, model: policy.model, log };
  const command = fillTemplate(serve.command, values);
  say(`serve: starting ${command}`);
  const fd = openSync(log, "a");
  // A process group of its own: it outlives a killed loop (a resume adopts or stops it by the recorded pid), and stopping it stops its children.
  const child = spawn(command, { shell: true, detached: true, stdio: ["ignore", fd, fd], env: { ...process.env, ...templateEnv(values) } });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new VerdictError(`could not start the policy server: ${command}`);
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  writeJsonAtomic(join(runDir, SERVER_FILE), { pid, round: policy.round, checkpoint: policy.checkpoint, command, log } satisfies ServerRecord);
  const deadline = Date.now() + serve.timeout_s * 1000;
  for (;;) {
    if (await answers(serve.health_url, 2_000)) return { started: true, pid, command };
    if (signal?.aborted) {
      await stopServer(runDir);
      throw new VerdictError(`interrupted while the policy server for round ${policy.round} was starting`);
    }
    if (exited !== undefined || Date.now() > deadline) {
      const why = exited !== undefined ? `exited (code ${exited}) before ${serve.health_url} answered` : `did not answer ${serve.health_url} within ${serve.timeout_s} s`;
      await stopServer(runDir);
      const tail = logTail(log);
      throw new VerdictError(`the policy server for round ${policy.round} (${command}) ${why}; the last lines of ${log}:\n${tail || "(empty)"}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Stops the restart server this run recorded (its whole process group), if it still runs. */
export async function stopServer(runDir: string): Promise<void> {
  const current = readServer(runDir);
  if (current === undefined) return;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-current.pid, signal);
    } catch {
      // Gone already.
    }
  };
  signalGroup("SIGTERM");
  for (let i = 0; i < 50 && processAlive(current.pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(current.pid)) signalGroup("SIGKILL");
  rmSync(join(runDir, SERVER_FILE), { force: true });
}

function readServer(runDir: string): ServerRecord | undefined {
  const path = join(runDir, SERVER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as ServerRecord;
  } catch {
    // A torn record names no process we can trust.
    return undefined;
  }
}

/** Loads the adapter unless the server lists it already (after a resume, or a server that kept it); true when loaded now. */
async function loadAdapter(policy: ServedPolicy, say: (line: string) => void): Promise<boolean> {
  const listed = await fetch(`${policy.base_url}/models`, { signal: AbortSignal.timeout(10_000) })
    .then(async (r) => (r.ok ? ((await r.json()) as { data?: { id?: string }[] }).data ?? [] : []))
    .catch(() => []);
  if (listed.some((m) => m.id === policy.model)) return false;
  say(`serve: loading LoRA adapter ${policy.model} from ${policy.checkpoint}`);
  const url = `${policy.base_url}/load_lora_adapter`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ lora_name: policy.model, lora_path: policy.checkpoint }),
      signal: AbortSignal.timeout(600_000),
    });
  } catch (e) {
    throw new VerdictError(`could not load the LoRA adapter of round ${policy.round}: POST ${url} failed: ${(e as Error).message} (is the server up, started with --enable-lora and VLLM_ALLOW_RUNTIME_LORA_UPDATING=True?)`);
  }
  const body = await response.text();
  if (!response.ok) throw new VerdictError(`could not load the LoRA adapter of round ${policy.round}: POST ${url} answered ${response.status}: ${body.slice(0, 500)}`);
  return true;
}
