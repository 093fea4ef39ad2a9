/**
 * Extra Docker engines on this machine, started and removed by scripts/extra-dockerd.sh: one on
 * a unix socket, one on a loopback TCP port with TLS (certificates made for it), one behind a
 * dedicated sshd on loopback. For `verdict bench --engines-measure` and the multi-engine tests;
 * root only. `stop()` removes every daemon, container, mount, socket, key and certificate.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
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
  /** Removes every daemon, container, mount, socket, key and certificate. Idempotent. */
  stop(): Promise<void>;
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
    stop() {
      stopped ??= execa("bash", [EXTRA_DOCKERD_SCRIPT, "down", dir], quiet).then(() => undefined);
      return stopped;
    },
  };
}
