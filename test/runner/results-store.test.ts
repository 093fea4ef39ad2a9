/**
 * The results store on a real file system: appends, a torn last line cut off, corrupt lines
 * named, the run-directory lock, and a disk that fills up mid-line (a real, tiny tmpfs).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, SetupError } from "../../src/core/errors.js";
import type { RunManifest } from "../../src/core/run.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { openResultsStore, readManifest, readVerdicts, RUN_FILES, writeJsonAtomic } from "../../src/runner/results-store.js";

const root = mkdtempSync(join(tmpdir(), "verdict-store-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
const newDir = (): string => join(root, `run-${++dirs}`);

/** A verdict as judgeSamples writes it; `pad` makes the line longer. */
function verdict(taskId: string, sampleIndex: number, pad = 0): SampleVerdict {
  return {
    task_id: taskId,
    sample_index: sampleIndex,
    status: sampleIndex % 2 === 0 ? "pass" : "wrong_answer",
    tests: [{ id: "test/0", outcome: sampleIndex % 2 === 0 ? "pass" : "wrong_answer", detail: "x".repeat(pad) }],
    weak: false,
    seconds: 0.01,
    cached: false,
    program_sha256: "0".repeat(64),
  };
}

const MANIFEST: RunManifest = {
  run_id: "r",
  verdict_version: "test",
  created_at: "2026-01-01T00:00:00.000Z",
  benchmark: "b",
  split: "all",
  data_sha256: {},
  samples_source: "s",
  sandbox: { backend: "docker", isolation: "pool", image: "i", imageId: "sha256:x", workers: 1, hashSeed: 0 },
  limits: {},
  k: [1],
  status: "running",
  node: process.version,
  host: { cpus: 1, platform: "linux" },
};

describe("openResultsStore", () => {
  it("appends one whole line per verdict and reads them back on reopen", () => {
    const dir = newDir();
    const store = openResultsStore(dir);
    for (let i = 0; i < 5; i++) store.append(verdict("1", i));
    expect(store.count).toBe(5);
    store.close();
    const text = readFileSync(join(dir, RUN_FILES.verdicts), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as SampleVerdict).sample_index)).toEqual([0, 1, 2, 3, 4]);
    const again = openResultsStore(dir);
    expect([...again.existing.keys()]).toEqual(["1#0", "1#1", "1#2", "1#3", "1#4"]);
    expect(again.repairedBytes).toBe(0);
    again.close();
  });

  it("cuts off a torn last line (a kill mid-write) and keeps every whole line", () => {
    const dir = newDir();
    const store = openResultsStore(dir);
    store.append(verdict("1", 0));
    store.append(verdict("1", 1));
    store.close();
    const path = join(dir, RUN_FILES.verdicts);
    const whole = readFileSync(path);
    const torn = JSON.stringify(verdict("1", 2)).slice(0, 37);
    writeFileSync(path, Buffer.concat([whole, Buffer.from(torn)]));
    const resumed = openResultsStore(dir);
    expect(resumed.repairedBytes).toBe(Buffer.byteLength(torn));
    expect([...resumed.existing.keys()]).toEqual(["1#0", "1#1"]);
    expect(readFileSync(path).equals(whole)).toBe(true);
    // The torn sample is judged again and lands on a line of its own.
    resumed.append(verdict("1", 2));
    resumed.close();
    expect(readVerdicts(path).verdicts.map((v) => v.sample_index)).toEqual([0, 1, 2]);
  });

  it("refuses a corrupt line in the middle, naming the file and line", () => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, RUN_FILES.verdicts);
    const lines = [verdict("1", 0), verdict("1", 1)].map((v) => JSON.stringify(v));
    writeFileSync(path, `${lines[0]}\n{"task_id": "1", "sample_ind\n${lines[1]}\n`);
    expect(() => openResultsStore(dir)).toThrow(InputError);
    expect(() => openResultsStore(dir)).toThrow(`${path}:2: corrupt verdict line (not JSON`);
    // Nothing was cut: the file is the user's to fix.
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(4);
    // The failed open did not keep the directory locked.
    expect(existsSync(join(dir, RUN_FILES.lock))).toBe(false);
  });

  it.each([
    ["a line that is JSON but not a verdict", '{"task_id": "1", "status": "pass"}', "corrupt verdict line (missing task_id, sample_index or status)"],
    ["a second verdict for one sample", JSON.stringify(verdict("1", 0)), "a second verdict for sample 1#0 (the first is on line 1)"],
  ])("refuses %s, naming the line", (_what, line, message) => {
    const dir = newDir();
    mkdirSync(dir, { recursive: true });
    const path = join(dir, RUN_FILES.verdicts);
    writeFileSync(path, `${JSON.stringify(verdict("1", 0))}\n\n${line}\n${JSON.stringify(verdict("1", 1))}\n`);
    expect(() => readVerdicts(path)).toThrow(`${path}:3: ${message}`);
  });

  it("locks the run directory against a second writer, and takes over the lock of a killed one", async () => {
    const dir = newDir();
    const first = openResultsStore(dir);
    expect(() => openResultsStore(dir)).toThrow(SetupError);
    expect(() => openResultsStore(dir)).toThrow(/is in use by process \d+/);
    first.close();
    expect(existsSync(join(dir, RUN_FILES.lock))).toBe(false);

    // A process that took the lock and was SIGKILLed leaves it behind.
    const child = spawn(process.execPath, ["-e", `require("fs").writeFileSync(${JSON.stringify(join(dir, RUN_FILES.lock))}, process.pid + " " + require("os").hostname() + "\\n"); setInterval(() => {}, 1000);`]);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(dir, RUN_FILES.lock))) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    expect(() => openResultsStore(dir)).toThrow(/in use by process/);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const resumed = openResultsStore(dir);
    expect(readFileSync(join(dir, RUN_FILES.lock), "utf8")).toContain(String(process.pid));
    resumed.close();
  });

  it("writes the manifest atomically and reads it back", () => {
    const dir = newDir();
    const store = openResultsStore(dir);
    store.writeManifest(MANIFEST);
    store.writeManifest({ ...MANIFEST, status: "complete" });
    store.close();
    expect(readManifest(dir)?.status).toBe("complete");
    expect(readdirSync(dir).sort()).toEqual([RUN_FILES.manifest, RUN_FILES.samples, RUN_FILES.verdicts].sort());
  });
});

