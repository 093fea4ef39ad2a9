import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { InputError, SandboxFault } from "../../src/core/errors.js";
import { runSearch, SEARCH_FILES, type SearchRunOptions } from "../../src/search/driver.js";
import { readSearchLog, type SearchEvent } from "../../src/search/event-log.js";
import { searchSettings } from "../../src/search/search-config.js";
import { readTreeSummaries, type TreeSummary } from "../../src/search/tree-summary.js";
import {
  codeStep,
  oneCorrectPathScript,
  pseudoStep,
  scoringJudge,
  scriptedStepPolicy,
  searchTaskFor,
  SMALL_TREE_SCRIPT,
  type TreeScript,
} from "../helpers/search-doubles.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "verdict-search-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function byLabel(tree: TreeSummary, label: string) {
  const node = tree.nodes.find((n) => n.step.startsWith(`${label} `));
  if (!node) throw new Error(`no node ${label}`);
  return node;
}

describe("a small tree, computed by hand", () => {
  const script = SMALL_TREE_SCRIPT;

  it("has the visit counts and values of UCT with c = 2 after 6 rollouts, every code step kept", async () => {
    const policy = scriptedStepPolicy(script);
    const judge = scoringJudge();
    const dir = tempDir();
    const { trees, stats } = await runSearch({
      dir,
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ rollouts: 6, max_depth: 2, code_children: "all" }),
      policy,
      judge,
    });
    const tree = trees[0] as TreeSummary;
    // Rollouts 1-3 visit P, W, H (in a random order that does not change the counts); P's only child C scores 1.
    // Rollout 4 (N_root 3): P 1 + 2·sqrt(ln 3) = 3.10 > H 2.60 > W 2.10 → P, C.
    // Rollout 5 (N_root 4): H 0.5 + 2·sqrt(ln 4) = 2.85 > P 1 + 2·sqrt(ln 4 / 2) = 2.67 > W 2.35 → H (judged once already).
    // Rollout 6 (N_root 5): P 1 + 2·sqrt(ln 5 / 2) = 2.79 > W 2·sqrt(ln 5) = 2.54 > H 2.29 → P, C.
    const stat = (label: string) => {
      const n = byLabel(tree, label);
      return [n.n, n.w];
    };
    expect(tree.nodes[0]).toMatchObject({ id: 0, n: 6, w: 4, q: 4 / 6 });
    expect(stat("P")).toEqual([3, 3]);
    expect(stat("C")).toEqual([3, 3]);
    expect(stat("H")).toEqual([2, 1]);
    expect(stat("W")).toEqual([1, 0]);
    // Three identical candidates (one with a run-on tail, one repeating its header) are one child.
    expect(byLabel(tree, "P").children).toHaveLength(1);
    expect(byLabel(tree, "C")).toMatchObject({ samples: 3, terminal: "code", reward: 1, passed: 2, total: 2, correct: true, depth: 2 });
    expect(byLabel(tree, "H")).toMatchObject({ terminal: "code", reward: 0.5, correct: false, action: 3 });
    // Two expansions (root, P); three programs judged, each once.
    expect(policy.requests.map((r) => r.requestId)).toEqual(["t#0", `t#${byLabel(tree, "P").id}`]);
    expect(judge.calls).toHaveLength(3);
    expect(stats).toMatchObject({ expansions: 2, rewards: 3, judged: 3, solved: 1, finished: 1, nodes: 5, calls: 2 });
    expect(tree.solved).toBe(true);
    expect(tree.dropped).toEqual([]);
    expect(readTreeSummaries(join(dir, SEARCH_FILES.trees))).toEqual(trees);
  });

  it("keeps only the best-scoring code step of an expansion (the paper's rule), judging them together and logging the others", async () => {
    const policy = scriptedStepPolicy(script);
    const judge = scoringJudge({ delayMs: 20 });
    const dir = tempDir();
    const { trees, stats } = await runSearch({ dir, tasks: [searchTaskFor("t")], settings: searchSettings({ rollouts: 6, max_depth: 2 }), policy, judge });
    const tree = trees[0] as TreeSummary;
    // The root's expansion judges W (0/2) and H (1/2) at once and keeps H: root → P 1, H 2; P → C 3.
    // Rollouts 1-2 visit P (→ C, 1) and H (0.5).
    // Rollout 3 (N_root 2): P 1 + 2·sqrt(ln 2) = 2.67 > H 2.17 → P, C.
    // Rollout 4 (N_root 3): H 0.5 + 2·sqrt(ln 3) = 2.60 > P 1 + 2·sqrt(ln 3 / 2) = 2.48 → H.
    // Rollout 5 (N_root 4): P 1 + 2·sqrt(ln 4 / 2) = 2.67 > H 2.17 → P, C.
    // Rollout 6 (N_root 5): P 1 + 2·sqrt(ln 5 / 3) = 2.47 > H 0.5 + 2·sqrt(ln 5 / 2) = 2.29 → P, C.
    expect(tree.nodes.map((n) => [n.id, n.step.split(" ")[0] ?? "", n.n, n.w])).toEqual([
      [0, "", 6, 5],
      [1, "P", 4, 4],
      [2, "H", 2, 1],
      [3, "C", 4, 4],
    ]);
    expect(byLabel(tree, "H")).toMatchObject({ terminal: "code", reward: 0.5, passed: 1, total: 2 });
    expect(tree.dropped).toEqual([expect.objectContaining({ parent: 0, step: expect.stringMatching(/^W /), reward: 0, passed: 0, total: 2 })]);
    // W and H were at the judge together.
    const [w, h] = judge.intervals;
    expect(w && h && w[0] < h[1] && h[0] < w[1]).toBe(true);
    expect(stats).toMatchObject({ expansions: 2, rewards: 3, judged: 3, nodes: 4 });
    const rootExpansion = readSearchLog(join(dir, SEARCH_FILES.log)).events.find((e) => e.event.kind === "expand" && e.event.node === 0)?.event;
    expect(rootExpansion).toMatchObject({
      children: [expect.objectContaining({ id: 1 }), expect.objectContaining({ id: 2 })],
      judged: [expect.objectContaining({ node: null, step: expect.stringMatching(/^W /), reward: 0 }), expect.objectContaining({ node: 2, step: null, reward: 0.5 })],
    });
  });

  it("gives a code step reward alpha·compiles + (1 - alpha)·passed/total", async () => {
    const { trees } = await runSearch({
      dir: tempDir(),
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ rollouts: 6, max_depth: 2, alpha: 0.5, code_children: "all" }),
      policy: scriptedStepPolicy(script),
      judge: scoringJudge(),
    });
    const tree = trees[0] as TreeSummary;
    expect(byLabel(tree, "H").reward).toBe(0.5 + 0.5 * 0.5);
    expect(byLabel(tree, "W").reward).toBe(0.5);
  });

  it("ends a path without code at the depth limit with reward 0, and a failed expansion as a dead end", async () => {
    const policy = scriptedStepPolicy({ "": [pseudoStep("A")], A: [pseudoStep("B")] });
    const { trees } = await runSearch({
      dir: tempDir(),
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ rollouts: 3, max_depth: 2 }),
      policy,
      judge: scoringJudge(),
    });
    expect(byLabel(trees[0] as TreeSummary, "B")).toMatchObject({ terminal: "depth_limit", reward: 0, n: 3, depth: 2 });
    const empty = await runSearch({ dir: tempDir(), tasks: [searchTaskFor("t")], settings: searchSettings({ rollouts: 2 }), policy: scriptedStepPolicy({}), judge: scoringJudge() });
    expect(empty.trees[0]?.nodes).toEqual([expect.objectContaining({ id: 0, terminal: "dead_end", reward: 0, n: 2 })]);
  });
});

