/**
 * Docker endpoints of a pool that spans several engines: `--engines`, `VERDICT_ENGINES` and a
 * config's `sandbox.engines`, parsed into one shape. Parsing reads no file and opens no
 * connection (src/sandbox/engine-connect.ts does both), so a typo is an InputError before any
 * engine is touched.
 *
 * An entry is a URL, optionally with settings as query parameters:
 *   unix:///var/run/docker.sock?workers=2
 *   tcp://10.0.0.7:2376?cert_path=/etc/verdict/certs         (ca.pem, cert.pem, key.pem)
 *   tcp://10.0.0.7:2376?ca=/c/ca.pem&cert=/c/cert.pem&key=/c/key.pem
 *   tcp://127.0.0.1:2375?tls=0                               (plain HTTP: say so explicitly)
 *   ssh://ci@build-host:22?identity=/home/ci/.ssh/id_ed25519&known_hosts=/home/ci/.ssh/known_hosts
 * or, in a config, an object with the same fields (`url`, `workers`, `name`, ...).
 */
import { homedir, userInfo } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";

/** Client TLS files of a tcp endpoint; the server is always verified against `ca`. */
export interface TlsFiles {
  ca: string;
  /** Client certificate and key, for engines that require one (`dockerd --tlsverify`). */
  cert?: string;
  key?: string;
}

interface EndpointBase {
  /** Short label for progress lines and summaries: `name=` if given, else the URL. */
  label: string;
  /** The entry as written, and where (`--engines entry 2`), for error messages. */
  source: string;
  /** Jobs at once on this engine; undefined: the engine's CPU count. */
  workers: number | undefined;
}

/** An engine on a unix socket of this machine. */
export interface UnixEndpoint extends EndpointBase {
  transport: "unix";
  socketPath: string;
}

/** An engine on a TCP port, over TLS unless `tls` is null (chosen with `tls=0`). */
export interface TcpEndpoint extends EndpointBase {
  transport: "tcp";
  host: string;
  port: number;
  tls: TlsFiles | null;
}

/**
 * An engine reached over SSH (`docker system dial-stdio` on the remote side). The host key is
 * always checked against `knownHosts`; authentication uses `identity`, else the ssh agent
 * (SSH_AUTH_SOCK), else the default key files in ~/.ssh.
 */
export interface SshEndpoint extends EndpointBase {
  transport: "ssh";
  host: string;
  port: number;
  user: string;
  identity: string | undefined;
  knownHosts: string;
}

/** One Docker engine of a pool. */
export type EngineEndpoint = UnixEndpoint | TcpEndpoint | SshEndpoint;

/** The environment the defaults come from (Docker's own variables, HOME). */
export type EndpointEnv = Partial<Record<"DOCKER_HOST" | "DOCKER_CERT_PATH" | "DOCKER_TLS_VERIFY" | "HOME", string>>;

const pathField = z.string().min(1, "expected a file path");

/** An engine entry in object form (a config's `sandbox.engines` item); strings map onto it. */
export const engineEntrySchema = z
  .strictObject({
    url: z.string().min(1).describe("unix:///path, tcp://host:port or ssh://user@host[:port]"),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only").optional().describe("label in progress and summaries"),
    workers: z.coerce.number({ error: "expected a whole number" }).int("expected a whole number").positive("expected at least 1").optional().describe("jobs at once on this engine (default: its CPUs)"),
    tls: z.enum(["0", "1"], { error: "expected 0 (plain HTTP) or 1 (TLS)" }).optional().describe("tcp: 0 for plain HTTP (anyone who reaches the port controls the engine); default 1"),
    cert_path: pathField.optional().describe("tcp: folder holding ca.pem, cert.pem, key.pem (Docker's DOCKER_CERT_PATH layout)"),
    ca: pathField.optional().describe("tcp: CA certificate the engine's certificate must chain to"),
    cert: pathField.optional().describe("tcp: client certificate"),
    key: pathField.optional().describe("tcp: client key"),
    identity: pathField.optional().describe("ssh: private key file (default: the ssh agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa)"),
    known_hosts: pathField.optional().describe("ssh: known_hosts file holding the engine host's key (default ~/.ssh/known_hosts)"),
  })
  .describe("one Docker engine of the sandbox pool");

/** An engine entry in object form. */
export type EngineEntry = z.infer<typeof engineEntrySchema>;

/** A config's `sandbox.engines`: entries as URL strings or objects. */
export const engineListSchema = z.array(z.union([z.string().min(1), engineEntrySchema])).min(1, "list at least one engine");

const TCP_KEYS = ["tls", "cert_path", "ca", "cert", "key"] as const;
const SSH_KEYS = ["identity", "known_hosts"] as const;

/** Splits a `--engines` / `VERDICT_ENGINES` value: entries separated by commas or whitespace. */
export function splitEngineList(value: string): string[] {
  return value.split(/[\s,]+/).filter((s) => s !== "");
}

