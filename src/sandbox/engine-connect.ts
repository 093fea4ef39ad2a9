/**
 * Connects to the Docker engines of a pool (src/sandbox/engine-endpoint.ts) and asks each what
 * it is: its ID, CPUs, version and runtimes. Every engine must answer: a typo in a list
 * should stop a run, not quietly shrink its pool.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { InputError, SetupError } from "../core/errors.js";
import { dockerErrorText } from "./docker-error.js";
import type { EngineEndpoint, SshEndpoint, TcpEndpoint } from "./engine-endpoint.js";
import { hostKeyVerifier } from "./ssh-known-hosts.js";

/** What an engine says about itself. */
export interface EngineInfo {
  /** The engine's ID: two entries reaching one engine share it. */
  id: string;
  /** The engine host's name. */
  name: string;
  cpus: number;
  memoryBytes: number;
  serverVersion: string;
  apiVersion: string;
  os: string;
  kernel: string;
  /** OCI runtimes registered with the engine (runc, runsc, ...). */
  runtimes: string[];
  defaultRuntime: string;
  /** "1" or "2"; undefined from engines too old to say. */
  cgroupVersion: string | undefined;
}

/** An engine that answered, with the client that reaches it. */
export interface ConnectedEngine {
  endpoint: EngineEndpoint;
  docker: Docker;
  info: EngineInfo;
  /** The entry's worker count, else the engine's CPUs. */
  workers: number;
}

/** How long an engine may take to answer before it counts as unreachable. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** SSH keepalives, so a cut network ends a long-lived attach stream instead of hanging it. */
const SSH_KEEPALIVE_MS = 10_000;
const SSH_KEEPALIVE_COUNT = 3;
/** Keys OpenSSH tries when neither an identity nor an agent is given, in its order. */
const DEFAULT_IDENTITIES = ["id_ed25519", "id_ecdsa", "id_rsa"];

/** Connection settings. */
export interface ConnectOptions {
  timeoutMs?: number;
  /** SSH_AUTH_SOCK and HOME, for ssh endpoints; defaults to process.env. */
  env?: Partial<Record<"SSH_AUTH_SOCK" | "HOME", string>>;
}

/**
 * A dockerode client for one endpoint. Every connection setting is given explicitly, so
 * DOCKER_HOST and DOCKER_CERT_PATH (which docker-modem reads as defaults) cannot leak from the
 * default engine into another. Reads TLS and SSH key files: a missing one is an InputError.
 */
export function dockerClient(endpoint: EngineEndpoint, options: ConnectOptions = {}): Docker {
  const none = { socketPath: undefined, host: undefined, port: undefined, ca: undefined, cert: undefined, key: undefined };
  switch (endpoint.transport) {
    case "unix":
      return new Docker({ ...none, socketPath: endpoint.socketPath, protocol: "http" });
    case "tcp":
      return new Docker({ ...none, host: endpoint.host, port: endpoint.port, ...tcpSettings(endpoint) });
    case "ssh": {
      const docker = new Docker({ ...none, protocol: "ssh", host: endpoint.host, port: endpoint.port, username: endpoint.user });
      // Set after construction: docker-modem merges an ssh DOCKER_HOST's agent over ours.
      (docker.modem as unknown as { sshOptions: object }).sshOptions = sshSettings(endpoint, options);
      return docker;
    }
  }
}

/**
 * Connects to one engine and reads its info; SetupError naming the entry when it does not
 * answer in time or refuses us (TLS, host key, authentication).
 */
export async function connectEngine(endpoint: EngineEndpoint, options: ConnectOptions = {}): Promise<ConnectedEngine> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const docker = dockerClient(endpoint, { ...options, timeoutMs });
  let info: EngineInfo;
  try {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    // dockerode takes an abort signal on these calls; its type declarations do not say so.
    const api = docker as unknown as SignalledCalls;
    await api.ping({ abortSignal });
    const [raw, version] = await Promise.all([api.info({ abortSignal }), api.version({ abortSignal })]);
    info = engineInfo(raw, version.ApiVersion);
  } catch (err) {
    const why = (err as Error).name === "AbortError" || (err as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : dockerErrorText(err);
    throw new SetupError(`${endpoint.source}: cannot reach the Docker engine: ${why}`, { cause: err });
  }
  return { endpoint, docker, info, workers: endpoint.workers ?? info.cpus };
}

/**
 * Connects to every engine at once. Throws SetupError listing every engine that failed, and
 * InputError when two entries reach the same engine (its CPUs would be counted twice).
 */