describe("search", () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])("finds the one correct path of a 3 × 3 tree within 9 of 15 rollouts (seed %i)", async (seed) => {
    const dir = tempDir();
    const { trees } = await runSearch({
      dir,
      tasks: [searchTaskFor("t")],
      settings: searchSettings({ rollouts: 15, max_depth: 3, seed }),
      policy: scriptedStepPolicy(oneCorrectPathScript()),
      judge: scoringJudge(),
    });
    const tree = trees[0] as TreeSummary;
    expect(tree.solved).toBe(true);
    const backups = readSearchLog(join(dir, SEARCH_FILES.log)).events.flatMap((e) => (e.event.kind === "backup" ? [e.event] : []));
    const first = backups.find((b) => b.value === 1);
    expect(first?.rollout).toBeLessThanOrEqual(9);
    // Once found, the search keeps coming back to the branch that holds it.
    const s = ["S1", "S2", "S3"].map((l) => byLabel(tree, l).n);
    expect(Math.max(...s)).toBe(s[1]);
    expect(s.reduce((a, b) => a + b, 0)).toBe(15);
  });

  it("gives the same tree for the same seed, and draws its random choices from the seed", async () => {
    const run = async (seed: number) =>
      (
        await runSearch({
          dir: tempDir(),
          tasks: [searchTaskFor("t")],
          settings: searchSettings({ rollouts: 15, max_depth: 3, seed }),
          policy: scriptedStepPolicy(oneCorrectPathScript()),
          judge: scoringJudge(),
        })
      ).trees;
    expect(await run(3)).toEqual(await run(3));
    const trees = await Promise.all([0, 1, 2, 3, 4].map(run));
    const shapes = new Set(trees.map((t) => JSON.stringify(t[0]?.nodes.map((n) => [n.step.slice(0, 3), n.n]))));
    expect(shapes.size).toBeGreaterThan(1);
  });

  it("judges identical programs once, within a task and across tasks on the same tests", async () => {
    const same = `def f():\n    return 1`;
    const script: TreeScript = { "": [codeStep("X", 1, 3, true, same), codeStep("Y", 1, 3, true, same), codeStep("Z", 1, 3, true, same)] };
    const judge = scoringJudge();
    const tasks = [searchTaskFor("a", "shared-tests"), searchTaskFor("b", "shared-tests"), searchTaskFor("c")];
    const { stats } = await runSearch({ dir: tempDir(), tasks, settings: searchSettings({ rollouts: 4 }), policy: scriptedStepPolicy(() => script), judge });
    // X, Y and Z differ only in their prose: one program. Tasks a and b share their tests, c has its own.
    expect(judge.calls).toHaveLength(2);
    expect(judge.calls.map((c) => c.taskId)).toContain("c");
    expect(stats).toMatchObject({ rewards: 9, judged: 2, cacheHits: 7, cachedRewards: 7 });
  });

  it("keeps the model server and the judge busy at the same time, with many tasks' expansions in flight", async () => {
    const policy = scriptedStepPolicy(() => oneCorrectPathScript(), { delayMs: 15 });
    const judge = scoringJudge({ delayMs: 15 });
    const tasks = Array.from({ length: 8 }, (_, i) => searchTaskFor(`t${i}`));
    const { stats } = await runSearch({ dir: tempDir(), tasks, settings: searchSettings({ rollouts: 4, max_depth: 3 }), policy, judge });
    expect(stats.maxModelInFlight).toBeGreaterThanOrEqual(4);
    const overlapping = judge.intervals.filter(([js, je]) => policy.intervals.some(([ps, pe]) => ps < je && js < pe));
    expect(overlapping.length).toBeGreaterThan(0);
    expect(stats.modelBusySeconds).toBeGreaterThan(0);
    expect(stats.judgeBusySeconds).toBeGreaterThan(0);
  });

  it("sends the paper's sampling and the step markers, with a prompt that grows by the path's steps", async () => {
    const policy = scriptedStepPolicy(oneCorrectPathScript());
    await runSearch({ dir: tempDir(), tasks: [searchTaskFor("t")], settings: searchSettings({ rollouts: 1, max_depth: 3 }), policy, judge: scoringJudge() });
    const [first, second, third] = policy.requests;
    expect(first).toMatchObject({ n: 3, temperature: 0.8, top_p: 0.95, max_tokens: 512, stop: ["<Step_End>"], seed: 0, extra: { top_k: 40, repetition_penalty: 1.1 } });
    expect(first?.prompt?.endsWith("<Step_Begin>\n### Step 1:")).toBe(true);
    expect(second?.prompt?.endsWith("<Step_End>\n\n<Step_Begin>\n### Step 2:")).toBe(true);
    // The stable prefix: each prompt extends the one before it by the chosen step.
    expect(second?.prompt?.startsWith((first?.prompt ?? "").slice(0, -"<Step_Begin>\n### Step 1:".length))).toBe(true);
    expect(third?.prompt?.startsWith((second?.prompt ?? "").slice(0, -"<Step_Begin>\n### Step 2:".length))).toBe(true);
  });
});

