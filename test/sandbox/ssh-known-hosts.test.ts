import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { hostKeyVerifier, knownHostKeys, knownHostsName } from "../../src/sandbox/ssh-known-hosts.js";

const keyA = randomBytes(51);
const keyB = randomBytes(51);
const b64 = (k: Buffer) => k.toString("base64");
/** A HashKnownHosts entry for `name`, as ssh-keygen -H writes it. */
const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
};

describe("knownHostKeys", () => {
  it("matches plain, bracketed-port, wildcard and hashed entries, and honours negation", () => {
    const text = [
      "# comment",
      `build-host,10.0.0.7 ssh-ed25519 ${b64(keyA)} ci@build`,
      `[127.0.0.1]:2222 ssh-ed25519 ${b64(keyB)}`,
      `*.farm.example,!bad.farm.example ssh-ed25519 ${b64(keyA)}`,
      `${hashed("[secret]:2200")} ssh-ed25519 ${b64(keyB)}`,
      "",
    ].join("\n");
    expect(knownHostKeys(text, "build-host", 22).accepted).toEqual([keyA]);
    expect(knownHostKeys(text, "BUILD-HOST", 22).accepted).toEqual([keyA]);
    expect(knownHostKeys(text, "127.0.0.1", 2222).accepted).toEqual([keyB]);
    // On another port the bracketed entry does not apply, as in OpenSSH.
    expect(knownHostKeys(text, "127.0.0.1", 22).accepted).toEqual([]);
    expect(knownHostKeys(text, "n1.farm.example", 22).accepted).toEqual([keyA]);
    expect(knownHostKeys(text, "bad.farm.example", 22).accepted).toEqual([]);
    expect(knownHostKeys(text, "secret", 2200).accepted).toEqual([keyB]);
    expect(knownHostKeys(text, "secret", 22).accepted).toEqual([]);
    expect(knownHostsName("h", 22)).toBe("h");
    expect(knownHostsName("h", 2222)).toBe("[h]:2222");
  });

  it("skips @cert-authority lines and collects @revoked keys apart", () => {
    const text = [`@cert-authority * ssh-ed25519 ${b64(keyA)}`, `@revoked h ssh-ed25519 ${b64(keyB)}`, `h ssh-ed25519 ${b64(keyB)}`].join("\n");
    expect(knownHostKeys(text, "h", 22)).toEqual({ accepted: [keyB], revoked: [keyB] });
  });
});

describe("hostKeyVerifier", () => {
  const dir = mkdtempSync(join(tmpdir(), "verdict-known-hosts-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts only a listed, unrevoked key", () => {
    const file = join(dir, "known_hosts");
    writeFileSync(file, `h ssh-ed25519 ${b64(keyA)}\n`);
    const verify = hostKeyVerifier(file, "h", 22, "e1");
    expect(verify(keyA)).toBe(true);
    expect(verify(keyB)).toBe(false);
    writeFileSync(file, `h ssh-ed25519 ${b64(keyA)}\n@revoked h ssh-ed25519 ${b64(keyA)}\n`);
    expect(hostKeyVerifier(file, "h", 22, "e1")(keyA)).toBe(false);
  });

  it("says how to add a host that is not listed, or a file that is missing", () => {
    const file = join(dir, "empty");
    writeFileSync(file, "");
    expect(() => hostKeyVerifier(file, "h", 2222, "--engines entry 3")).toThrow(
      new SetupError(
        `--engines entry 3: ${file} lists no host key for [h]:2222; add the engine host's key, after checking its fingerprint: ssh-keyscan -p 2222 h >> ${file}`,
      ),
    );
    expect(() => hostKeyVerifier(join(dir, "nope"), "h", 22, "e")).toThrow(/e: cannot read known_hosts file .*nope \(ENOENT/);
  });
});
