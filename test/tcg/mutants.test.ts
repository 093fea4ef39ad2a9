/**
 * Mutants made by the trusted script in a real container, through a judging session (no pool
 * of their own): counts, caps, determinism with a seed, distinct compiling programs; then a
 * few judged on tests through the same session, so an equivalent mutant is seen to pass them
 * all and be screened out.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMbpp } from "../../src/benchmarks/mbpp.js";
import { SandboxFault } from "../../src/core/errors.js";
import type { Task } from "../../src/core/task.js";
import type { SampleVerdict } from "../../src/core/sample-verdict.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { openJudgingSession } from "../../src/session/judging-session.js";
import type { LocalJudgingSession } from "../../src/session/session-options.js";
import { type Mutant, makeMutants, MUTATION_OPERATORS, type MutantsOf, parseMutantsResponse, screenMutants } from "../../src/tcg/mutants.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

/** Whether host python3 can parse each program (ast.parse only: nothing runs). */
function allParse(programs: string[]): boolean[] {
  const script = "import ast, json, sys\nout = []\nfor p in json.load(sys.stdin):\n    try:\n        ast.parse(p); out.append(True)\n    except SyntaxError:\n        out.append(False)\nprint(json.dumps(out))";
  return JSON.parse(execFileSync("python3", ["-S", "-B", "-c", script], { input: JSON.stringify(programs), encoding: "utf8" })) as boolean[];
}

function mutantsOf(result: Map<string, MutantsOf>, key: string): Mutant[] {
  const r = result.get(key);
  if (!r?.ok) throw new Error(`no mutants for ${key}: ${r && !r.ok ? r.reason : "missing"}`);
  return r.mutants;
}

describe("screenMutants", () => {
  const mutant = (i: number): Mutant => ({ id: `7#m${i}`, key: "7", index: i, program: "", operator: "constant", line: 1, description: "" });
  const verdict = (status: SampleVerdict["status"], outcomes: SampleVerdict["status"][], load?: string): SampleVerdict => ({
    task_id: "7",
    sample_index: 0,
    status,
    tests: outcomes.map((outcome, i) => ({ id: `test/${i}`, outcome })),
    weak: false,
    seconds: 0,
    cached: false,
    program_sha256: "",
    ...(load ? { load_detail: load } : {}),
  });

  it("keeps mutants some benchmark test rejects, and leaves out equivalent, stillborn and unknown ones", () => {
    const mutants = [0, 1, 2, 3, 4, 5, 6].map(mutant);
    const verdicts = new Map<string, SampleVerdict>([
      ["7#m0", verdict("pass", ["pass", "pass"])],
      ["7#m1", verdict("wrong_answer", ["pass", "wrong_answer"])],
      ["7#m2", verdict("runtime_error", ["runtime_error", "runtime_error"], "NameError: name 'x' is not defined")],
      ["7#m3", verdict("sandbox_error", ["sandbox_error", "sandbox_error"])],
      ["7#m4", verdict("sandbox_error", ["sandbox_error", "timeout"])],
      ["7#m5", verdict("timeout", ["pass", "timeout"])],
    ]);
    const screen = screenMutants(mutants, verdicts);
    expect({
      kept: screen.kept.map((m) => m.index),
      equivalent: screen.equivalent.map((m) => m.index),
      stillborn: screen.stillborn.map((m) => m.index),
      undetermined: screen.undetermined.map((m) => m.index),
    }).toEqual({ kept: [1, 4, 5], equivalent: [0], stillborn: [2], undetermined: [3, 6] });
  });

  it("treats an answer of the wrong shape as an infrastructure fault", () => {
    expect(() => parseMutantsResponse("not json")).toThrow(SandboxFault);
    expect(() => parseMutantsResponse(JSON.stringify({ items: [{ key: "a", ok: true, sites: 1, mutants: [{ program: "x" }] }] }))).toThrow(/answered badly/);
  });
});

