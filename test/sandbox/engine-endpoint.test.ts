import { describe, expect, it } from "vitest";
import { InputError } from "../../src/core/errors.js";
import {
  defaultEngineEndpoint,
  engineListSchema,
  parseEngineEntry,
  parseEngineList,
  resolveEngineList,
  splitEngineList,
} from "../../src/sandbox/engine-endpoint.js";

const env = { HOME: "/home/ci" };
const parse = (entry: Parameters<typeof parseEngineEntry>[0]) => parseEngineEntry(entry, "--engines entry 1", env, "/etc/verdict");

describe("parseEngineEntry", () => {
  it.each([
    ["unix:///var/run/docker.sock", { transport: "unix", socketPath: "/var/run/docker.sock", workers: undefined, label: "unix:///var/run/docker.sock" }],
    ["unix:///run/d%20x.sock?workers=3", { transport: "unix", socketPath: "/run/d x.sock", workers: 3 }],
    [
      "tcp://10.0.0.7:2376",
      { transport: "tcp", host: "10.0.0.7", port: 2376, tls: { ca: "/home/ci/.docker/ca.pem", cert: "/home/ci/.docker/cert.pem", key: "/home/ci/.docker/key.pem" } },
    ],
    [
      "tcp://10.0.0.7:2376?cert_path=certs&workers=8&name=big-box",
      { host: "10.0.0.7", workers: 8, label: "big-box", tls: { ca: "/etc/verdict/certs/ca.pem", cert: "/etc/verdict/certs/cert.pem", key: "/etc/verdict/certs/key.pem" } },
    ],
    ["tcp://10.0.0.7:2376?ca=/c/ca.pem", { tls: { ca: "/c/ca.pem" } }],
    ["tcp://10.0.0.7:2376?ca=/c/ca.pem&cert=~/c.pem&key=/c/k.pem", { tls: { ca: "/c/ca.pem", cert: "/home/ci/c.pem", key: "/c/k.pem" } }],
    ["tcp://127.0.0.1:2375?tls=0", { transport: "tcp", port: 2375, tls: null }],
    ["tcp://[::1]:2376", { host: "::1", label: "tcp://[::1]:2376" }],
    [
      "ssh://ci@build-host",
      { transport: "ssh", host: "build-host", port: 22, user: "ci", identity: undefined, knownHosts: "/home/ci/.ssh/known_hosts", label: "ssh://ci@build-host" },
    ],
    [
      "ssh://ci@127.0.0.1:2222?identity=/k/id&known_hosts=kh&workers=2",
      { port: 2222, identity: "/k/id", knownHosts: "/etc/verdict/kh", workers: 2, label: "ssh://ci@127.0.0.1:2222" },
    ],
  ])("%s", (entry, expected) => {
    expect(parse(entry)).toMatchObject(expected);
  });

  it("with explicit TLS files, uses only those (no client certificate unless given)", () => {
    expect(parse("tcp://h:2376?ca=/c/ca.pem")).toMatchObject({ tls: { ca: "/c/ca.pem" } });
    expect((parse("tcp://h:2376?ca=/c/ca.pem") as { tls: object }).tls).toEqual({ ca: "/c/ca.pem" });
    expect((parse("tcp://h:2376?cert_path=/d&cert=/c.pem&key=/k.pem") as { tls: object }).tls).toEqual({ ca: "/d/ca.pem", cert: "/c.pem", key: "/k.pem" });
  });

  it("takes the object form of a config, with the same fields", () => {
    expect(parse({ url: "tcp://10.0.0.7:2376", cert_path: "/certs", workers: 4 })).toMatchObject({
      transport: "tcp",
      workers: 4,
      tls: { ca: "/certs/ca.pem", cert: "/certs/cert.pem", key: "/certs/key.pem" },
    });
    expect(engineListSchema.safeParse(["unix:///a.sock", { url: "ssh://x@h", workers: 2 }]).success).toBe(true);
    expect(engineListSchema.safeParse([]).success).toBe(false);
  });

  it("uses DOCKER_CERT_PATH for tcp endpoints without their own TLS files", () => {
    const ep = parseEngineEntry("tcp://h:2376", "VERDICT_ENGINES entry 1", { HOME: "/root", DOCKER_CERT_PATH: "/d" });
    expect(ep).toMatchObject({ tls: { ca: "/d/ca.pem", cert: "/d/cert.pem", key: "/d/key.pem" } });
  });

  it.each([
    ["docker.sock", "expected unix:///path, tcp://host:port or ssh://user@host[:port]"],
    ["http://h:2375", "unsupported scheme http; expected unix://, tcp:// or ssh://"],
    ["unix://var/run/docker.sock", "a unix socket URL has three slashes"],
    ["unix:///", "expected a socket path"],
    ["tcp://h", "expected a port (tcp://host:2376)"],
    ["tcp://h:99999", "not a valid URL"],
    ["tcp://h:2376/v1.41", "unexpected path /v1.41"],
    ["tcp://u@h:2376", "only ssh:// endpoints take a user name"],
    ["ssh://u:pw@h", "no passwords in engine URLs"],
    ["tcp://h:2376?workers=0", "workers: expected at least 1"],
    ["tcp://h:2376?workers=1.5", "workers: expected a whole number"],
    ["tcp://h:2376?workers=many", "workers: expected a whole number"],
    ["tcp://h:2376?tls=no", "tls: expected 0 (plain HTTP) or 1 (TLS)"],
    ["tcp://h:2376?tls=0&cert_path=/c", "tls=0 contradicts cert_path"],
    ["tcp://h:2376?cert=/c.pem", "cert and key go together"],
    ["tcp://h:2376?identity=/k", "identity does not apply to tcp endpoints"],
    ["ssh://u@h?cert_path=/c&ca=/a", "cert_path, ca do not apply to ssh endpoints"],
    ["unix:///s?known_hosts=/k", "known_hosts does not apply to unix endpoints"],
    ["unix:///s?wrokers=2", "wrokers: unknown setting; expected name, workers, tls, cert_path, ca, cert, key, identity, known_hosts"],
    ["unix:///s?workers", 'expected key=value settings after \'?\', got "workers"'],
    ["unix:///s?workers=1&workers=2", "workers is given twice"],
    ["unix:///s?name=a/b", "name: letters, digits"],
  ])("refuses %s", (entry, message) => {
    const attempt = () => parse(entry);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(`--engines entry 1 (${entry}): ${message}`);
  });
});