/**
 * Parses one entry. `where` names it in errors (`--engines entry 2`); relative paths are
 * taken from `baseDir` (a config file's folder).
 */
export function parseEngineEntry(entry: string | EngineEntry, where: string, env: EndpointEnv = process.env, baseDir?: string): EngineEndpoint {
  const raw = typeof entry === "string" ? entryFromUrl(entry, where) : entry;
  const checked = engineEntrySchema.safeParse(raw);
  const shown = typeof entry === "string" ? entry : entry.url;
  const fail = (message: string): never => {
    throw new InputError(`${where} (${shown}): ${message}`);
  };
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = issue?.code === "unrecognized_keys" ? issue.keys.join(", ") : String(issue?.path[0] ?? "");
    const problem = issue?.code === "unrecognized_keys" ? `unknown setting; expected ${Object.keys(engineEntrySchema.shape).filter((k) => k !== "url").join(", ")}` : issue?.message;
    return fail(`${field}: ${problem ?? "invalid"}`);
  }
  const e = checked.data;
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : expandPath(p, env, baseDir));
  const url = parseUrl(e.url, fail);
  const base = { source: `${where} (${shown})`, workers: e.workers };
  const present = (keys: readonly (keyof EngineEntry)[]): string[] => keys.filter((k) => e[k] !== undefined);
  const refuse = (keys: readonly (keyof EngineEntry)[], transport: string): void => {
    const wrong = present(keys);
    if (wrong.length > 0) fail(`${wrong.join(", ")} ${wrong.length > 1 ? "do" : "does"} not apply to ${transport} endpoints`);
  };
  if (url.username !== "" && url.protocol !== "ssh:") fail("only ssh:// endpoints take a user name");
  if (url.password !== "") fail("no passwords in engine URLs; use a key (identity=) or the ssh agent");

  switch (url.protocol) {
    case "unix:": {
      refuse([...TCP_KEYS, ...SSH_KEYS], "unix");
      if (url.host !== "") fail("a unix socket URL has three slashes: unix:///path/to/docker.sock");
      const socketPath = decodeURIComponent(url.pathname);
      if (socketPath === "" || socketPath === "/") fail("expected a socket path: unix:///path/to/docker.sock");
      return { ...base, transport: "unix", socketPath, label: e.name ?? `unix://${socketPath}` };
    }
    case "tcp:": {
      refuse(SSH_KEYS, "tcp");
      noPath(url, fail);
      const port = portOf(url, fail, undefined);
      const host = hostOf(url, fail);
      const tls = e.tls === "0" ? plainTcp(present(TCP_KEYS).filter((k) => k !== "tls"), fail) : tlsFiles(e, abs, env, fail);
      return { ...base, transport: "tcp", host, port, tls, label: e.name ?? `tcp://${url.host}` };
    }
    case "ssh:": {
      refuse(TCP_KEYS, "ssh");
      noPath(url, fail);
      const host = hostOf(url, fail);
      const port = portOf(url, fail, 22);
      const user = url.username !== "" ? decodeURIComponent(url.username) : userInfo().username;
      const knownHosts = abs(e.known_hosts) ?? join(homeOf(env), ".ssh", "known_hosts");
      return { ...base, transport: "ssh", host, port, user, identity: abs(e.identity), knownHosts, label: e.name ?? `ssh://${user}@${url.host}` };
    }
    default:
      return fail(`unsupported scheme ${url.protocol.replace(/:$/, "")}; expected unix://, tcp:// or ssh://`);
  }
}

/**
 * Parses a list of entries, each named in errors by `what` and its position; two entries
 * with the same label are refused (labels key per-engine figures).
 */
export function parseEngineList(entries: readonly (string | EngineEntry)[], what: string, env: EndpointEnv = process.env, baseDir?: string): EngineEndpoint[] {
  if (entries.length === 0) throw new InputError(`${what}: list at least one engine`);
  const endpoints = entries.map((entry, i) => parseEngineEntry(entry, `${what} entry ${i + 1}`, env, baseDir));
  const seen = new Map<string, string>();
  for (const ep of endpoints) {
    const first = seen.get(ep.label);
    if (first !== undefined) throw new InputError(`${ep.source}: the same engine as ${first}; list each engine once (or give each a distinct name=)`);
    seen.set(ep.label, ep.source);
  }
  return endpoints;
}

/** Where the engine list comes from, strongest first: the flag, the environment, the config. */
export interface EngineListSources {
  flag?: string | undefined;
  env?: EndpointEnv & { VERDICT_ENGINES?: string };
  config?: readonly (string | EngineEntry)[] | undefined;
  /** The config file, for error messages and relative paths. */
  configFile?: string | undefined;
}

/**
 * The engines a run uses: `--engines`, else VERDICT_ENGINES, else the config's
 * `sandbox.engines`, else the single engine Docker's own variables name (DOCKER_HOST).
 */
