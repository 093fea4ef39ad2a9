import { appendFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { runRunsCommand } from "../../src/cli/commands/runs.js";
import { listRuns, renderRunsTable } from "../../src/report/runs-list.js";
import type { RunListEntry } from "../../src/report/runs-list.js";
import { writeRun } from "../fixtures/runs/write-run.js";

let root: string;
let runs: RunListEntry[];
const byId = (id: string) => runs.find((r) => r.run_id === id);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "verdict-runs-"));
  await writeRun(root, {
    runId: "done",
    createdAt: "2025-03-01T10:00:00.000Z",
    samplesSource: "qwen-7b.jsonl",
    outcomes: { "11": ["pass"], "12": ["pass"], "13": ["timeout"], "14": ["pass"] },
  });
  // Killed mid-run: three verdicts written, the fourth cut off.
  const killed = await writeRun(root, {
    runId: "killed",
    status: "running",
    createdAt: "2025-03-03T09:30:00.000Z",
    outcomes: { "11": ["pass", "wrong_answer"], "12": ["pass"] },
  });
  await appendFile(join(killed, "verdicts.jsonl"), '{"task_id":"13","sam');
  await writeRun(root, { runId: "paused", status: "interrupted", createdAt: "2025-03-02T08:00:00.000Z", outcomes: {} });
  await unlink(join(root, "paused", "verdicts.jsonl"));
  // Complete according to the manifest, but summary.json never made it.
  await writeRun(root, { runId: "no-summary", createdAt: "2025-03-04T00:00:00.000Z", outcomes: { "11": ["pass"] }, summary: false });
  const badLine = await writeRun(root, { runId: "bad-line", status: "interrupted", createdAt: "2025-02-01T00:00:00.000Z", outcomes: { "11": ["pass"], "12": ["pass"] } });
  await writeFile(join(badLine, "verdicts.jsonl"), '{"task_id":"11"}\n{broken\n');
  // Complete, but over 2 of the benchmark's 399 tasks (--missing skip), one task unscorable.
  await writeRun(root, {
    runId: "subset",
    createdAt: "2025-02-20T00:00:00.000Z",
    outcomes: { "11": ["pass"], "12": ["wrong_answer"] },
    summaryExtra: {
      tasks_total: 399,
      partial: true,
      missing_policy: "skip",
      tasks_missing: [],
      tasks_unscorable: ["13"],
      reference_failures: { "13": [{ test: "plus/0", why: "memory limit exceeded", handling: "left_out" }, { test: "plus/1", why: "memory limit exceeded", handling: "left_out" }] },
    },
  });
  // Runs of the other commands, named by their own records.
  await mkdir(join(root, "loop"));
  await writeFile(join(root, "loop", "selfplay.json"), JSON.stringify({ kind: "selfplay", run_id: "loop", created_at: "2025-01-05T00:00:00.000Z", config: { benchmark: "mbpp" }, status: "running" }));
  await mkdir(join(root, "table"));
  await writeFile(join(root, "table", "run.json"), JSON.stringify({ created_at: "2025-01-04T00:00:00.000Z", benchmark: "mbpp", split: "test", tasks: 500, status: "complete" }));
  await mkdir(join(root, "mcts"));
  await writeFile(join(root, "mcts", "manifest.json"), JSON.stringify({ kind: "search", run_id: "mcts", created_at: "2025-01-03T00:00:00.000Z", benchmark: "mbpp", split: "train", tasks: ["1", "2"], status: "complete" }));
  const tests = await writeRun(root, { runId: "tests", createdAt: "2025-01-02T00:00:00.000Z", outcomes: { "11": ["pass"] } });
  const manifest = JSON.parse(await readFile(join(tests, "manifest.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(tests, "manifest.json"), JSON.stringify({ ...manifest, kind: "tcg" }));
  await mkdir(join(root, "garbled"));
  await writeFile(join(root, "garbled", "manifest.json"), "{");
  // Not runs: a folder of committed reference tables, a stray file, a hidden folder.
  await mkdir(join(root, "reference"));
  await writeFile(join(root, "reference", "table1.md"), "| model |\n");
  await writeFile(join(root, "README.md"), "results\n");
  await mkdir(join(root, ".tmp"));
  await writeFile(join(root, ".tmp", "manifest.json"), "{}");
  runs = await listRuns(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("listRuns", () => {
  it("lists run directories only, newest first, corrupt ones without a date last", () => {
    expect(runs.map((r) => r.run_id)).toEqual(["no-summary", "killed", "paused", "done", "subset", "bad-line", "loop", "table", "mcts", "tests", "garbled"]);
  });

  it("describes a complete run from its manifest and summary", () => {
    expect(byId("done")).toEqual({
      kind: "eval",
      run_id: "done",
      dir: join(root, "done"),
      status: "complete",
      benchmark: "mbpp",
      split: "test",
      samples_source: "qwen-7b.jsonl",
      created_at: "2025-03-01T10:00:00.000Z",
      pass_at_1: 0.75,
      tasks: 4,
      tasks_total: null,
      samples: 4,
      reference_failures: null,
      tasks_unscorable: null,
    });
  });

  it("lists the runs of run/table1, tcg, search and selfplay by their kind, with status, benchmark and date", () => {
    expect(byId("loop")).toMatchObject({ kind: "selfplay", status: "interrupted", benchmark: "mbpp", created_at: "2025-01-05T00:00:00.000Z" });
    expect(byId("table")).toMatchObject({ kind: "run", status: "complete", benchmark: "mbpp", split: "test", tasks: 500 });
    expect(byId("mcts")).toMatchObject({ kind: "search", status: "complete", benchmark: "mbpp", split: "train", tasks: 2 });
    expect(byId("tests")).toMatchObject({ kind: "tcg", status: "complete", pass_at_1: 1 });
  });

  it("marks a run whose figures cover part of the benchmark partial, not complete, with its reference failures", () => {
    expect(byId("subset")).toMatchObject({ status: "partial", tasks: 2, tasks_total: 399, pass_at_1: 0.5, reference_failures: 2, tasks_unscorable: 1 });
  });

  it("marks unfinished runs interrupted with pass@1 over what was judged", () => {
    expect(byId("killed")).toMatchObject({ status: "interrupted", samples: 3, tasks: 2, pass_at_1: (0.5 + 1) / 2 });
    expect(byId("paused")).toMatchObject({ status: "interrupted", samples: 0, tasks: 0, pass_at_1: null });
  });

  it("marks unreadable runs corrupt with the reason", () => {
    expect(byId("no-summary")).toMatchObject({ status: "corrupt", benchmark: "mbpp" });
    expect(byId("no-summary")?.error).toContain("summary.json: missing");
    expect(byId("bad-line")?.status).toBe("corrupt");
    expect(byId("bad-line")?.error).toMatch(/verdicts\.jsonl:1: invalid verdict/);
    expect(byId("garbled")).toMatchObject({ status: "corrupt", benchmark: null, created_at: null });
    expect(byId("garbled")?.error).toContain("invalid JSON");
  });

  it("treats a missing results directory as an error unless told otherwise", async () => {
    await expect(listRuns(join(root, "nope"))).rejects.toThrow("results directory does not exist");
    expect(await listRuns(join(root, "nope"), { missingOk: true })).toEqual([]);
  });
});

describe("renderRunsTable", () => {
  it("shows one row per run with date, pass@1 and status", () => {
    const text = renderRunsTable(runs);
    expect(text).toMatch(/│ done\s+│ mbpp\s+│ test\s+│ qwen-7b\.jsonl\s+│ 2025-03-01 10:00 │ 75\.0%\s+│ 4\s+│ 4\s+│\s+│ complete\s+│/);
    expect(text).toMatch(/│ killed .*│ 75\.0% \(so far\) │ 2\s+│ 3\s+│\s+│ interrupted\s+│/);
    expect(text).toMatch(/│ subset .*│ 50\.0%\s+│ 2 of 399\s+│ 2\s+│ 2 \(1 task\(s\) unscorable\) │ partial: 2 of 399 tasks\s+│/);
    expect(text).toMatch(/│ garbled .*│ corrupt: .*manifest\.json: invalid JSON/);
    expect(text).toMatch(/│ eval\s+│ done\s+│/);
    expect(text).toMatch(/│ search\s+│ mcts\s+│ mbpp\s+│ train\s+│/);
  });
});

describe("runRunsCommand", () => {
  const capture = () => {
    const out = { stdout: "", stderr: "" };
    return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
  };

  it("prints the listing as JSON", async () => {
    const { out, io } = capture();
    expect(await runRunsCommand({ results: root, json: true }, io)).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(runs);
  });

  it("fails with exit code 2 on a results directory given but missing", async () => {
    const { out, io } = capture();
    expect(await runRunsCommand({ results: join(root, "nope") }, io)).toBe(2);
    expect(out.stderr).toContain("results directory does not exist");
  });
});
