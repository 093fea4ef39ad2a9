import { mkdtemp, rm, writeFile, appendFile, mkdir, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it, expect } from "vitest";
import { InputError } from "../../src/core/index.js";
import { readRunDir, resolveRunDir } from "../../src/report/run-dir.js";
import { verdict, writeRun } from "../fixtures/runs/write-run.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-run-dir-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The InputError a promise rejects with (fails the test if it resolves or throws something else). */
async function inputError(p: Promise<unknown>): Promise<InputError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe("readRunDir", () => {
  it("reads a complete run with typed manifest, summary and verdicts", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"], "12": ["timeout"], "13": ["pass", "wrong_answer"] } });
    const run = await readRunDir(dir);
    expect(run.manifest.run_id).toBe("r1");
    expect(run.manifest.sandbox.imageId).toBe("sha256:1111");
    expect(run.summary?.samples).toBe(4);
    expect(run.verdicts.map((v) => [v.task_id, v.sample_index, v.status])).toEqual([
      ["11", 0, "pass"],
      ["12", 0, "timeout"],
      ["13", 0, "pass"],
      ["13", 1, "wrong_answer"],
    ]);
    expect(run.partialLastLine).toBe(false);
  });

  it("names the file and line of a corrupt verdict line", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"], "12": ["pass"] } });
    await appendFile(join(dir, "verdicts.jsonl"), '{"task_id": "13", "sample_index": 0, \n');
    const err = await inputError(readRunDir(dir));
    expect(err.file).toBe(join(dir, "verdicts.jsonl"));
    expect(err.line).toBe(3);
    expect(err.message).toContain(`${join(dir, "verdicts.jsonl")}:3: invalid JSON`);
  });

  it("names the field of a verdict that does not match the format", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] } });
    await appendFile(join(dir, "verdicts.jsonl"), `${JSON.stringify({ ...verdict("12", 0, "pass"), status: "passed" })}\n`);
    const err = await inputError(readRunDir(dir));
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/invalid verdict: status:/);
  });

  it("rejects a second verdict for the same task and sample", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"], "12": ["pass"] } });
    await appendFile(join(dir, "verdicts.jsonl"), `${JSON.stringify(verdict("11", 0, "timeout"))}\n`);
    const err = await inputError(readRunDir(dir));
    expect(err.line).toBe(3);
    expect(err.message).toContain("first on line 1");
  });

  it("skips blank lines but keeps line numbers true to the file", async () => {
    const dir = join(root, "r1");
    await writeRun(root, { runId: "r1", outcomes: {} , status: "interrupted" });
    await writeFile(join(dir, "verdicts.jsonl"), `${JSON.stringify(verdict("11", 0, "pass"))}\n\n{oops}\n`);
    expect((await inputError(readRunDir(dir))).line).toBe(3);
  });

  it("accepts an interrupted run without summary, and drops a last line cut off mid-write", async () => {
    const dir = await writeRun(root, { runId: "r1", status: "interrupted", outcomes: { "11": ["pass"], "12": ["pass"] } });
    await appendFile(join(dir, "verdicts.jsonl"), JSON.stringify(verdict("13", 0, "pass")).slice(0, 40));
    const run = await readRunDir(dir);
    expect(run.summary).toBeNull();
    expect(run.verdicts).toHaveLength(2);
    expect(run.partialLastLine).toBe(true);
  });

  it("does not forgive a cut-off last line in a complete run", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] } });
    await appendFile(join(dir, "verdicts.jsonl"), JSON.stringify(verdict("13", 0, "pass")).slice(0, 40));
    expect((await inputError(readRunDir(dir))).line).toBe(2);
  });

  it("accepts a running run with no verdicts yet", async () => {
    const dir = await writeRun(root, { runId: "r1", status: "running", outcomes: {} });
    await unlink(join(dir, "verdicts.jsonl"));
    const run = await readRunDir(dir);
    expect(run.verdicts).toEqual([]);
    expect(run.summary).toBeNull();
  });

  it("requires summary.json and verdicts.jsonl once the run is complete", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] }, summary: false });
    const err = await inputError(readRunDir(dir));
    expect(err.file).toBe(join(dir, "summary.json"));
    expect(err.message).toContain("missing");
    const dir2 = await writeRun(root, { runId: "r2", outcomes: { "11": ["pass"] } });
    await unlink(join(dir2, "verdicts.jsonl"));
    expect((await inputError(readRunDir(dir2))).file).toBe(join(dir2, "verdicts.jsonl"));
  });

  it("reports a missing directory, a missing manifest, bad JSON and a bad field", async () => {
    expect((await inputError(readRunDir(join(root, "nope")))).message).toContain("not a run directory");
    await mkdir(join(root, "empty"));
    expect((await inputError(readRunDir(join(root, "empty")))).file).toBe(join(root, "empty", "manifest.json"));
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] } });
    await writeFile(join(dir, "manifest.json"), "{ not json");
    expect((await inputError(readRunDir(dir))).message).toContain("invalid JSON");
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ run_id: "r1" }));
    expect((await inputError(readRunDir(dir))).message).toMatch(/invalid manifest: \w+/);
  });

  it("rejects a summary of another benchmark than the manifest's", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] } });
    const summary = { benchmark: "mbpp-plus", split: "test", tasks: 1, samples: 1, pass_at_k: { "1": 1 }, outcomes: {}, seconds: 1 };
    await writeFile(join(dir, "summary.json"), JSON.stringify(summary));
    expect((await inputError(readRunDir(dir))).message).toContain("mbpp-plus/test");
  });
});

describe("resolveRunDir", () => {
  it("takes a directory as is and looks a bare run id up under the results directory", async () => {
    const dir = await writeRun(root, { runId: "r1", outcomes: { "11": ["pass"] } });
    expect(await resolveRunDir(dir, "elsewhere")).toBe(dir);
    expect(await resolveRunDir("r1", root)).toBe(dir);
    expect(await resolveRunDir("r9", root)).toBe("r9");
  });
});
