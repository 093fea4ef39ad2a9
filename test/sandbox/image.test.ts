import { createHash, randomUUID } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type Docker from "dockerode";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupError } from "../../src/core/errors.js";
import { connectDocker } from "../../src/sandbox/engine.js";
import {
  ensureImage,
  IMAGE_REPO,
  imageStatus,
  imageTag,
  MANAGED_LABEL,
  pruneSandbox,
  RECIPE_DIR,
  RECIPE_LABEL,
  recipeHash,
  RUNNER_SOURCE,
  runnerSources,
} from "../../src/sandbox/image.js";
import { RUNNER_PATH_IN_CONTAINER as RUNNER_PATH } from "../../src/sandbox/container-spec.js";
import { createDockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { testImage } from "../helpers/sandbox-image.js";

/** A throwaway copy of the recipe directory. */
function copyRecipe(): string {
  const dir = mkdtempSync(join(tmpdir(), "verdict-recipe-"));
  cpSync(RECIPE_DIR, dir, { recursive: true });
  return dir;
}

describe("recipeHash", () => {
  it("is 12 hex chars, stable, and names the image tag", () => {
    const hash = recipeHash();
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(recipeHash()).toBe(hash);
    expect(imageTag()).toBe(`verdict-python:${hash}`);
  });

  it("depends on file contents only, not on where the recipe lives", () => {
    const copy = copyRecipe();
    try {
      expect(recipeHash(copy)).toBe(recipeHash());
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("changes when any file changes, is added or is renamed, and ignores bytecode caches", () => {
    const copy = copyRecipe();
    try {
      const before = recipeHash(copy);
      writeFileSync(join(copy, "README.md"), "changed\n", { flag: "a" });
      const edited = recipeHash(copy);
      expect(edited).not.toBe(before);

      writeFileSync(join(copy, "extra.txt"), "x");
      const added = recipeHash(copy);
      expect(added).not.toBe(edited);

      rmSync(join(copy, "extra.txt"));
      writeFileSync(join(copy, "other.txt"), "x");
      expect(recipeHash(copy)).not.toBe(added);
      rmSync(join(copy, "other.txt"));
      expect(recipeHash(copy)).toBe(edited);

      mkdirSync(join(copy, "__pycache__"));
      writeFileSync(join(copy, "__pycache__", "runner.cpython-311.pyc"), "bytecode");
      expect(recipeHash(copy)).toBe(edited);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

/** Exit code and demultiplexed output of a finished container. */
interface Finished {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into stdout and stderr. */
function demux(raw: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const size = raw.readUInt32BE(at + 4);
    const chunk = raw.subarray(at + 8, at + 8 + size);
    (raw[at] === 2 ? err : out).push(chunk);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/** Runs one container of `image` to completion (no network, labelled) and removes it. */
async function runInImage(docker: Docker, image: string, cmd?: string[]): Promise<Finished> {
  const container = await docker.createContainer({
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    Labels: { [MANAGED_LABEL]: "1" },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const { stdout, stderr } = demux(logs);
    return { exitCode: StatusCode, stdout, stderr: stderr.toString("utf8") };
  } finally {
    await container.remove({ force: true });
  }
}

describe("the sandbox image", () => {
  const docker = connectDocker();
  let image: { tag: string; id: string };

  beforeAll(async () => {
    image = await testImage();
  });

  it("is tagged with the recipe hash and labelled as verdict's", async () => {
    expect(image.tag).toBe(imageTag());
    const info = await docker.getImage(image.tag).inspect();
    expect(info.Id).toBe(image.id);
    expect(info.Config.Labels).toMatchObject({ [MANAGED_LABEL]: "1", [RECIPE_LABEL]: recipeHash() });
    expect(info.Config.Cmd).toEqual(["python3", "-S", "-B", RUNNER_PATH]);
    expect(info.Config.Env).toEqual(expect.arrayContaining(["LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"]));
  });

  it("ensureImage is idempotent: a second call returns the same id without building", async () => {
    const started = Date.now();
    const lines: string[] = [];
    const again = await ensureImage(docker, { log: (l) => lines.push(l) });
    expect(again).toEqual({ tag: image.tag, id: image.id, built: false });
    expect(lines).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("builds a new recipe once when several callers ask at the same time", async () => {
    const copy = copyRecipe();
    writeFileSync(join(copy, "variant.txt"), randomUUID());
    const tag = imageTag(copy);
    try {
      const [a, b] = await Promise.all([ensureImage(docker, { recipeDir: copy }), ensureImage(docker, { recipeDir: copy })]);
      expect([a.built, b.built].sort()).toEqual([false, true]);
      expect(a).toMatchObject({ tag, id: b.id });
      const info = await docker.getImage(tag).inspect();
      expect(info.Config.Labels?.[RECIPE_LABEL]).toBe(recipeHash(copy));
    } finally {
      await docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("has the full standard library, the runner, the job user and the scratch mount points", async () => {
    const probe = [
      "import sqlite3, decimal, fractions, heapq, re, collections, itertools, math, statistics, json, ctypes",
      "import os, pwd, grp, stat, sys",
      "con = sqlite3.connect(':memory:'); assert con.execute('select 6*7').fetchone() == (42,)",
      "assert str(decimal.Decimal(1) / decimal.Decimal(8)) == '0.125'",
      "assert ctypes.sizeof(ctypes.c_int64) == 8",
      `st = os.stat('${RUNNER_PATH}')`,
      "u = pwd.getpwuid(10000); g = grp.getgrgid(10000)",
      "print(json.dumps({'mode': oct(stat.S_IMODE(st.st_mode)), 'owner': [st.st_uid, st.st_gid],",
      "  'user': [u.pw_name, u.pw_gid, u.pw_dir], 'group': g.gr_name, 'python': sys.version.split()[0],",
      "  'tmp': os.path.isdir('/tmp'), 'shm': os.path.isdir('/dev/shm'), 'lang': os.environ.get('LANG')}))",
    ].join("\n");
    const run = await runInImage(docker, image.tag, ["python3", "-S", "-B", "-c", probe]);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout.toString("utf8"))).toEqual({
      mode: "0o644",
      owner: [0, 0],
      user: ["job", 10000, "/tmp/job"],
      group: "job",
      python: expect.stringMatching(/^3\.11\./),
      tmp: true,
      shm: true,
      lang: "C.UTF-8",
    });
  });

  it("holds the runner's package beside runner.py, every module as in the recipe (root, 0644)", async () => {
    const probe = [
      "import hashlib, json, os, stat",
      `d = os.path.join(os.path.dirname('${RUNNER_PATH}'), 'verdict_runner')`,
      "out = {}",
      "for n in sorted(os.listdir(d)):",
      "    st = os.stat(os.path.join(d, n))",
      "    out[n] = [hashlib.sha256(open(os.path.join(d, n), 'rb').read()).hexdigest(), oct(stat.S_IMODE(st.st_mode)), st.st_uid]",
      "print(json.dumps(out))",
    ].join("\n");
    const run = await runInImage(docker, image.tag, ["python3", "-S", "-B", "-c", probe]);
    expect(run.exitCode).toBe(0);
    const expected = Object.fromEntries(
      runnerSources()
        .filter((f) => f !== RUNNER_SOURCE)
        .map((f) => [basename(f), [createHash("sha256").update(readFileSync(f)).digest("hex"), "0o644", 0]]),
    );
    expect(JSON.parse(run.stdout.toString("utf8"))).toEqual(expected);
  });

  it.each([256, DEFAULT_LIMITS.memoryMb])(
    "a job imports Debian's numpy and computes with it under an address-space limit of %i MiB",
    async (memoryMb) => {
      const pool = await createDockerSandbox(docker, {
        image: image.tag,
        isolation: "pool",
        workers: 1,
        memoryMb: memoryMb + 256,
        cpus: 1,
        pidsLimit: 64,
        tmpfsMb: 32,
        hashSeed: 0,
        labels: { "verdict.test": `image-numpy-${randomUUID().slice(0, 8)}` },
      });
      try {
        const program = [
          "import numpy as np",
          "def solve(n):",
          "    a = np.arange(1, n * n + 1, dtype=float).reshape(n, n) + np.eye(n) * n * n",
          "    return [float(np.linalg.det(a) > 0), float(np.dot(a, a).sum()), float(np.linalg.inv(a) @ a @ np.ones(n) @ np.ones(n))]",
        ].join("\n");
        const raw = await pool.run({
          id: `numpy-${memoryMb}`,
          program,
          setup: "",
          tests: [{ kind: "call", fn: "solve", args: [60] }],
          limits: { ...DEFAULT_LIMITS, memoryMb },
          continueAfterCrash: false,
        });
        expect(raw.load).toEqual({ st: "ok" });
        expect(raw.tests[0]?.st, JSON.stringify(raw.tests[0])).toBe("value");
        const v = raw.tests[0]?.v as { f: number }[];
        expect(v[0]).toEqual({ f: 1 });
        expect(v[2]?.f).toBeCloseTo(60, 6);
      } finally {
        await pool.close();
      }
    },
  );

  it("starts the runner as PID 1 by default, which greets with a hello frame", async () => {
    // Without an attached stdin the runner sees EOF right after its greeting and exits 0.
    const run = await runInImage(docker, image.tag);
    expect(run.exitCode).toBe(0);
    const length = run.stdout.readUInt32BE(0);
    const hello = JSON.parse(run.stdout.subarray(4, 4 + length).toString("utf8")) as Record<string, unknown>;
    expect(hello).toMatchObject({ op: "hello", protocol: 2, pid: 1, uid: 0 });
  });

  it("imageStatus reports the current image with its size", async () => {
    const status = await imageStatus(docker);
    expect(status.tag).toBe(image.tag);
    expect(status.current?.id).toBe(image.id);
    expect(status.current?.sizeBytes).toBeGreaterThan(10e6);
    expect(status.others.map((o) => o.tag)).not.toContain(image.tag);
  });
});

describe("ensureImage preconditions", () => {
  it("throws SetupError naming runner.py when the recipe lacks it", async () => {
    const copy = copyRecipe();
    try {
      rmSync(join(copy, "runner.py"));
      const attempt = ensureImage(connectDocker(), { recipeDir: copy });
      await expect(attempt).rejects.toBeInstanceOf(SetupError);
      await expect(attempt).rejects.toThrow(/runner\.py is missing/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe("pruneSandbox", () => {
  const docker = connectDocker();
  // A label of our own narrows each sweep to what this test made, so other verdict processes
  // sharing the engine keep their containers.
  const mine = { "verdict.test": randomUUID() };
  const bystander = { "verdict.test": randomUUID() };
  const scratch = mkdtempSync(join(tmpdir(), "verdict-prune-"));
  let image: { tag: string; id: string };

  beforeAll(async () => {
    image = await testImage();
  });

  afterAll(async () => {
    await pruneSandbox(docker, { images: true, labels: mine });
    await pruneSandbox(docker, { images: true, labels: bystander });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Creates (and optionally starts) a long-sleeping labelled container. */
  async function sleeper(labels: Record<string, string>, start: boolean): Promise<Docker.Container> {
    const c = await docker.createContainer({
      Image: image.tag,
      Cmd: ["sleep", "300"],
      Labels: { [MANAGED_LABEL]: "1", ...labels },
      HostConfig: { NetworkMode: "none" },
    });
    if (start) await c.start();
    return c;
  }

  /** HTTP status of inspecting a container (200 when it exists). */
  async function inspectStatus(c: Docker.Container): Promise<number> {
    try {
      await c.inspect();
      return 200;
    } catch (err) {
      return (err as { statusCode?: number }).statusCode ?? 0;
    }
  }

  it("removes labelled containers, running or not, and leaves others alone", async () => {
    const running = await sleeper(mine, true);
    const stopped = await sleeper(mine, false);
    const other = await sleeper(bystander, false);

    const result = await pruneSandbox(docker, { labels: mine });
    expect(result).toEqual({ containers: 2, images: 0, failures: [] });
    expect(await inspectStatus(running)).toBe(404);
    expect(await inspectStatus(stopped)).toBe(404);
    expect(await inspectStatus(other)).toBe(200);

    expect(await pruneSandbox(docker, { labels: mine })).toEqual({ containers: 0, images: 0, failures: [] });
  });

  it("with images, removes stale verdict images but keeps the current one", async () => {
    // A one-file image standing in for one built from an older recipe.
    writeFileSync(join(scratch, "stale.txt"), "stale\n");
    const tar = join(scratch, "stale.tar");
    await execa("tar", ["-C", scratch, "-cf", tar, "stale.txt"]);
    const staleTag = `stale-${mine["verdict.test"].slice(0, 8)}`;
    const stream = await docker.importImage(tar, {
      repo: IMAGE_REPO,
      tag: staleTag,
      changes: [`LABEL ${MANAGED_LABEL}=1`, `LABEL verdict.test=${mine["verdict.test"]}`],
    });
    await new Promise((resolve, reject) => docker.modem.followProgress(stream, (e) => (e ? reject(e) : resolve(null))));

    const before = await imageStatus(docker);
    expect(before.others.map((o) => o.tag)).toContain(`${IMAGE_REPO}:${staleTag}`);

    const result = await pruneSandbox(docker, { images: true, labels: mine });
    expect(result).toEqual({ containers: 0, images: 1, failures: [] });
    const after = await imageStatus(docker);
    expect(after.others.map((o) => o.tag)).not.toContain(`${IMAGE_REPO}:${staleTag}`);
    expect(after.current?.id).toBe(image.id);
  });
});