describe("resume", () => {
  const tasks = ["a", "b"].map((id) => searchTaskFor(id));
  const options = (dir: string, policy = scriptedStepPolicy(oneCorrectPathScript())): SearchRunOptions => ({
    dir,
    tasks,
    settings: searchSettings({ rollouts: 15, max_depth: 3, seed: 11 }),
    policy,
    judge: scoringJudge(),
  });
  /** Each task's events in order, without start lines and cache flags (which task judged a shared program first may vary). */
  const perTask = (dir: string) => {
    const out: Record<string, SearchEvent[]> = {};
    for (const { event } of readSearchLog(join(dir, SEARCH_FILES.log)).events) {
      if (event.kind === "start") continue;
      const e = event.kind === "reward" ? { ...event, cached: false } : event;
      (out[event.task_id] ??= []).push(e);
    }
    return out;
  };

  it("reproduces the uninterrupted trees after a kill at any line, torn or whole", async () => {
    const whole = tempDir();
    const reference = await runSearch(options(whole));
    const bytes = readFileSync(join(whole, SEARCH_FILES.log));
    const cuts: number[] = [];
    for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) cuts.push(i + 1, i + 1 + 17);
    expect(cuts.length).toBeGreaterThan(80);
    for (const cut of cuts.filter((c) => c < bytes.length)) {
      const dir = tempDir();
      writeFileSync(join(dir, SEARCH_FILES.log), bytes.subarray(0, cut));
      const policy = scriptedStepPolicy(oneCorrectPathScript());
      const resumed = await runSearch(options(dir, policy));
      expect(resumed.trees).toEqual(reference.trees);
      expect(perTask(dir)).toEqual(perTask(whole));
      expect(resumed.stats.expansions + resumed.stats.replayedExpansions).toBe(reference.stats.expansions);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cuts a torn last line and says how many bytes it dropped", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, SEARCH_FILES.log), '{"kind":"expand","task_');
    const result = await runSearch(options(dir));
    expect(result.tornBytes).toBe(23);
    expect(readSearchLog(join(dir, SEARCH_FILES.log)).tornBytes).toBe(0);
  });

  it("keeps what was done when the model server fails mid-run, and a resume finishes the same trees", async () => {
    const whole = await runSearch(options(tempDir()));
    const dir = tempDir();
    await expect(runSearch(options(dir, scriptedStepPolicy(oneCorrectPathScript(), { failAfter: 7 })))).rejects.toThrow(/went away/);
    const resumed = await runSearch(options(dir));
    expect(resumed.trees).toEqual(whole.trees);
    expect(resumed.stats.replayedExpansions).toBe(7);
  });

  it("stops at the next rollout when aborted, writes what it has, and a resume completes the same trees", async () => {
    const whole = await runSearch(options(tempDir()));
    const dir = tempDir();
    const stop = new AbortController();
    let calls = 0;
    const policy = scriptedStepPolicy(oneCorrectPathScript());
    const propose = policy.propose.bind(policy);
    policy.propose = async (req) => {
      if (++calls === 5) stop.abort();
      return propose(req);
    };
    const stopped = await runSearch({ ...options(dir, policy), signal: stop.signal, tasksInFlight: 1 });
    expect(stopped.trees).toHaveLength(1);
    expect(stopped.trees[0]).toMatchObject({ task_id: "a", finished: false });
    expect(stopped.trees[0]?.rollouts).toBeLessThan(15);
    const resumed = await runSearch(options(dir));
    expect(resumed.trees).toEqual(whole.trees);
  });

  it("refuses to resume with other settings", async () => {
    const dir = tempDir();
    await runSearch({ ...options(dir), settings: searchSettings({ rollouts: 2, max_depth: 3 }) });
    await expect(runSearch({ ...options(dir), settings: searchSettings({ rollouts: 2, max_depth: 3, c: 1 }) })).rejects.toThrow(InputError);
  });

  it("names the line of a corrupt log entry", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, SEARCH_FILES.log), '{"kind":"done","task_id":"a","rollouts":1,"solved":false}\nnot json\n{"kind":"done","task_id":"b","rollouts":1,"solved":false}\n');
    await expect(runSearch(options(dir))).rejects.toThrow(/nodes\.jsonl:2: not JSON/);
  });
});

