import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BenchmarkConfig, loadBenchmarkConfig } from "../../src/benchmarks/benchmark-config.js";
import { loadMbppPlus, type MbppPlusRow, rowToTask } from "../../src/benchmarks/mbpp-plus.js";
import { InputError } from "../../src/core/errors.js";
import type { BenchmarkSpec, TaskSpec, TestSpec } from "../../src/core/task.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

const CROSS_CHECK = fileURLToPath(new URL("../fixtures/benchmarks/evalplus_inputs.py", import.meta.url));

describe.skipIf(!hasRealData)("MBPP+ from the real data", () => {
  let spec: BenchmarkSpec;
  const task = (id: string): TaskSpec => {
    const found = spec.tasks.find((t) => t.taskId === id);
    if (!found) throw new Error(`no task ${id}`);
    return found;
  };
  const test = (taskId: string, testId: string): TestSpec => {
    const found = task(taskId).tests.find((t) => t.id === testId);
    if (!found) throw new Error(`no test ${taskId} ${testId}`);
    return found;
  };

  beforeAll(async () => {
    spec = await loadMbppPlus({ dataDir: REAL_DATA_DIR });
  });

  it("has 399 tasks with 1236 base and 42082 plus inputs", () => {
    expect(spec).toMatchObject({ name: "mbpp-plus", split: "all", groups: ["base", "plus"] });
    expect(spec.dataSha256).toEqual({
      "mbpp/MbppPlus-v0.1.0.jsonl": "a855b9de667baea8e2f8aa61f898767a7336872208a85222b35622545e819fe9",
    });
    expect(spec.tasks).toHaveLength(399);
    const tests = spec.tasks.flatMap((t) => t.tests);
    expect(tests.filter((t) => t.group === "base")).toHaveLength(1236);
    expect(tests.filter((t) => t.group === "plus")).toHaveLength(42082);
  });

  it("builds a task from the prompt, the canonical solution and the entry point", () => {
    const t = task("Mbpp/2");
    expect(t.prompt).toMatch(/^"""\nWrite a function to find the shared elements from the given two lists.\nassert set/);
    expect(t.text).toBe(
      "Write a function to find the shared elements from the given two lists.\n" +
        "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
    );
    expect(t.reference).toBe(`${t.prompt}\ndef similar_elements(test_tup1, test_tup2):\n  return tuple(set(test_tup1) & set(test_tup2))\n`);
    expect(t.entryPoint).toBe("similar_elements");
    expect(t.setup).toBe("");
    expect(t.timeCalibration).toEqual({ factor: 4, minSeconds: 4 });
    expect(t.tests.map((x) => x.id).slice(0, 4)).toEqual(["base/0", "base/1", "base/2", "plus/0"]);
  });

  it("treats Mbpp/793's empty {} plus_input as no inputs, as EvalPlus does", () => {
    expect(task("Mbpp/793").tests.map((t) => t.group)).toEqual(["base", "base", "base"]);
  });

  it.each([
    ["Mbpp/2", "base/0", [{ t: [3, 4, 5, 6] }, { t: [5, 7, 4, 10] }], "similar_elements((3, 4, 5, 6), (5, 7, 4, 10))"],
    ["Mbpp/63", "base/0", [[{ t: [3, 5] }, { t: [1, 7] }, { t: [10, 3] }, { t: [1, 2] }]], "max_difference([(3, 5), (1, 7), (10, 3), (1, 2)])"],
    ["Mbpp/75", "base/0", [[{ t: [6, 24, 12] }, { t: [7, 9, 6] }, { t: [12, 18, 21] }], 6], "find_tuples([(6, 24, 12), (7, 9, 6), (12, 18, 21)], 6)"],
    ["Mbpp/106", "base/0", [[5, 6, 7], { t: [9, 10] }], "add_lists([5, 6, 7], (9, 10))"],
    ["Mbpp/115", "base/0", [[{ d: [] }, { d: [] }, { d: [] }]], "empty_dit([{}, {}, {}])"],
    ["Mbpp/115", "base/1", [[{ s: [1, 2] }, { d: [] }, { d: [] }]], "empty_dit([{1, 2}, {}, {}])"],
    ["Mbpp/124", "base/0", [{ f: 0 }, { c: [0, 1] }], "angle_complex(0.0, 1j)"],
    ["Mbpp/124", "plus/3", [{ f: 1 }, { c: [0, -1] }], "angle_complex(1.0, (-0-1j))"],
    ["Mbpp/250", "base/0", [{ t: [10, 8, 5, 2, 10, 15, 10, 8, 5, 8, 8, 2] }, 4], "count_X((10, 8, 5, 2, 10, 15, 10, 8, 5, 8, 8, 2), 4)"],
    ["Mbpp/252", "base/0", [{ c: [1, 0] }], "convert((1+0j))"],
    ["Mbpp/252", "plus/0", [{ c: [1, 2] }], "convert((1+2j))"],
    ["Mbpp/259", "base/0", [{ t: [{ t: [1, 3] }, { t: [4, 5] }, { t: [2, 9] }, { t: [1, 10] }] }, { t: [{ t: [6, 7] }, { t: [3, 9] }, { t: [1, 1] }, { t: [7, 3] }] }], "maximize_elements(((1, 3), (4, 5), (2, 9), (1, 10)), ((6, 7), (3, 9), (1, 1), (7, 3)))"],
    ["Mbpp/278", "base/0", [{ t: [1, 5, 7, { t: [4, 6] }, 10] }], "count_first_elements((1, 5, 7, (4, 6), 10))"],
    ["Mbpp/404", "plus/9", [{ f: "-inf" }, { f: "inf" }], "minimum(-inf, inf)"],
    ["Mbpp/404", "plus/13", [{ i: "0x21e19e0c9bab2400000" }, { i: "-0x21e19e0c9bab23fffff" }], "minimum(10000000000000000000000, -9999999999999999999999)"],
    ["Mbpp/580", "base/0", [{ t: [4, 5, { t: [7, 6, { t: [2, 4] }] }, 6, 8] }], "extract_even((4, 5, (7, 6, (2, 4)), 6, 8))"],
    ["Mbpp/722", "base/0", [{ d: [["Cierra Vega", { t: [{ f: 6.2 }, 70] }], ["Alden Cantrell", { t: [{ f: 5.9 }, 65] }], ["Kierra Gentry", { t: [{ f: 6 }, 68] }], ["Pierre Cox", { t: [{ f: 5.8 }, 66] }]] }, { f: 6 }, 70], "filter_data({'Cierra Vega': (6.2, 70), 'Alden Cantrell': (5.9, 65), 'Kierra Gentry': (6.0, 68), 'Pierre Cox': (5.8, 66)…"],
    ["Mbpp/737", "base/0", ["annie"], "check_str('annie')"],
  ])("%s %s: arguments rebuilt as EvalPlus does", (taskId, testId, args, display) => {
    const t = test(taskId, testId);
    expect(t.input.kind).toBe("call");
    expect(JSON.parse(JSON.stringify(t.input))).toMatchObject({ kind: "call", args });
    expect(t.display).toBe(display);
  });

  it("cuts long displays", () => {
    const long = spec.tasks.flatMap((t) => t.tests).filter((t) => (t.display ?? "").endsWith("…"));
    expect(long.length).toBeGreaterThan(0);
    expect(long.every((t) => (t.display ?? "").length <= 120)).toBe(true);
  });

  it("matches Python's own reading of every input (json.loads + EvalPlus's rules)", async () => {
    const { stdout } = await promisify(execFile)(
      "python3",
      [CROSS_CHECK, join(REAL_DATA_DIR, "mbpp/MbppPlus-v0.1.0.jsonl")],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(399);
    let compared = 0;
    for (const line of lines) {
      const want = JSON.parse(line) as { task_id: string; base: unknown[]; plus: unknown[] };
      const tests = task(want.task_id).tests;
      const got = {
        base: tests.filter((t) => t.group === "base").map((t) => (t.input.kind === "call" ? t.input.args : null)),
        plus: tests.filter((t) => t.group === "plus").map((t) => (t.input.kind === "call" ? t.input.args : null)),
      };
      // Both through JSON.stringify, so 1.0 vs 1 and -0.0 vs 0 print alike on both sides.
      expect(JSON.stringify(got), want.task_id).toBe(JSON.stringify({ base: want.base, plus: want.plus }));
      compared += got.base.length + got.plus.length;
    }
    expect(compared).toBe(1236 + 42082);
  });

  it("expects the reference's value under EvalPlus's comparison by default, with the task's atol", () => {
    expect(test("Mbpp/3", "base/0").expect).toEqual({ from: "reference", comparator: { kind: "evalplus", atol: 0 } });
    expect(test("Mbpp/82", "plus/0").expect).toEqual({ from: "reference", comparator: { kind: "evalplus", atol: 0.0001 } });
    const plain = spec.tasks.filter((t) => t.oracleCode === undefined && t.tests[0]?.input.kind === "call");
    expect(plain.length).toBeGreaterThan(390);
  });

  it.each([
    ["Mbpp/2", { kind: "set_eq", atol: 0 }],
    ["Mbpp/7", { kind: "set_eq", atol: 0 }],
    ["Mbpp/111", { kind: "set_eq", atol: 0 }],
    ["Mbpp/140", { kind: "set_eq", atol: 0 }],
    ["Mbpp/232", { kind: "set_eq", atol: 0 }],
    ["Mbpp/249", { kind: "set_eq", atol: 0 }],
    ["Mbpp/579", { kind: "set_eq", atol: 0 }],
    ["Mbpp/769", { kind: "set_eq", atol: 0 }],
    ["Mbpp/164", { kind: "always" }],
  ])("%s uses the special comparator %j", (taskId, comparator) => {
    for (const t of task(taskId).tests) expect(t.expect).toEqual({ from: "reference", comparator });
  });

  it.each(["Mbpp/737", "Mbpp/787", "Mbpp/794"])("%s judges `not None` through the job's projection", (taskId) => {
    for (const t of task(taskId).tests) {
      expect(t.input).toMatchObject({ kind: "call", project: "not_none" });
      expect(t.expect).toEqual({ from: "reference", comparator: { kind: "eq" } });
    }
    expect(test("Mbpp/3", "base/0").input).not.toHaveProperty("project");
  });

  it.each([
    ["Mbpp/295", "_zero", { kind: "eq" }, "def _zero(*_args):"],
    ["Mbpp/558", "_digit_distance_nums", { kind: "eq" }, "def _digit_distance_nums(num1, num2):"],
    ["Mbpp/581", "_surface_Area", { kind: "isclose", relTol: 0, absTol: 0 }, "def _surface_Area(base_edge, height):"],
  ])("%s also accepts the oracle %s", (taskId, fn, comparator, code) => {
    const t = task(taskId);
    expect(t.oracleCode).toContain(code);
    for (const x of t.tests) {
      expect(x.expect).toEqual({ from: "reference", comparator: { kind: "evalplus", atol: 0 }, alternatives: [{ fn, comparator }] });
    }
  });

  it("honours splits", async () => {
    const test = await loadMbppPlus({ dataDir: REAL_DATA_DIR, split: "test" });
    expect(test.tasks).toHaveLength(239);
  });
});

describe("oracle code runs in Python", () => {
  it.each([
    ["_zero(1, 2)", "0"],
    ["_digit_distance_nums(123, 256)", "7"],
    // "0001" against "2345": 2 + 3 + 4 + 4.
    ["_digit_distance_nums(1, 2345)", "13"],
    // 3² + 2·3·sqrt(1.5² + 4²) = 34.63…, rounded.
    ["_surface_Area(3, 4)", "35"],
    // 10² + 2·10·sqrt(5² + 20²) = 512.31…, rounded.
    ["_surface_Area(10, 20)", "512"],
  ])("%s == %s", async (call, want) => {
    const config = await loadBenchmarkConfig("mbpp-plus");
    const code = Object.values(config.oracle_functions ?? {}).join("\n");
    const { stdout } = await promisify(execFile)("python3", ["-c", `${code}\nprint(${call})`]);
    expect(stdout.trim()).toBe(want);
  });
});

describe("malformed MBPP+ data", () => {
  let config: BenchmarkConfig;
  let dir: string;
  const row: MbppPlusRow = {
    taskId: "Mbpp/2",
    number: 2,
    prompt: '"""\nShared elements.\n"""\n',
    entryPoint: "shared",
    canonicalSolution: "def shared(a, b):\n    return tuple(set(a) & set(b))\n",
    atol: 0,
    baseInput: [[[1n], [1n]]],
    plusInput: [],
  };

  beforeAll(async () => {
    config = await loadBenchmarkConfig("mbpp-plus");
    dir = await mkdtemp(join(tmpdir(), "verdict-mbpp-plus-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses an oracle whose entry point does not match the task", () => {
    expect(() => rowToTask(row, config)).toThrow(InputError);
    expect(() => rowToTask(row, config)).toThrow(/oracles\.2: .*similar_elements\(\).*shared\(\)/);
  });

  /** A data file of our own, with a config whose sha256 matches it. */
  async function loadText(text: string): Promise<BenchmarkSpec> {
    await mkdir(join(dir, "mbpp"), { recursive: true });
    await writeFile(join(dir, "mbpp", "tiny-plus.jsonl"), text);
    const sha256 = createHash("sha256").update(text).digest("hex");
    const data = [{ file: "mbpp/tiny-plus.jsonl", url: "https://example.org/tiny-plus.jsonl", sha256, gzip: false }];
    return loadMbppPlus({ dataDir: dir }, { ...config, data });
  }

  // Written out by hand: JSON.stringify would print 1.0 as 1.
  const good =
    '{"task_id": "Mbpp/3", "prompt": "\\"\\"\\"\\nNot prime.\\n\\"\\"\\"\\n", "entry_point": "is_not_prime", ' +
    '"canonical_solution": "def is_not_prime(n):\\n    return n < 2\\n", "base_input": [[2], [1.0]], "plus_input": [], "atol": 0}';

  it("loads a well-formed file of its own", async () => {
    const spec = await loadText(`${good}\n`);
    expect(spec.tasks.map((t) => t.tests.map((x) => x.display))).toEqual([["is_not_prime(2)", "is_not_prime(1.0)"]]);
  });

  it.each([
    ["broken JSON", "{", /tiny-plus\.jsonl:2: not valid JSON/],
    ["a missing field", good.replace('"prompt"', '"query"'), /tiny-plus\.jsonl:2: prompt: expected a string/],
    [
      "an oracle for another entry point",
      good.replace('"Mbpp/3"', '"Mbpp/2"'),
      /:2: Mbpp\/2: benchmarks\/mbpp-plus\.yaml oracles\.2: the definition is for similar_elements\(\)/,
    ],
    ["a bad task id", good.replace('"Mbpp/3"', '"HumanEval/3"'), /:2: task_id: expected "Mbpp\/<number>"/],
    ["an input that is not an argument list", good.replace("[[2], [1.0]]", "[2]"), /:2: Mbpp\/3: base_input\[0\] is not a list/],
    [
      "an input its transform cannot take",
      good.replace('"Mbpp/3"', '"Mbpp/106"').replace("[[2], [1.0]]", "[[[1], 2]]"),
      /:2: Mbpp\/106: base_input\[0\]: tuple_second_arg: int is not iterable/,
    ],
  ])("names the file and line for %s", async (_what, line, pattern) => {
    const err = await loadText(`${good}\n${line}\n`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(pattern);
  });
});