export function resolveEngineList(sources: EngineListSources): EngineEndpoint[] {
  const env = sources.env ?? process.env;
  if (sources.flag !== undefined && sources.flag.trim() !== "") return parseEngineList(splitEngineList(sources.flag), "--engines", env);
  const fromEnv = env.VERDICT_ENGINES;
  if (fromEnv !== undefined && fromEnv.trim() !== "") return parseEngineList(splitEngineList(fromEnv), "VERDICT_ENGINES", env);
  if (sources.config !== undefined) {
    const file = sources.configFile;
    return parseEngineList(sources.config, `${file !== undefined ? `${file}: ` : ""}sandbox.engines`, env, file !== undefined ? resolve(file, "..") : undefined);
  }
  return [defaultEngineEndpoint(env)];
}

/**
 * The engine the docker CLI would use: DOCKER_HOST (tcp with TLS when DOCKER_TLS_VERIFY is set
 * or DOCKER_CERT_PATH is, plain otherwise, as the CLI does), else the default socket.
 */
export function defaultEngineEndpoint(env: EndpointEnv = process.env): EngineEndpoint {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === "") return parseEngineEntry("unix:///var/run/docker.sock", "the default engine", env);
  const url = host.includes("://") ? host : `tcp://${host}`;
  const tlsWanted = (env.DOCKER_TLS_VERIFY ?? "") !== "" || (env.DOCKER_CERT_PATH ?? "") !== "";
  const entry = url.startsWith("tcp://") && !tlsWanted ? { url, tls: "0" as const } : { url };
  return parseEngineEntry(entry, "DOCKER_HOST", env);
}

/** The entry's settings from its query string, as an object entry. */
function entryFromUrl(text: string, where: string): Record<string, string> {
  const q = text.indexOf("?");
  const out: Record<string, string> = { url: q < 0 ? text : text.slice(0, q) };
  if (q < 0) return out;
  for (const pair of text.slice(q + 1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InputError(`${where} (${text}): expected key=value settings after '?', got "${pair}"`);
    const key = decodeURIComponent(pair.slice(0, eq));
    if (key === "url") throw new InputError(`${where} (${text}): url is not a setting`);
    if (key in out) throw new InputError(`${where} (${text}): ${key} is given twice`);
    out[key] = decodeURIComponent(pair.slice(eq + 1));
  }
  return out;
}

function parseUrl(text: string, fail: (m: string) => never): URL {
  if (!/^[a-z]+:\/\//i.test(text)) fail("expected unix:///path, tcp://host:port or ssh://user@host[:port]");
  try {
    return new URL(text);
  } catch {
    return fail("not a valid URL");
  }
}

function noPath(url: URL, fail: (m: string) => never): void {
  if (url.pathname !== "" && url.pathname !== "/") fail(`unexpected path ${url.pathname}`);
  if (url.hash !== "") fail(`unexpected fragment ${url.hash}`);
}

function hostOf(url: URL, fail: (m: string) => never): string {
  // IPv6 literals keep their brackets in URL.hostname; sockets want them without.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") fail("expected a host");
  return host;
}

function portOf(url: URL, fail: (m: string) => never, fallback: number | undefined): number {
  if (url.port === "") {
    // Docker's CLI has no default tcp port either; 2375 vs 2376 means plain vs TLS to it.
    if (fallback === undefined) return fail("expected a port (tcp://host:2376)");
    return fallback;
  }
  return Number(url.port);
}

/** tls=0 with TLS files is a contradiction, not a preference. */
function plainTcp(tlsKeys: string[], fail: (m: string) => never): null {
  if (tlsKeys.length > 0) fail(`tls=0 contradicts ${tlsKeys.join(", ")}`);
  return null;
}

/**
 * TLS files: the entry's own (any of ca/cert/key: only those given, the CA from cert_path or
 * DOCKER_CERT_PATH when not), else a folder in Docker's layout (cert_path, DOCKER_CERT_PATH,
 * ~/.docker) with all three. The server is verified whatever DOCKER_TLS_VERIFY says: an
 * engine verdict cannot authenticate could forge every verdict.
 */
function tlsFiles(e: EngineEntry, abs: (p: string | undefined) => string | undefined, env: EndpointEnv, fail: (m: string) => never): TlsFiles {
  if ((e.cert === undefined) !== (e.key === undefined)) fail("cert and key go together (a client certificate and its key)");
  const dir = abs(e.cert_path) ?? abs(env.DOCKER_CERT_PATH) ?? join(homeOf(env), ".docker");
  const ca = abs(e.ca) ?? join(dir, "ca.pem");
  if (e.ca !== undefined || e.cert !== undefined) {
    const cert = abs(e.cert);
    const key = abs(e.key);
    return { ca, ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
  }
  return { ca, cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

function homeOf(env: EndpointEnv): string {
  return env.HOME !== undefined && env.HOME !== "" ? env.HOME : homedir();
}

/** `~/x` and relative paths made absolute. */
function expandPath(p: string, env: EndpointEnv, baseDir: string | undefined): string {
  if (p === "~" || p.startsWith("~/")) return join(homeOf(env), p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir ?? process.cwd(), p);
}