export async function connectEngines(endpoints: readonly EngineEndpoint[], options: ConnectOptions = {}): Promise<ConnectedEngine[]> {
  const settled = await Promise.allSettled(endpoints.map((ep) => connectEngine(ep, options)));
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  // Bad input (a missing key file) is the user's to fix first, and says so with exit code 2.
  const input = failures.find((f): f is InputError => f instanceof InputError);
  if (input) throw input;
  if (failures.length > 0) {
    throw new SetupError(failures.map((f) => (f instanceof Error ? f.message : String(f))).join("\n"), { cause: failures[0] });
  }
  const engines = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const byId = new Map<string, ConnectedEngine>();
  for (const e of engines) {
    const twin = byId.get(e.info.id);
    if (twin) throw new InputError(`${e.endpoint.source} reaches the same Docker engine (ID ${e.info.id}) as ${twin.endpoint.source}; list each engine once`);
    byId.set(e.info.id, e);
  }
  return engines;
}

/** The calls `connectEngine` makes, with the abort signal dockerode accepts. */
interface SignalledCalls {
  ping(opts: { abortSignal: AbortSignal }): Promise<unknown>;
  info(opts: { abortSignal: AbortSignal }): Promise<RawInfo>;
  version(opts: { abortSignal: AbortSignal }): Promise<{ ApiVersion: string }>;
}

/** The fields of `docker info` this module reads (dockerode's types lag the API). */
interface RawInfo {
  ID?: string;
  Name?: string;
  NCPU?: number;
  MemTotal?: number;
  ServerVersion?: string;
  OperatingSystem?: string;
  KernelVersion?: string;
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  CgroupVersion?: string;
}

function engineInfo(raw: RawInfo, apiVersion: string): EngineInfo {
  if (typeof raw.ID !== "string" || raw.ID === "" || typeof raw.NCPU !== "number" || raw.NCPU < 1) {
    throw new Error("the engine's info lacks an ID or a CPU count");
  }
  return {
    id: raw.ID,
    name: raw.Name ?? "",
    cpus: raw.NCPU,
    memoryBytes: raw.MemTotal ?? 0,
    serverVersion: raw.ServerVersion ?? "",
    apiVersion,
    os: raw.OperatingSystem ?? "",
    kernel: raw.KernelVersion ?? "",
    runtimes: Object.keys(raw.Runtimes ?? {}).sort(),
    defaultRuntime: raw.DefaultRuntime ?? "runc",
    cgroupVersion: raw.CgroupVersion,
  };
}

/** Protocol and TLS material of a tcp endpoint. */
function tcpSettings(ep: TcpEndpoint): Pick<Docker.DockerOptions, "protocol" | "ca" | "cert" | "key"> {
  if (ep.tls === null) return { protocol: "http" };
  const { ca, cert, key } = ep.tls;
  return {
    protocol: "https",
    ca: readKeyFile(ep, ca, "CA certificate"),
    ...(cert !== undefined ? { cert: readKeyFile(ep, cert, "client certificate") } : {}),
    ...(key !== undefined ? { key: readKeyFile(ep, key, "client key") } : {}),
  };
}

/** ssh2 connect settings: host-key check, one way to authenticate, timeouts. */
function sshSettings(ep: SshEndpoint, options: ConnectOptions & { timeoutMs?: number }): Record<string, unknown> {
  const env = options.env ?? process.env;
  const auth = ep.identity !== undefined
    ? { privateKey: readKeyFile(ep, ep.identity, "ssh identity") }
    : env.SSH_AUTH_SOCK
      ? { agent: env.SSH_AUTH_SOCK }
      : { privateKey: defaultIdentity(ep, env.HOME || homedir()) };
  return {
    ...auth,
    hostVerifier: hostKeyVerifier(ep.knownHosts, ep.host, ep.port, ep.source),
    readyTimeout: options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepaliveInterval: SSH_KEEPALIVE_MS,
    keepaliveCountMax: SSH_KEEPALIVE_COUNT,
  };
}

/** The first of OpenSSH's default key files that exists. */
function defaultIdentity(ep: SshEndpoint, home: string): Buffer {
  for (const name of DEFAULT_IDENTITIES) {
    try {
      return readFileSync(join(home, ".ssh", name));
    } catch {
      // Try the next one, as ssh does.
    }
  }
  throw new SetupError(
    `${ep.source}: no way to authenticate: give identity=<key file>, or run an ssh agent (SSH_AUTH_SOCK), or create ~/.ssh/${DEFAULT_IDENTITIES[0]}`,
  );
}

function readKeyFile(ep: EngineEndpoint, file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const hint = ep.transport === "tcp" ? " (TLS files: cert_path=, or ca=/cert=/key=, or DOCKER_CERT_PATH; tls=0 for plain HTTP)" : "";
    throw new InputError(`${ep.source}: cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? dockerErrorText(err)}${hint}`);
  }
}
