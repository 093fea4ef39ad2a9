import Docker from "dockerode";
import { SetupError } from "../core/errors.js";

/** Where a client without DOCKER_HOST looks for the engine. */
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** How long an engine may take to answer a ping before we call it absent. */
const PING_TIMEOUT_MS = 5_000;

/**
 * A dockerode client for `host` (unix://, tcp://, ssh:// address), else for the engine named by
 * DOCKER_HOST, else for the default socket.
 */
export function connectDocker(host?: string): Docker {
  // Without an explicit host, docker-modem reads DOCKER_HOST, DOCKER_TLS_VERIFY and
  // DOCKER_CERT_PATH itself, so the client reaches the same engine as the docker CLI would.
  if (host === undefined || host === "") return new Docker();
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) || DEFAULT_DOCKER_SOCKET });
  if (host.startsWith("/")) return new Docker({ socketPath: host });
  const url = new URL(host.includes("//") ? host : `tcp://${host}`);
  const protocol = url.protocol === "ssh:" ? "ssh" : url.port === "2376" ? "https" : "http";
  return new Docker({
    protocol,
    host: url.hostname,
    ...(url.port ? { port: url.port } : {}),
    ...(url.username ? { username: url.username } : {}),
  });
}

/** Human-readable address of the engine a client talks to, for messages. */
export function engineAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; protocol?: string; host?: string; port?: string | number };
  if (typeof modem.socketPath === "string") return modem.socketPath;
  if (modem.socketPath !== undefined) return DEFAULT_DOCKER_SOCKET;
  return `${modem.protocol ?? "http"}://${modem.host ?? "localhost"}${modem.port ? `:${modem.port}` : ""}`;
}

/** Whether the engine answers a ping within `timeoutMs` (never throws). */
export async function engineAnswers(docker: Docker, timeoutMs: number): Promise<boolean> {
  try {
    // dockerode takes an abort signal on ping; its type declarations do not say so.
    await (docker as unknown as { ping(o: { abortSignal: AbortSignal }): Promise<unknown> }).ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** Pings the engine; throws SetupError saying how to start one when nothing answers in time. */
export async function assertEngine(docker: Docker, timeoutMs: number = PING_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } catch (err) {
    throw new SetupError(
      `no Docker engine answers at ${engineAddress(docker)}; run scripts/ensure-docker.sh as root, or start dockerd`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}
