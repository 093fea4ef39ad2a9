import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { existsSync } from "node:fs";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { DataFileSource } from "../../src/benchmarks/benchmark-config.js";
import { CHECKOUT_DATA_DIR, findDataSource, localDataDir, resolveDataFile, sha256File } from "../../src/benchmarks/data.js";
import { InputError, SetupError } from "../../src/core/errors.js";
import { buildCli, REPO } from "../helpers/eval-run.js";
import { testImage } from "../helpers/sandbox-image.js";

const FIXTURE = new URL("../fixtures/benchmarks/mini-mbpp.jsonl", import.meta.url);
const NAME = "mini/mini-mbpp.jsonl";

let content: Buffer;
let sha: string;
let server: Server;
let base: string;
let requests: string[];
let work: string;

beforeAll(async () => {
  content = await readFile(FIXTURE);
  sha = createHash("sha256").update(content).digest("hex");
  // A local stand-in for the canonical hosts: plain, gzipped, wrong bytes, missing.
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/plain.jsonl") return void res.end(content);
    if (req.url === "/data.jsonl.gz") return void res.end(gzipSync(content));
    if (req.url === "/tampered.jsonl") return void res.end(Buffer.concat([content, Buffer.from("\n")]));
    if (req.url === "/not-gzip.gz") return void res.end(content);
    res.statusCode = 404;
    res.end("no such file");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(async () => {
  requests = [];
  work = await mkdtemp(join(tmpdir(), "verdict-data-"));
  // CI exports VERDICT_DATA_DIR; these tests are about what happens without it.
  vi.stubEnv("VERDICT_DATA_DIR", "");
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(work, { recursive: true, force: true });
});

function source(path: string, overrides: Partial<DataFileSource> = {}): DataFileSource {
  return { file: NAME, url: `${base}${path}`, sha256: sha, gzip: path.endsWith(".gz"), ...overrides };
}

describe("resolveDataFile from a data directory", () => {
  it("takes --data first and checks the sha256", async () => {
    const dir = join(work, "data");
    await mkdir(join(dir, "mini"), { recursive: true });
    await writeFile(join(dir, NAME), content);
    vi.stubEnv("VERDICT_DATA_DIR", join(work, "elsewhere"));
    const got = await resolveDataFile(NAME, { dataDir: dir, source: source("/plain.jsonl") });
    expect(got).toEqual({ name: NAME, path: join(dir, NAME), sha256: sha, origin: "data-dir" });
    expect(requests).toEqual([]);
  });

  it("falls back to VERDICT_DATA_DIR", async () => {
    await mkdir(join(work, "mini"), { recursive: true });
    await writeFile(join(work, NAME), content);
    vi.stubEnv("VERDICT_DATA_DIR", work);
    const got = await resolveDataFile(NAME, { source: source("/plain.jsonl") });
    expect(got.origin).toBe("data-dir");
    expect(got.path).toBe(join(work, NAME));
  });

  it("rejects a wrong file, naming it and both hashes", async () => {
    await mkdir(join(work, "mini"), { recursive: true });
    await writeFile(join(work, NAME), "something else\n");
    const wrong = createHash("sha256").update("something else\n").digest("hex");
    const err = await resolveDataFile(NAME, { dataDir: work, source: source("/plain.jsonl") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const message = (err as Error).message;
    expect(message).toContain(join(work, NAME));
    expect(message).toContain(sha);
    expect(message).toContain(wrong);
  });

  it("says where it looked when the file is missing", async () => {
    const err = await resolveDataFile(NAME, { dataDir: work, source: source("/plain.jsonl") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`--data`);
    expect((err as Error).message).toContain(join(work, NAME));
  });
});

describe("the data directory beside the checkout", () => {
  const besideCheckout = () => join(work, "shared", "data");
  const layOut = async (dir: string, bytes: Buffer | string = content) => {
    await mkdir(join(dir, "mini"), { recursive: true });
    await writeFile(join(dir, NAME), bytes);
  };

  it("is ../shared/data next to the checkout verdict runs from", () => {
    expect(CHECKOUT_DATA_DIR).toBe(join(import.meta.dirname, "..", "..", "..", "shared", "data"));
  });

  it("is used after --data and VERDICT_DATA_DIR, whichever way verdict was started", async () => {
    vi.stubEnv("VERDICT_DATA_DIR", undefined);
    await layOut(besideCheckout());
    const got = await resolveDataFile(NAME, { cacheDir: join(work, "cache"), source: source("/plain.jsonl"), besideCheckout: besideCheckout() });
    expect(got).toEqual({ name: NAME, path: join(besideCheckout(), NAME), sha256: sha, origin: "data-dir" });
    expect(requests).toEqual([]);
    expect(localDataDir(undefined, besideCheckout())).toEqual({ dir: besideCheckout(), from: "beside the checkout" });
  });

  it("comes after --data and VERDICT_DATA_DIR", async () => {
    await layOut(besideCheckout(), "not this one\n");
    await layOut(join(work, "env"));
    vi.stubEnv("VERDICT_DATA_DIR", join(work, "env"));
    const got = await resolveDataFile(NAME, { source: source("/plain.jsonl"), besideCheckout: besideCheckout() });
    expect(got.path).toBe(join(work, "env", NAME));
    expect(localDataDir(join(work, "flag"), besideCheckout())).toEqual({ dir: join(work, "flag"), from: "--data" });
  });

  it("without the file there, falls through to the download cache (it is a convenience, not a promise)", async () => {
    vi.stubEnv("VERDICT_DATA_DIR", undefined);
    await mkdir(besideCheckout(), { recursive: true });
    const got = await resolveDataFile(NAME, { cacheDir: join(work, "cache"), source: source("/plain.jsonl"), besideCheckout: besideCheckout() });
    expect(got.origin).toBe("download");
  });

  it("with a wrong file there, stops with an error naming it", async () => {
    vi.stubEnv("VERDICT_DATA_DIR", undefined);
    await layOut(besideCheckout(), "something else\n");
    const err = await resolveDataFile(NAME, { cacheDir: join(work, "cache"), source: source("/plain.jsonl"), besideCheckout: besideCheckout() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(join(besideCheckout(), NAME));
  });

  it("is not used when VERDICT_DATA_DIR is set and empty", async () => {
    await layOut(besideCheckout());
    expect(localDataDir(undefined, besideCheckout())).toBeUndefined();
    const got = await resolveDataFile(NAME, { cacheDir: join(work, "cache"), source: source("/plain.jsonl"), besideCheckout: besideCheckout() });
    expect(got.origin).toBe("download");
  });
});

describe.skipIf(!existsSync(join(CHECKOUT_DATA_DIR, "mbpp", "mbpp.jsonl")))("the CLI started without ./verdict (npx verdict, npm run bench)", () => {
  it("finds the data beside the checkout with no --data, no VERDICT_DATA_DIR and an empty cache, offline", async () => {
    buildCli();
    await testImage();
    const { VERDICT_DATA_DIR: _unset, ...env } = process.env;
    const run = await execa(process.execPath, [join(REPO, "bin", "verdict.js"), "eval", "--benchmark", "mbpp", "--split", "prompt", "--samples", "reference", "--out", join(work, "run"), "--json"], {
      cwd: work,
      env: { ...env, VERDICT_CACHE_DIR: join(work, "cache") },
      extendEnv: false,
      reject: false,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    // Read where it lies, not fetched into the cache.
    expect(existsSync(join(work, "cache", "data"))).toBe(false);
    expect(JSON.parse(run.stdout)).toMatchObject({ benchmark: "mbpp", tasks: 10, outcomes: { pass: 10 } });
  }, 300_000);
});

describe("resolveDataFile downloading into the cache", () => {
  it.each([
    ["a plain file", "/plain.jsonl"],
    ["a gzipped asset, stored decompressed", "/data.jsonl.gz"],
  ])("downloads %s, checks it and reuses the cached copy", async (_what, path) => {
    const cacheDir = join(work, "cache");
    const first = await resolveDataFile(NAME, { cacheDir, source: source(path) });
    expect(first).toEqual({ name: NAME, path: join(cacheDir, NAME), sha256: sha, origin: "download" });
    expect(await readFile(first.path)).toEqual(content);
    const second = await resolveDataFile(NAME, { cacheDir, source: source(path) });
    expect(second.origin).toBe("cache");
    expect(requests).toEqual([path]);
  });

  it("uses $VERDICT_CACHE_DIR/data by default", async () => {
    vi.stubEnv("VERDICT_CACHE_DIR", join(work, "root"));
    const got = await resolveDataFile(NAME, { source: source("/plain.jsonl") });
    expect(got.path).toBe(join(work, "root", "data", NAME));
  });

  it("fails on a sha256 mismatch, naming the file and both hashes, and keeps nothing", async () => {
    const cacheDir = join(work, "cache");
    const tampered = createHash("sha256").update(Buffer.concat([content, Buffer.from("\n")])).digest("hex");
    const err = await resolveDataFile(NAME, { cacheDir, source: source("/tampered.jsonl") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupError);
    const message = (err as Error).message;
    expect(message).toContain(NAME);
    expect(message).toContain(`expected ${sha}`);
    expect(message).toContain(`got ${tampered}`);
    // Neither the bad file nor its temporary remains.
    expect(await readdir(join(cacheDir, "mini"))).toEqual([]);
  });

  it("downloads again when the cached copy no longer matches", async () => {
    const cacheDir = join(work, "cache");
    await mkdir(join(cacheDir, "mini"), { recursive: true });
    await writeFile(join(cacheDir, NAME), "truncated");
    const got = await resolveDataFile(NAME, { cacheDir, source: source("/plain.jsonl") });
    expect(got.origin).toBe("download");
    expect(await sha256File(got.path)).toBe(sha);
  });

  it.each([
    ["an HTTP error", "/missing.jsonl", /HTTP 404/],
    ["a broken gzip stream", "/not-gzip.gz", /failed/],
  ])("reports %s as a SetupError", async (_what, path, pattern) => {
    const err = await resolveDataFile(NAME, { cacheDir: join(work, "cache"), source: source(path) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SetupError);
    expect((err as Error).message).toMatch(pattern);
  });

  it("points at --data when the host is unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await resolveDataFile(NAME, {
      cacheDir: join(work, "cache"),
      source: source("/plain.jsonl", { url: `http://127.0.0.1:${port}/plain.jsonl` }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SetupError);
    expect((err as Error).message).toMatch(/--data or VERDICT_DATA_DIR/);
  });
});

describe("findDataSource", () => {
  it.each([
    ["mbpp/mbpp.jsonl", "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f", false],
    ["mbpp/sanitized-mbpp.json", "ca95deaa9a01ef0a6f439f88bcf0dd3db3563d22f22aad6cae04ebb9a8d8c8e9", false],
    ["mbpp/MbppPlus-v0.1.0.jsonl", "a855b9de667baea8e2f8aa61f898767a7336872208a85222b35622545e819fe9", true],
  ])("finds %s in the benchmark definitions", async (name, sha256, gzip) => {
    const found = await findDataSource(name);
    expect(found.sha256).toBe(sha256);
    expect(found.gzip).toBe(gzip);
    expect(found.url).toMatch(/^https:\/\//);
  });

  it("lists the known files for an unknown name", async () => {
    await expect(findDataSource("mbpp/nope.jsonl")).rejects.toThrow(/known: .*mbpp\/mbpp\.jsonl/);
  });
});