// Mounting a tmpfs needs root; CI runs as root, as the Docker tests need.
const canMount = process.getuid?.() === 0 && spawnSync("mount", ["--version"]).status === 0;

describe.skipIf(!canMount)("a results disk that fills up (a real 64 KiB tmpfs)", () => {
  it("fails with a clear error, cuts the partial line off, and appends again once space is freed", () => {
    const mnt = mkdtempSync(join(tmpdir(), "verdict-full-"));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], { encoding: "utf8" });
    expect(mounted.status, mounted.stderr).toBe(0);
    try {
      const dir = join(mnt, "run");
      const store = openResultsStore(dir);
      store.writeManifest(MANIFEST);
      let error: unknown;
      let appended = 0;
      try {
        // Lines of ~1.1 KB: the disk fills part-way through one of them.
        for (; appended < 1000; appended++) store.append(verdict("1", appended, 900));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SetupError);
      expect(String(error)).toMatch(
        new RegExp(`the results disk is full: cannot write ${join(dir, RUN_FILES.verdicts)} \\(ENOSPC.*the ${appended} verdict line\\(s\\) before it are intact; free some space first`),
      );
      expect(appended).toBeGreaterThan(5);
      const path = join(dir, RUN_FILES.verdicts);
      const text = readFileSync(path, "utf8");
      expect(text.endsWith("\n")).toBe(true);
      const lines = text.split("\n").filter(Boolean);
      expect(lines).toHaveLength(appended);
      expect(lines.map((l) => (JSON.parse(l) as SampleVerdict).sample_index)).toEqual([...Array(appended).keys()]);

      // A manifest write on the full disk fails the same way and leaves no temp file.
      expect(() => store.writeManifest({ ...MANIFEST, status: "interrupted" })).toThrow(/the results disk is full/);
      expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
      expect(readManifest(dir)?.status).toBe("running");
      store.close();

      // Room again: the run continues where it stopped.
      spawnSync("mount", ["-o", "remount,size=1m", mnt]);
      expect(statfsSync(mnt).bavail).toBeGreaterThan(0);
      const resumed = openResultsStore(dir);
      expect(resumed.existing.size).toBe(appended);
      expect(resumed.repairedBytes).toBe(0);
      resumed.append(verdict("1", appended, 900));
      resumed.close();
      expect(readVerdicts(path).verdicts).toHaveLength(appended + 1);
    } finally {
      spawnSync("umount", ["-l", mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  it("writeJsonAtomic leaves neither a temp file nor half a file when the disk is full", () => {
    const mnt = mkdtempSync(join(tmpdir(), "verdict-full-"));
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", mnt]).status).toBe(0);
    try {
      const path = join(mnt, "big.json");
      writeJsonAtomic(path, { small: true });
      expect(() => writeJsonAtomic(path, { big: "y".repeat(64 * 1024) })).toThrow(/the results disk is full: cannot write .*big\.json \(ENOSPC/);
      expect(readdirSync(mnt)).toEqual(["big.json"]);
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ small: true });
    } finally {
      spawnSync("umount", ["-l", mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });
});