describe("failures and scheduling", () => {
  const tasks = ["a", "b", "c"].map((id) => searchTaskFor(id));
  const settings = searchSettings({ rollouts: 15, max_depth: 3, seed: 5 });

  /** A policy whose request number `failAt` (1-based, over all tasks) fails after the provider's retries. */
  function failingPolicy(failAt: number) {
    const policy = scriptedStepPolicy(oneCorrectPathScript());
    const propose = policy.propose.bind(policy);
    let calls = 0;
    policy.propose = async (req) => (++calls === failAt ? { candidates: [], usage: { promptTokens: 0, completionTokens: 0 }, error: "http: 503 scripted" } : propose(req));
    return policy;
  }

  it("stops a task whose request failed after retries (incomplete, not a dead end), and a resume completes the same trees", async () => {
    const whole = await runSearch({ dir: tempDir(), tasks, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge() });
    const dir = tempDir();
    const first = await runSearch({ dir, tasks, settings, policy: failingPolicy(6), judge: scoringJudge() });
    expect(first.stats).toMatchObject({ tasks: 3, failed: 1, finished: 2 });
    const stopped = first.trees.find((t) => t.failure !== null);
    expect(stopped?.failure).toMatchObject({ what: "expansion", error: expect.stringContaining("http: 503 scripted"), request_id: expect.stringMatching(/#\d+$/) });
    expect(stopped?.finished).toBe(false);
    // No node of the stopped tree is a dead end: the failed expansion left its node unexpanded.
    expect(stopped?.nodes.some((n) => n.terminal === "dead_end")).toBe(false);
    const events = readSearchLog(join(dir, SEARCH_FILES.log)).events.map((e) => e.event);
    expect(events.filter((e) => e.kind === "failure")).toHaveLength(1);
    const resumed = await runSearch({ dir, tasks, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge() });
    expect(resumed.stats.failed).toBe(0);
    expect(resumed.trees).toEqual(whole.trees);
  });

  it("stops a task whose program the sandbox could not judge, and a resume judges it again", async () => {
    const whole = await runSearch({ dir: tempDir(), tasks, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge() });
    const dir = tempDir();
    const judge = scoringJudge();
    const inner = judge.judge.bind(judge);
    let calls = 0;
    judge.judge = async (task, program) => {
      if (++calls === 2) throw new SandboxFault("the sandbox failed twice (scripted)");
      return inner(task, program);
    };
    const first = await runSearch({ dir, tasks, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge });
    expect(first.stats.failed).toBe(1);
    expect(first.trees.find((t) => t.failure !== null)?.failure).toMatchObject({ what: "reward", request_id: null, error: expect.stringContaining("failed twice") });
    const resumed = await runSearch({ dir, tasks, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge() });
    expect(resumed.trees).toEqual(whole.trees);
  });

  it("builds the same trees in lockstep waves, one wave at the model at a time", async () => {
    const many = Array.from({ length: 6 }, (_, i) => searchTaskFor(`w${i}`));
    const asyncRun = await runSearch({ dir: tempDir(), tasks: many, settings, policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge({ delayMs: 3 }) });
    const policy = scriptedStepPolicy(oneCorrectPathScript(), { delayMs: 5 });
    const waves = await runSearch({ dir: tempDir(), tasks: many, settings: { ...settings, schedule: "waves" }, policy, judge: scoringJudge({ delayMs: 3 }) });
    expect(waves.trees).toEqual(asyncRun.trees);
    expect(waves.identitySha256).toBe(asyncRun.identitySha256);
    // The first wave holds every task's root expansion; waves never overlap at the model.
    expect(waves.stats.largestWave).toBe(6);
    expect(waves.stats.waves).toBeLessThan(waves.stats.expansions);
    // Calls of one wave start in one turn of the event loop; calls of different waves never overlap.
    const calls = policy.intervals;
    const overlapping = calls.flatMap(([s1, e1], i) => calls.slice(i + 1).filter(([s2, e2]) => Math.abs(s1 - s2) > 1 && s1 < e2 && s2 < e1));
    expect(overlapping).toEqual([]);
  });
});

describe("stored trees", () => {
  it("are read back as written, and a tree whose nodes are out of place is an error naming its file", async () => {
    const dir = tempDir();
    const { trees } = await runSearch({ dir, tasks: [searchTaskFor("Mbpp/2")], settings: searchSettings({ rollouts: 3, max_depth: 3 }), policy: scriptedStepPolicy(oneCorrectPathScript()), judge: scoringJudge() });
    const treesDir = join(dir, SEARCH_FILES.trees);
    expect(readTreeSummaries(treesDir)).toEqual(trees);
    const file = join(treesDir, "Mbpp%2F2.json");
    const tree = JSON.parse(readFileSync(file, "utf8")) as TreeSummary;
    writeFileSync(file, JSON.stringify({ ...tree, nodes: [...tree.nodes].reverse() }));
    expect(() => readTreeSummaries(treesDir)).toThrow(/Mbpp%2F2\.json: not a search tree: node \d+ is out of place/);
  });
});