describe("makeMutants in a real container", () => {
  let session: LocalJudgingSession;
  let references: Map<string, string>;

  beforeAll(async () => {
    session = await openJudgingSession({
      resolved: { name: "mutants", split: "all", dataSha256: {}, groups: [], tasks: [] },
      workers: 2,
      limits: { ...DEFAULT_LIMITS, testSeconds: 2, memoryMb: 768 },
      verdictCache: false,
      container: { pidsLimit: 64, tmpfsMb: 32 },
      labels: { "verdict.test": `tcg-mutants-${randomBytes(4).toString("hex")}` },
    });
    references = new Map();
    if (hasRealData) {
      const spec = await loadMbpp({ split: "test", dataDir: REAL_DATA_DIR });
      for (const t of spec.tasks) if (["11", "12", "17", "19", "20"].includes(t.taskId)) references.set(t.taskId, t.reference);
    }
  });

  afterAll(async () => {
    await session?.close();
  });

  it.skipIf(!hasRealData)("makes capped, distinct, compiling mutants of MBPP references, the same for the same seed", async () => {
    const requests = [...references].map(([key, program]) => ({ key, program, seed: 1, max: 6 }));
    const first = await makeMutants(session, requests);
    const again = await makeMutants(session, requests);
    const other = await makeMutants(session, requests.map((r) => ({ ...r, seed: 2 })));
    const everything = await makeMutants(session, requests.map((r) => ({ ...r, max: 1000 })));
    const operators = new Set<string>();
    for (const [key, reference] of references) {
      const mutants = mutantsOf(first, key);
      const all = mutantsOf(everything, key);
      const sites = (first.get(key) as { sites: number }).sites;
      // Each site gives at most one distinct mutant; some give none new (the same text as another).
      expect(all.length, key).toBeLessThanOrEqual(sites);
      expect(mutants.length, key).toBe(Math.min(6, all.length));
      expect(new Set(mutants.map((m) => m.program)).size).toBe(mutants.length);
      expect(mutants.every((m) => m.program !== reference && m.id === `${key}#m${m.index}`)).toBe(true);
      expect(allParse(mutants.map((m) => m.program)).every(Boolean)).toBe(true);
      // Determinism: the same seed gives the same mutants; the chosen ones are among all the mutants.
      expect(mutantsOf(again, key)).toEqual(mutants);
      const allPrograms = new Set(all.map((m) => m.program));
      expect(mutants.every((m) => allPrograms.has(m.program))).toBe(true);
      for (const m of all) operators.add(m.operator);
    }
    // Another seed picks another subset where there is room to choose.
    const roomy = [...references.keys()].filter((k) => mutantsOf(everything, k).length > 6);
    expect(roomy.length).toBeGreaterThan(0);
    expect(roomy.some((k) => JSON.stringify(mutantsOf(other, k)) !== JSON.stringify(mutantsOf(first, k)))).toBe(true);
    expect([...operators].sort()).toEqual([...MUTATION_OPERATORS].sort());
  });

  it("says why a reference cannot be mutated, and answers for every reference", async () => {
    const result = await makeMutants(session, [
      { key: "bad", program: "def f(:\n", seed: 0 },
      { key: "empty", program: "", seed: 0 },
      { key: "constant", program: "def f():\n    return 41\n", seed: 0, max: 5 },
    ]);
    expect(result.get("bad")).toMatchObject({ ok: false, reason: expect.stringMatching(/^SyntaxError/) });
    expect(result.get("empty")).toEqual({ ok: true, sites: 0, mutants: [] });
    expect(mutantsOf(result, "constant").map((m) => [m.operator, m.description])).toEqual([
      ["constant", "41 → 42"],
      ["constant", "41 → 40"],
    ]);
  });

  it("leaves out a mutant that passes every benchmark test once judged", async () => {
    const reference = "def distance(x):\n    if x >= 0:\n        return x\n    return -x\n";
    const mutants = mutantsOf(await makeMutants(session, [{ key: "abs", program: reference, seed: 3, max: 50 }]), "abs");
    const task: Task = {
      taskId: "abs",
      text: "absolute value",
      prompt: "",
      reference,
      setup: "",
      entryPoint: "distance",
      tests: [3n, -2n, 0n].map((x, i) => ({
        id: `test/${i}`,
        group: "test",
        input: { kind: "call", fn: "distance", args: [Number(x)] },
        expect: { expected: x < 0n ? -x : x, comparator: { kind: "eq" } },
      })),
    };
    const verdicts = new Map<string, SampleVerdict>();
    for (const m of mutants) {
      const judged = await session.judge(task, m.program, { untilFirstFailure: false });
      verdicts.set(m.id, { ...judged, sample_index: m.index });
    }
    const screen = screenMutants(mutants, verdicts);
    // `x >= 0` → `x > 0` still returns 0 for 0 (as -0): no test can tell it from the reference.
    expect(screen.equivalent.map((m) => m.description)).toContain("x >= 0 → x > 0");
    expect(screen.kept.map((m) => m.description)).toContain("-x → +x");
    expect(screen.kept.length + screen.equivalent.length).toBe(mutants.length);
  });
});
