/**
 * Several Docker engines for real: two extra dockerd instances on this machine (a unix socket
 * one, a TLS one on a loopback port) and one behind a local sshd, started and removed by
 * scripts/extra-dockerd.sh. Covers src/sandbox/engine-connect.ts (each transport, and the ways
 * a connection is refused) and src/sandbox/image-transfer.ts (save → load, idempotent), and
 * runs one job through createDockerSandbox on each engine. Root only.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError, SetupError } from "../../src/core/errors.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { connectEngine, connectEngines, type ConnectedEngine } from "../../src/sandbox/engine-connect.js";
import { parseEngineEntry, parseEngineList } from "../../src/sandbox/engine-endpoint.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import { copyImage, ensureImageOnEngines } from "../../src/sandbox/image-transfer.js";
import { stillRunning } from "../../src/sandbox/local-engines.js";
import { extraEnginesUnavailable, startExtraEngines, type ExtraEngines } from "../helpers/extra-engines.js";
import { testImage } from "../helpers/sandbox-image.js";

const unavailable = extraEnginesUnavailable();
const arithmetic = readFileSync(new URL("../fixtures/python/arithmetic.py", import.meta.url), "utf8");
const TEST_LABEL = "verdict.test";

describe.skipIf(unavailable !== undefined)("a pool's engines over unix, TLS and SSH", () => {
  let extra: ExtraEngines;
  let image: { tag: string; id: string };
  let engines: ConnectedEngine[];
  const entry = (where: string, text: string) => parseEngineEntry(text, where);

  beforeAll(async () => {
    image = await testImage();
    extra = await startExtraEngines();
  });

  afterAll(async () => {
    if (!extra) return;
    const daemons = extra.processes();
    expect(daemons.map((p) => p.what).sort()).toEqual(["dockerd ssh", "dockerd tls", "dockerd unix", "sshd"]);
    await extra.stop();
    // Nothing is left: no directory (sockets, certificates, keys, data roots), no daemon (a
    // zombie, dead but not yet reaped by whoever adopted it, is no daemon; a reused pid neither).
    expect(existsSync(extra.dir)).toBe(false);
    expect(stillRunning(daemons)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(extra.dir);
  });

  it("connects to each engine and reads what it is; workers default to its CPUs", async () => {
    const list = parseEngineList([extra.entry("unix"), extra.entry("tls", { workers: "3" }), extra.entry("ssh")], "--engines");
    engines = await connectEngines(list);
    const main = await connectEngine(entry("main", "unix:///var/run/docker.sock"));
    expect(new Set([main, ...engines].map((e) => e.info.id)).size).toBe(4);
    for (const e of engines) {
      expect(e.info.serverVersion).toBe(main.info.serverVersion);
      expect(e.info.cpus).toBe(main.info.cpus);
      expect(e.info.apiVersion).toMatch(/^1\.\d+$/);
      expect(e.info.runtimes).toContain("runc");
    }
    expect(engines.map((e) => [e.endpoint.transport, e.workers])).toEqual([
      ["unix", main.info.cpus],
      ["tcp", 3],
      ["ssh", main.info.cpus],
    ]);
  });

  it("refuses a TLS engine it cannot verify or that wants a client certificate, and an SSH host key it does not know", async () => {
    const tls = extra.engines.tls!;
    const ssh = extra.engines.ssh!;
    const dir = tls.cert_path!;
    // The client certificate is no CA: the engine's certificate does not chain to it.
    await expect(connectEngine(entry("wrong CA", `${tls.url}?ca=${dir}/cert.pem&cert=${dir}/cert.pem&key=${dir}/key.pem`))).rejects.toThrow(
      /wrong CA \(.*\): cannot reach the Docker engine: .*(verify|issuer|self.signed)/i,
    );
    await expect(connectEngine(entry("no client cert", `${tls.url}?ca=${dir}/ca.pem`))).rejects.toThrow(/bad certificate/);
    await expect(connectEngine(entry("plain", `${tls.url}?tls=0`))).rejects.toThrow(
      new SetupError(`plain (${tls.url}?tls=0): cannot reach the Docker engine: (HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.`),
    );
    await expect(connectEngine(entry("missing", `${tls.url}?cert_path=${extra.dir}/nowhere`))).rejects.toThrow(
      new InputError(`missing (${tls.url}?cert_path=${extra.dir}/nowhere): cannot read the CA certificate ${extra.dir}/nowhere/ca.pem: ENOENT (TLS files: cert_path=, or ca=/cert=/key=, or DOCKER_CERT_PATH; tls=0 for plain HTTP)`),
    );

    // A known_hosts that lists another key for this host and port: the connection is refused.
    const forged = `${extra.dir}/forged_known_hosts`;
    const port = new URL(ssh.url).port;
    writeFileSync(forged, `[127.0.0.1]:${port} ${readFileSync(`${ssh.identity!}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
    await expect(connectEngine(entry("forged", `${ssh.url}?identity=${ssh.identity}&known_hosts=${forged}`))).rejects.toThrow(
      /forged \(.*\): cannot reach the Docker engine: .*verification failed/i,
    );
    writeFileSync(forged, "");
    await expect(connectEngine(entry("unknown", `${ssh.url}?identity=${ssh.identity}&known_hosts=${forged}`))).rejects.toThrow(
      `lists no host key for [127.0.0.1]:${port}; add the engine host's key, after checking its fingerprint: ssh-keyscan -p ${port} 127.0.0.1 >> ${forged}`,
    );
  });

  it("refuses two entries that reach the same engine", async () => {
    const tls = extra.engines.tls!;
    const list = parseEngineList([`unix://${tls.socket}`, extra.entry("tls")], "--engines");
    await expect(connectEngines(list)).rejects.toThrow(/--engines entry 2 \(.*\) reaches the same Docker engine \(ID .*\) as --engines entry 1/);
  });

  it("copies the image to every engine by docker save → docker load, once", async () => {
    const main = { docker: connectDocker(), label: "main engine" };
    const targets = engines.map((e) => ({ docker: e.docker, label: e.endpoint.label }));
    const first = await ensureImageOnEngines([...targets, main], image.tag);
    expect(first.map((c) => c.action)).toEqual(["loaded", "loaded", "loaded", "present"]);
    expect(first.every((c) => c.id === image.id && c.tag === image.tag)).toBe(true);
    expect(first[0]!.bytes).toBeGreaterThan(10_000_000);
    const again = await ensureImageOnEngines([main, ...targets], image.tag);
    expect(again.map((c) => c.action)).toEqual(["present", "present", "present", "present"]);
    await expect(copyImage(targets[0]!, main, "verdict-python:no-such-recipe")).rejects.toThrow(
      `${targets[0]!.label} has no image verdict-python:no-such-recipe to copy`,
    );
  });

  it("runs a job in a sandbox pool on each engine, and leaves no container behind", async () => {
    const label = { [TEST_LABEL]: `engines-${process.pid}` };
    for (const e of engines) {
      const pool = await createDockerSandbox(e.docker, {
        image: image.tag,
        isolation: "pool",
        workers: 1,
        memoryMb: 256,
        cpus: 1,
        pidsLimit: 64,
        tmpfsMb: 16,
        hashSeed: 0,
        labels: label,
      });
      try {
        expect(pool.info.imageId).toBe(image.id);
        const result = await pool.run({
          id: `engines-${e.endpoint.transport}`,
          program: arithmetic,
          setup: "",
          tests: [{ kind: "call", fn: "add", args: [2, 3] }, { kind: "expr", src: "double(21)" }],
          limits: { testSeconds: 5, loadSeconds: 5, memoryMb: 256, outputBytes: 65536, valueBytes: 65536 },
          continueAfterCrash: false,
        });
        expect(result.load.st, e.endpoint.label).toBe("ok");
        expect(result.tests.map((t) => [t.st, t.v])).toEqual([
          ["value", 5],
          ["value", 42],
        ]);
      } finally {
        await pool.close();
      }
      const left = await e.docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${label[TEST_LABEL]}`] } });
      expect(left).toEqual([]);
    }
  });
});

if (unavailable !== undefined) it.skip(`a pool's engines over unix, TLS and SSH: not run here: ${unavailable}`, () => {});
