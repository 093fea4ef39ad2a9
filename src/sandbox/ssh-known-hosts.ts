/**
 * Host-key checking for SSH-reached engines against an OpenSSH known_hosts file. ssh2 (under
 * docker-modem) accepts any host key unless told otherwise, and an engine we cannot
 * authenticate could forge every verdict, so every SSH endpoint is checked.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { SetupError } from "../core/errors.js";

/** The keys a known_hosts file lists for one host and port. */
export interface KnownHostKeys {
  /** Raw public key blobs (the base64 field decoded), as ssh2's hostVerifier receives them. */
  accepted: Buffer[];
  /** Keys marked @revoked for this host: never accepted. */
  revoked: Buffer[];
}

/** The name a known_hosts line uses for host:port (`host`, or `[host]:port` off port 22). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Keys listed for host:port in a known_hosts text (plain, wildcard and hashed entries). */
export function knownHostKeys(text: string, host: string, port: number): KnownHostKeys {
  const name = knownHostsName(host, port);
  const out: KnownHostKeys = { accepted: [], revoked: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith("@") ? fields.shift() : undefined;
    const [patterns, , blob] = fields;
    if (patterns === undefined || blob === undefined) continue;
    // A CA-signed host certificate needs certificate checking ssh2 does not offer: not a match.
    if (marker === "@cert-authority") continue;
    if (!hostMatches(patterns, name)) continue;
    (marker === "@revoked" ? out.revoked : out.accepted).push(Buffer.from(blob, "base64"));
  }
  return out;
}

/**
 * A verifier for ssh2's `hostVerifier` that accepts only a key listed for host:port in `file`.
 * Throws SetupError now when the file lists no key for the host, saying how to add one.
 */
export function hostKeyVerifier(file: string, host: string, port: number, where: string): (key: Buffer) => boolean {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SetupError(`${where}: cannot read known_hosts file ${file} (${(err as Error).message}); ${addHint(file, host, port)}`);
  }
  const keys = knownHostKeys(text, host, port);
  if (keys.accepted.length === 0) {
    throw new SetupError(`${where}: ${file} lists no host key for ${knownHostsName(host, port)}; ${addHint(file, host, port)}`);
  }
  return (key: Buffer) => {
    if (keys.revoked.some((k) => sameKey(k, key))) return false;
    return keys.accepted.some((k) => sameKey(k, key));
  };
}

function addHint(file: string, host: string, port: number): string {
  return `add the engine host's key, after checking its fingerprint: ssh-keyscan -p ${port} ${host} >> ${file}`;
}

function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** OpenSSH pattern-list semantics: any positive match, and no negated (`!pat`) match. */
function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith("|1|")) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(",")) {
    const negated = p.startsWith("!");
    if (!globMatches(negated ? p.slice(1) : p, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** `|1|salt|hash`: HMAC-SHA1 of the name keyed by the salt (HashKnownHosts yes). */
function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split("|");
  if (salt === undefined || hash === undefined) return false;
  const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
  return sameKey(mac, Buffer.from(hash, "base64"));
}

/** `*` and `?` wildcards, case-insensitive, as ssh matches host names. */
function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(name);
}
