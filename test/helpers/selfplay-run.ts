import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO } from "./eval-run.js";

/**
 * Pieces of the self-play tests: the learnable policy server (test/fixtures/selfplay/
 * learnable-policy.mjs, a stand-in for a model) started as a process of its own, the toy
 * trainer's command, a config writer, and rounds.json with what legitimately differs between
 * two runs of the same loop (wall times, attempts, the run directory) taken out.
 */

export const FIXTURES = join(REPO, "test", "fixtures", "selfplay");
export const POLICY_SERVER = join(FIXTURES, "learnable-policy.mjs");
export const TOY_TRAINER = `node ${join(FIXTURES, "toy-trainer.mjs")}`;
export const START_CHECKPOINT = join(FIXTURES, "start-checkpoint.json");

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A learnable policy server started by the test (lora mode serves every round from it). */
export interface PolicyServer {
  port: number;
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the learnable policy server on `checkpoint` and waits for it to listen. */
export async function startPolicyServer(checkpoint: string, env: Record<string, string>, port = 0, delayMs = 0): Promise<PolicyServer> {
  const child = spawn(process.execPath, [POLICY_SERVER, "--checkpoint", checkpoint, "--port", String(port), "--delay-ms", String(delayMs)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const listening = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`the policy server exited with ${code}`)));
  });
  return {
    port: listening,
    baseUrl: `http://127.0.0.1:${listening}/v1`,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await gone;
    },
  };
}

/** What a test config varies. */
export interface LoopSettings {
  rounds: number;
  port: number;
  serve: "restart" | "lora" | { command: string; health_url: string; timeout_s: number };
  /** Milliseconds the restart server waits before each answer, and before it listens. */
  delayMs?: number;
  startupDelayMs?: number;
  /** A test-case generator's API root: round 1 then generates the tests every search is rewarded on. */
  tcg?: string;
}

/**
 * A selfplay config over MBPP train 601-604 (search) and test 11-14 (evaluation): 4 rollouts of
 * depth 2 with 3 candidates per expansion, Pass@1 from 4 samples per task.
 */
export function writeLoopConfig(path: string, s: LoopSettings): void {
  const serve =
    s.serve === "restart"
      ? `{mode: restart, command: "exec node ${POLICY_SERVER} --checkpoint {checkpoint} --port ${s.port}${s.delayMs ? ` --delay-ms ${s.delayMs}` : ""}${s.startupDelayMs ? ` --startup-delay-ms ${s.startupDelayMs}` : ""}", health_url: "http://127.0.0.1:${s.port}/v1/models", timeout_s: 30}`
      : s.serve === "lora"
        ? "{mode: lora, name: learned}"
        : `{mode: restart, command: ${JSON.stringify(s.serve.command)}, health_url: "${s.serve.health_url}", timeout_s: ${s.serve.timeout_s}}`;
  writeFileSync(
    path,
    [
      "benchmark: mbpp",
      `rounds: ${s.rounds}`,
      `checkpoint: ${START_CHECKPOINT}`,
      `policy: {name: policy, base_url: "http://127.0.0.1:${s.port}/v1", model: policy, retries: 0, timeout_s: 30}`,
      ...(s.tcg !== undefined ? [`tcg: {model: {name: tcg, base_url: "${s.tcg}", model: tcg, retries: 0}, settings: {requests: 2, cases: 3}}`] : []),
      "search: {split: train, limit: 4, settings: {rollouts: 4, max_depth: 2, n: 3, seed: 7}}",
      "export: {formats: [dpo, prm, sft]}",
      `trainer: {command: "${TOY_TRAINER}"}`,
      `serve: ${serve}`,
      "evaluate: {split: test, limit: 4, styles: [vanilla], pass1: {n: 4, temperature: 0.8}, aspr: {paths: 1, finals: 1}}",
      "sandbox: {workers: 2}",
      "",
    ].join("\n"),
  );
}

/** rounds.json of a run, as parsed JSON. */
export function readRounds(runDir: string): { rounds: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(runDir, "rounds.json"), "utf8")) as { rounds: Record<string, unknown>[] };
}

/** rounds.json without what two runs of the same loop may differ in: budgets (wall time, attempts) and the run directory's path. */
export function comparableRounds(runDir: string): unknown {
  const text = readFileSync(join(runDir, "rounds.json"), "utf8").split(runDir).join("<run>");
  const report = JSON.parse(text) as { rounds: Record<string, unknown>[] };
  return report.rounds.map(({ budgets: _budgets, ...rest }) => rest);
}

/** The record of one phase. */
export function phaseRecord(runDir: string, round: number, phase: string): Record<string, unknown> & { status: string; attempts: number; details: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(runDir, `round-${round}`, phase, "phase.json"), "utf8")) as ReturnType<typeof phaseRecord>;
}

/** Stops a restart server a killed loop left (test cleanup). */
export function killLeftServer(runDir: string): void {
  const file = join(runDir, "server.json");
  if (!existsSync(file)) return;
  const { pid } = JSON.parse(readFileSync(file, "utf8")) as { pid: number };
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Gone.
  }
}