describe("parseEngineList", () => {
  it("splits on commas and whitespace, and numbers entries in errors", () => {
    expect(splitEngineList(" unix:///a.sock,tcp://h:2376?tls=0\n ssh://u@h ")).toEqual(["unix:///a.sock", "tcp://h:2376?tls=0", "ssh://u@h"]);
    expect(() => parseEngineList(["unix:///a.sock", "tcp://h"], "--engines", env)).toThrow("--engines entry 2 (tcp://h): expected a port");
  });

  it("refuses the same engine listed twice, and an empty list", () => {
    expect(() => parseEngineList(["unix:///a.sock", "unix:///a.sock?workers=2"], "--engines", env)).toThrow(
      "--engines entry 2 (unix:///a.sock?workers=2): the same engine as --engines entry 1 (unix:///a.sock)",
    );
    expect(parseEngineList(["unix:///a.sock?name=a", "unix:///a.sock?name=b"], "--engines", env)).toHaveLength(2);
    expect(() => parseEngineList([], "VERDICT_ENGINES", env)).toThrow("VERDICT_ENGINES: list at least one engine");
  });
});

describe("resolveEngineList", () => {
  const config = ["unix:///from-config.sock", { url: "tcp://h:2376", cert_path: "certs" }];

  it("takes --engines over VERDICT_ENGINES over the config over DOCKER_HOST", () => {
    const labels = (s: Parameters<typeof resolveEngineList>[0]) => resolveEngineList(s).map((e) => e.label);
    const e = { ...env, VERDICT_ENGINES: "unix:///from-env.sock", DOCKER_HOST: "unix:///docker-host.sock" };
    expect(labels({ flag: "unix:///from-flag.sock", env: e, config })).toEqual(["unix:///from-flag.sock"]);
    expect(labels({ flag: "", env: e, config })).toEqual(["unix:///from-env.sock"]);
    expect(labels({ env: { ...e, VERDICT_ENGINES: "" }, config })).toEqual(["unix:///from-config.sock", "tcp://h:2376"]);
    expect(labels({ env: { DOCKER_HOST: "unix:///docker-host.sock" } })).toEqual(["unix:///docker-host.sock"]);
  });

  it("names the config file in errors and takes its relative paths from its folder", () => {
    const [, tcp] = resolveEngineList({ env, config, configFile: "/srv/run.yaml" });
    expect(tcp).toMatchObject({ tls: { ca: "/srv/certs/ca.pem" } });
    expect(() => resolveEngineList({ env, config: ["tcp://h"], configFile: "/srv/run.yaml" })).toThrow(
      "/srv/run.yaml: sandbox.engines entry 1 (tcp://h): expected a port",
    );
  });
});

describe("defaultEngineEndpoint", () => {
  it("follows the docker CLI: the default socket, DOCKER_HOST, TLS only when asked for", () => {
    expect(defaultEngineEndpoint({})).toMatchObject({ transport: "unix", socketPath: "/var/run/docker.sock" });
    expect(defaultEngineEndpoint({ DOCKER_HOST: "tcp://h:2375" })).toMatchObject({ transport: "tcp", tls: null });
    expect(defaultEngineEndpoint({ DOCKER_HOST: "h:2376", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: "/d" })).toMatchObject({
      host: "h",
      tls: { ca: "/d/ca.pem" },
    });
    expect(defaultEngineEndpoint({ DOCKER_HOST: "ssh://ci@h", HOME: "/home/ci" })).toMatchObject({ transport: "ssh", user: "ci" });
  });
});
