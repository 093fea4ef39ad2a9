/**
 * Extra Docker engines for tests, started and removed by scripts/extra-dockerd.sh: a unix
 * socket engine, a TLS engine on a loopback port, and an engine behind a local sshd. Root only;
 * what is missing (sshd, openssl, runsc) is installed with scripts/ensure-docker.sh first.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const SCRIPT = fileURLToPath(new URL("../../scripts/extra-dockerd.sh", import.meta.url));
const ENSURE = fileURLToPath(new URL("../../scripts/ensure-docker.sh", import.meta.url));

/** The engines scripts/extra-dockerd.sh can start. */
export type ExtraEngineName = "unix" | "tls" | "ssh";

/** One started engine, as DIR/engines.json describes it. */
export interface ExtraEngine {
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

/** Started engines and how to remove them. */
export interface ExtraEngines {
  dir: string;
  engines: Partial<Record<ExtraEngineName, ExtraEngine>>;
  /** The engine-list entry (URL with its settings) that reaches `name`. */
  entry(name: ExtraEngineName, settings?: Record<string, string>): string;
  /** Removes every daemon, container, mount, socket, key and certificate. Idempotent. */
  stop(): Promise<void>;
}

/** What a test needs besides dockerd. */
export interface ExtraEngineNeeds {
  only?: readonly ExtraEngineName[];
  runsc?: boolean;
}

/**
 * Why extra engines cannot run here (a message for `describe.skipIf`), or undefined when they
 * can. As root, installs what is missing first.
 */
export function extraEnginesUnavailable(needs: ExtraEngineNeeds = {}): string | undefined {
  if (process.platform !== "linux") return "extra Docker engines need Linux";
  if (process.getuid?.() !== 0) return "extra Docker engines need root (they start dockerd and sshd); run the tests as root";
  if (!onPath("dockerd")) return "dockerd is not installed (scripts/ensure-docker.sh)";
  const only = needs.only ?? ["unix", "tls", "ssh"];
  const missing = () => [
    ...(only.includes("ssh") && !existsSync("/usr/sbin/sshd") ? ["sshd"] : []),
    ...(only.includes("tls") && !onPath("openssl") ? ["openssl"] : []),
    ...(needs.runsc && !onPath("runsc") ? ["runsc"] : []),
  ];
  if (missing().length > 0) {
    const flags = [...(missing().some((m) => m !== "runsc") ? ["--with-extra-engines"] : []), ...(needs.runsc ? ["--with-runsc"] : [])];
    try {
      execFileSync("bash", [ENSURE, ...flags], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    } catch (err) {
      return `cannot install ${missing().join(", ")}: ${(err as Error).message}`;
    }
  }
  const still = missing();
  return still.length > 0 ? `${still.join(", ")} missing after scripts/ensure-docker.sh` : undefined;
}

/**
 * Starts the engines (all three by default) in a new directory under /tmp, first removing
 * what a test process that died left behind.
 */
export async function startExtraEngines(opts: { only?: readonly ExtraEngineName[]; defaultRuntime?: string } = {}): Promise<ExtraEngines> {
  await execa("bash", [SCRIPT, "sweep"], { stdio: ["ignore", "ignore", "inherit"] });
  const dir = `/tmp/verdict-engines-${randomBytes(4).toString("hex")}`;
  const args = [SCRIPT, "up", dir, "--owner", String(process.pid)];
  if (opts.only) args.push("--only", opts.only.join(","));
  if (opts.defaultRuntime) args.push("--default-runtime", opts.defaultRuntime);
  await execa("bash", args, { stdio: ["ignore", "ignore", "inherit"], timeout: 180_000 });
  const engines = JSON.parse(readFileSync(`${dir}/engines.json`, "utf8")) as ExtraEngines["engines"];
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
    stop() {
      stopped ??= execa("bash", [SCRIPT, "down", dir], { stdio: ["ignore", "ignore", "inherit"], timeout: 180_000 }).then(() => undefined);
      return stopped;
    },
  };
}

function onPath(name: string): boolean {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  return dirs.some((d) => d !== "" && existsSync(`${d}/${name}`));
}
