/**
 * Extra Docker engines on this machine, started and removed by scripts/extra-dockerd.sh: one on
 * a unix socket, one on a loopback TCP port with TLS (certificates made for it), one behind a
 * dedicated sshd on loopback. For `verdict bench --engines-measure` and the multi-engine tests;
 * root only. `stop()` removes every daemon, container, mount, socket, key and certificate.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The script that starts and removes them. */
export const EXTRA_DOCKERD_SCRIPT = fileURLToPath(new URL("../../scripts/extra-dockerd.sh", import.meta.url));

/** The engines the script can start. */
export type LocalEngineName = "unix" | "tls" | "ssh";

/** One started engine, as DIR/engines.json describes it. */
export interface LocalEngine {
  /** The URL a client uses (the sshd's for `ssh`). */
  url: string;
  /** The engine's own unix socket, for setting it up directly. */
  socket: string;
  dockerd_pid: number;
  cert_path?: string;
  identity?: string;
  known_hosts?: string;
  sshd_pid?: number;
}

/** A process as it was when seen: its pid, and its start time (so a reused pid is not it). */
export interface ProcessStamp {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. */
  start: string;
  what: string;
}

/** Started engines and how to reach, kill, revive and remove them. */
export interface LocalEngines {
  dir: string;
  engines: Partial<Record<LocalEngineName, LocalEngine>>;
  /** The engine-list entry (URL with its settings) that reaches `name`. */
  entry(name: LocalEngineName, settings?: Record<string, string>): string;
  /** SIGKILLs `name`'s dockerd (found by its own pidfile: never another engine's). */
  kill(name: LocalEngineName): void;
  /** Starts `name`'s dockerd again, as it was. */
  revive(name: LocalEngineName): Promise<void>;
  /** The daemons running now (each dockerd, as its pidfile names it, and the sshd). */
  processes(): ProcessStamp[];
  /**
   * Removes every daemon, container, mount, socket, key and certificate, and returns once every
   * daemon is gone (it throws naming any that is not). Idempotent.
   */
  stop(): Promise<void>;
}

/** /proc/PID/stat's state and start time, or undefined when there is no such process. */
function procStat(pid: number): { state: string; start: string } | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", start: fields[19] ?? "" };
}

/** A stamp of `pid` as it runs now, or undefined when it does not run (or runs another program than `comm`). */
export function stampProcess(pid: number, what: string, comm?: string): ProcessStamp | undefined {
  const st = procStat(pid);
  if (st === undefined || st.state === "Z") return undefined;
  if (comm !== undefined && readText(`/proc/${pid}/comm`)?.trim() !== comm) return undefined;
  return { pid, start: st.start, what };
}

/** A file's text, or undefined when it cannot be read (a process that is gone). */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Those of `stamps` still running: the same process (same start time: a pid can be reused) and
 * not a zombie (an exited daemon that its parent, init or whoever adopted it, has yet to reap:
 * no longer a process, and not ours to reap).
 */
export function stillRunning(stamps: readonly ProcessStamp[]): ProcessStamp[] {
  return stamps.filter((s) => {
    const st = procStat(s.pid);
    return st !== undefined && st.state !== "Z" && st.start === s.start;
  });
}

/**
 * Starts the engines (all three by default) in a new directory under /tmp, first removing
 * what an owner that died left behind.
 */
export async function startLocalEngines(opts: { only?: readonly LocalEngineName[]; defaultRuntime?: string } = {}): Promise<LocalEngines> {
  const quiet = { stdio: ["ignore", "ignore", "inherit"], timeout: 180_000 } as const;
  await execa("bash", [EXTRA_DOCKERD_SCRIPT, "sweep"], quiet);
  const dir = `/tmp/verdict-engines-${randomBytes(4).toString("hex")}`;
  const args = [EXTRA_DOCKERD_SCRIPT, "up", dir, "--owner", String(process.pid)];
  if (opts.only) args.push("--only", opts.only.join(","));
  if (opts.defaultRuntime) args.push("--default-runtime", opts.defaultRuntime);
  await execa("bash", args, quiet);
  const engines = JSON.parse(readFileSync(`${dir}/engines.json`, "utf8")) as LocalEngines["engines"];
  let stopped: Promise<void> | undefined;
  return {
    dir,
    engines,
    entry(name, settings = {}) {
      const e = engines[name];
      if (!e) throw new Error(`engine ${name} was not started`);
      const all: Record<string, string> = {
        ...(e.cert_path !== undefined ? { cert_path: e.cert_path } : {}),
        ...(e.identity !== undefined ? { identity: e.identity } : {}),
        ...(e.known_hosts !== undefined ? { known_hosts: e.known_hosts } : {}),
        ...settings,
      };
      const query = Object.entries(all).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
      return query === "" ? e.url : `${e.url}?${query}`;
    },
    kill(name) {
      process.kill(Number(readFileSync(`${dir}/${name}/dockerd.pid`, "utf8").trim()), "SIGKILL");
    },
    async revive(name) {
      await execa("bash", [EXTRA_DOCKERD_SCRIPT, "revive", dir, name], quiet);
    },
    processes() {
      return daemonsOf(dir, engines);
    },
    stop() {
      stopped ??= (async () => {
        const before = daemonsOf(dir, engines);
        await execa("bash", [EXTRA_DOCKERD_SCRIPT, "down", dir], quiet);
        // The script waits for them; this checks it, and waits out a process that the kernel is
        // still tearing down (a SIGKILLed dockerd may take a moment on a loaded machine).
        for (let i = 0; i < 100 && stillRunning(before).length > 0; i++) await sleep(100);
        const left = stillRunning(before);
        if (left.length > 0) throw new Error(`extra engines in ${dir}: still running after down: ${left.map((p) => `${p.what} (pid ${p.pid})`).join(", ")}`);
      })();
      return stopped;
    },
  };
}

/** The daemons of `dir` running now: each dockerd as its pidfile names it, and the sshd. */
function daemonsOf(dir: string, engines: LocalEngines["engines"]): ProcessStamp[] {
  const found: (ProcessStamp | undefined)[] = [];
  for (const [name, e] of Object.entries(engines)) {
    // A killed daemon's pidfile stays behind: its pid is taken only while dockerd runs under it.
    const pid = readText(`${dir}/${name}/dockerd.pid`);
    if (pid !== undefined) found.push(stampProcess(Number(pid.trim()), `dockerd ${name}`, "dockerd"));
    if (e.sshd_pid !== undefined) found.push(stampProcess(e.sshd_pid, "sshd", "sshd"));
  }
  return found.filter((p) => p !== undefined);
}
