import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  assertKey,
  buildDecomposeRequest,
  DECOMPOSE_ASSERTS_SCRIPT,
  type DecomposedAssert,
  type DecomposeRequest,
  parseDecomposeResponse,
} from "../../src/benchmarks/assert-decomposition.js";
import { loadCustomBenchmark } from "../../src/benchmarks/custom.js";
import { loadMbpp } from "../../src/benchmarks/mbpp.js";
import { loadMbppSanitized } from "../../src/benchmarks/mbpp-sanitized.js";
import { SandboxFault } from "../../src/core/errors.js";
import type { BenchmarkSpec } from "../../src/core/task.js";
import { hasRealData, REAL_DATA_DIR } from "../fixtures/benchmarks/real-data.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/benchmarks/mini-mbpp.jsonl", import.meta.url));

/** Runs the decomposer with the host's python3, as a stdio job would in the sandbox. */
function runScript(request: unknown): string {
  // -S -B: the flags the sandbox runs trusted scripts with (no site packages, no .pyc files).
  return execFileSync("python3", ["-S", "-B", DECOMPOSE_ASSERTS_SCRIPT], {
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

function decompose(request: DecomposeRequest): Map<string, DecomposedAssert> {
  return parseDecomposeResponse(runScript(request));
}

const REFERENCE = [
  "import math",
  "import re as regex",
  "from collections import Counter",
  "LIMIT = 10",
  "a, (b, c) = 1, (2, 3)",
  "class Box:",
  "    inner = 1",
  "    def size(self):",
  "        return 0",
  "def f(x, y=0):",
  "    global made",
  "    made = True",
  "    local = x",
  "    return x + y",
  "for idx in range(1): pass",
  "squares = [k * k for k in range(3)]",
].join("\n");

const EQ = { kind: "eq" } as const;

describe("decompose_asserts.py", () => {
  const cases: [string, DecomposedAssert][] = [
    ["assert f(1) == 1", { ok: true, candidate: "f(1)", expected: "1", comparator: EQ }],
    ["assert 3 == f(1, 2)", { ok: true, candidate: "f(1, 2)", expected: "3", comparator: EQ }],
    ["assert ( f (1,2) )==(3)", { ok: true, candidate: "f(1, 2)", expected: "3", comparator: EQ }],
    ["  assert f(1)==[1,  (2,),{3:4}]  ", { ok: true, candidate: "f(1)", expected: "[1, (2,), {3: 4}]", comparator: EQ }],
    ["assert f(-1) == -1", { ok: true, candidate: "f(-1)", expected: "-1", comparator: EQ }],
    ["assert set(f([1])) == set((1, 2))", { ok: true, candidate: "f([1])", expected: "set((1, 2))", comparator: EQ, view: ["set"] }],
    ["assert len(set(f([1]))) == 2", { ok: true, candidate: "f([1])", expected: "2", comparator: EQ, view: ["set", "len"] }],
    ["assert int(f(1.5)) == 1", { ok: true, candidate: "f(1.5)", expected: "1", comparator: EQ, view: ["int"] }],
    ["assert f(1) == sorted([x for x in range(3)])", { ok: true, candidate: "f(1)", expected: "sorted([x for x in range(3)])", comparator: EQ }],
    ["assert Box().inner == 1", { ok: true, candidate: "Box().inner", expected: "1", comparator: EQ }],
    ["assert LIMIT == 10", { ok: true, candidate: "LIMIT", expected: "10", comparator: EQ }],
    ["assert made == True", { ok: true, candidate: "made", expected: "True", comparator: EQ }],
    ["assert regex.escape('.') == '\\\\.'", { ok: false, reason: "the program's side is library code, not the program: regex.escape" }],
    ["assert Box().size() == 0", { ok: true, candidate: "Box().size()", expected: "0", comparator: EQ }],
    ["assert (a, b, c, idx) == (1, 2, 3, 0)", { ok: true, candidate: "(a, b, c, idx)", expected: "(1, 2, 3, 0)", comparator: EQ }],
    ["assert Counter('aab') == {'a': 2, 'b': 1}", { ok: false, reason: "the program's side is library code, not the program: Counter" }],
    ["assert tree_size(root) == 3", { ok: true, candidate: "tree_size(root)", expected: "3", comparator: EQ }],
    [
      "assert math.isclose(f(1.5), 1.5, rel_tol=0.001)",
      { ok: true, candidate: "f(1.5)", expected: "1.5", comparator: { kind: "isclose", relTol: 0.001, absTol: 0 } },
    ],
    [
      "assert math.isclose(2.0, f(2), abs_tol=1e-6, rel_tol=0)",
      { ok: true, candidate: "f(2)", expected: "2.0", comparator: { kind: "isclose", relTol: 0, absTol: 1e-6 } },
    ],
    [
      "assert math.isclose(f(1), 1)",
      { ok: true, candidate: "f(1)", expected: "1", comparator: { kind: "isclose", relTol: 1e-9, absTol: 0 } },
    ],
    ["assert f(1)", { ok: true, candidate: "not not f(1)", expected: "None", comparator: { kind: "truthy" } }],
    ["assert not f(0)", { ok: true, candidate: "not not f(0)", expected: "None", comparator: { kind: "falsy" } }],
    ["assert f(1) != 2", { ok: false, reason: "comparison other than ==: NotEq" }],
    ["assert f(1) < 2", { ok: false, reason: "comparison other than ==: Lt" }],
    ["assert f(1) is True", { ok: false, reason: "comparison other than ==: Is" }],
    ["assert 1 == f(1) == 1", { ok: false, reason: "chained comparison" }],
    ["assert f(1) == 1, 'message'", { ok: true, candidate: "f(1)", expected: "1", comparator: { kind: "eq" } }],
    ["assert f(1) == f(2)", { ok: false, reason: "both sides use the program's names" }],
    ["assert 1 == 1", { ok: false, reason: "neither side uses the program's names" }],
    ["assert f(1) == math.pi", { ok: false, reason: "both sides use the program's names" }],
    ["assert f(1) == undefined_thing", { ok: false, reason: "the expected side uses names other than builtins: undefined_thing" }],
    ["assert (f(1) == 1) == True", { ok: false, reason: "the program's side compares or combines truth values itself" }],
    ["assert not f(1) == 2", { ok: false, reason: "the program's side compares or combines truth values itself" }],
    ["assert f(1) and f(2)", { ok: false, reason: "and/or in an assert" }],
    ["assert math.isclose(f(1), 1, rel_tol=tol)", { ok: false, reason: "rel_tol is not a literal number" }],
    ["assert math.isclose(f(1), 1, abs_tol=-1)", { ok: false, reason: "abs_tol must be finite and non-negative" }],
    ["assert math.isclose(f(1), 1, 2)", { ok: false, reason: "math.isclose needs exactly two positional arguments" }],
    // Comparisons hidden in calls: decomposed where the host can run them on a plain copy, else weak.
    ["assert operator.eq(f(6), [0, 2, 4])", { ok: true, candidate: "f(6)", expected: "[0, 2, 4]", comparator: EQ }],
    ["assert eq([0, 2], f(3))", { ok: true, candidate: "f(3)", expected: "[0, 2]", comparator: EQ }],
    ["assert operator.eq(f(6), [0, 2, 4]) == True", { ok: true, candidate: "f(6)", expected: "[0, 2, 4]", comparator: EQ }],
    [
      "assert math.isclose(f(1.5), 1.5) == True",
      { ok: true, candidate: "f(1.5)", expected: "1.5", comparator: { kind: "isclose", relTol: 1e-9, absTol: 0 } },
    ],
    ["assert f(7).count(6) == 1", { ok: false, reason: "the program's side runs .count on the program's value in the job: f(7).count" }],
    ["assert f(7).index(6) == 3", { ok: false, reason: "the program's side runs .index on the program's value in the job: f(7).index" }],
    ["assert f(3).__eq__([0, 2])", { ok: false, reason: "the program's side runs .__eq__ on the program's value in the job: f(3).__eq__" }],
    ["assert isinstance(f(3), list)", { ok: false, reason: "the program's side is library code, not the program: isinstance" }],
    ["assert sorted(f(3)) == [0, 2]", { ok: false, reason: "the program's side is library code, not the program: sorted" }],
    ["assert f(3)[0] == 0", { ok: false, reason: "the program's side computes on the program's value in the job: f(3)[0]" }],
    ["assert f(3) + 1 == 4", { ok: false, reason: "the program's side computes on the program's value in the job: f(3) + 1" }],
    ["assert list(set(f(3))) == [3]", { ok: false, reason: "list() of a set() depends on Python's set order" }],
    ["assert math.isclose(f(1), 1) == False", { ok: false, reason: "the program's side is library code, not the program: math.isclose" }],
    ["assert not isinstance(f(3), list)", { ok: false, reason: "the program's side is library code, not the program: isinstance" }],
    ["f(1) == 1", { ok: false, reason: "not a single assert statement" }],
    ["assert f(1) == 1\nassert f(2) == 2", { ok: false, reason: "not a single assert statement" }],
    ["assert f(1 == 1", { ok: false, reason: "syntax error: '(' was never closed" }],
  ];
  let results: Map<string, DecomposedAssert>;

  beforeAll(() => {
    results = decompose({
      items: cases.map(([src], i) => ({
        key: String(i),
        src,
        reference: REFERENCE,
        setup: "root = make_tree()\nimport operator\nfrom operator import eq\n",
      })),
    });
  });

  it.each(cases.map(([src, want], i) => [src, want, i] as const))("%s", (_src, want, i) => {
    expect(results.get(String(i))).toEqual(want);
  });

  it("takes names instead of code when given", () => {
    const out = decompose({
      items: [{ key: "k", src: "assert g(1) == 2", candidate_names: ["g"], setup_names: [] }],
    });
    expect(out.get("k")).toEqual({ ok: true, candidate: "g(1)", expected: "2", comparator: EQ });
  });

  it("reports reference code that does not parse", () => {
    const out = decompose({ items: [{ key: "k", src: "assert f(1) == 1", reference: "def f(:", setup: "" }] });
    expect(out.get("k")).toMatchObject({ ok: false, reason: expect.stringMatching(/^the reference code does not parse/) });
  });

  it("exits 2 on a request it cannot read", () => {
    expect(() => runScript({ nothing: [] })).toThrow(/bad request/);
  });
});

describe("requests and answers", () => {
  it("covers every assert test of a spec and reads the answer by key", async () => {
    const spec = await loadCustomBenchmark(FIXTURE, { challenge: true });
    const request = buildDecomposeRequest(spec);
    expect(request.items.map((i) => i.key)).toEqual([
      ...["test/0", "test/1", "test/2", "challenge/0"].map((t) => assertKey("1", t)),
      ...["test/0", "test/1", "test/2"].map((t) => assertKey("2", t)),
      ...["test/0", "test/1", "test/2"].map((t) => assertKey("3", t)),
    ]);
    expect(request.items[4]).toMatchObject({ src: "assert length(chain) == 3", setup: "chain = Cell(1, Cell(2, Cell(3)))\n" });
    const out = decompose(request);
    expect(out.get(assertKey("2", "test/0"))).toEqual({ ok: true, candidate: "length(chain)", expected: "3", comparator: EQ });
    expect(out.get(assertKey("2", "test/2"))).toEqual({ ok: true, candidate: "length(Cell(1))", expected: "1", comparator: EQ });
    expect(out.get(assertKey("3", "test/1"))).toEqual({
      ok: true,
      candidate: "not not is_palindrome('verdict')",
      expected: "None",
      comparator: { kind: "falsy" },
    });
  });

  it("keys are unambiguous", () => {
    expect(assertKey("a/b", "c")).not.toBe(assertKey("a", "b/c"));
  });

  it.each([
    ["not JSON", "oops", /invalid JSON/],
    ["a missing items list", "{}", /items/],
    ["an unknown comparator", '{"items": [{"key": "k", "ok": true, "candidate": "f()", "expected": "1", "comparator": {"kind": "lt"}}]}', /comparator/],
    ["ok without a candidate", '{"items": [{"key": "k", "ok": true, "expected": "1", "comparator": {"kind": "eq"}}]}', /candidate/],
  ])("an answer with %s is a sandbox fault", (_what, stdout, pattern) => {
    expect(() => parseDecomposeResponse(stdout)).toThrow(SandboxFault);
    expect(() => parseDecomposeResponse(stdout)).toThrow(pattern);
  });
});

describe.skipIf(!hasRealData)("decomposing all of MBPP", () => {
  let specs: BenchmarkSpec[];
  let results: Map<string, DecomposedAssert>;
  let request: DecomposeRequest;

  beforeAll(async () => {
    specs = [
      await loadMbpp({ dataDir: REAL_DATA_DIR, split: "all", challenge: true }),
      await loadMbppSanitized({ dataDir: REAL_DATA_DIR }),
    ];
    // One request for both: the keys of the two benchmarks collide, so prefix them.
    request = {
      items: specs.flatMap((spec) => buildDecomposeRequest(spec).items.map((i) => ({ ...i, key: `${spec.name}:${i.key}` }))),
    };
    results = decompose(request);
  });

  function tally(name: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [key, r] of results) {
      if (!key.startsWith(`${name}:`)) continue;
      const label = r.ok ? r.comparator.kind : `not: ${r.reason}`;
      counts[label] = (counts[label] ?? 0) + 1;
    }
    return counts;
  }

  it("decomposes all but 3 of MBPP's 2938 asserts (2922 tests, 16 challenge)", () => {
    expect(tally("mbpp")).toEqual({
      eq: 2935, // 6 of them `assert f(x) == 1,2`: the `,2` is a message, which never decides a pass
      "not: both sides use the program's names": 3, // task 596: sys.getsizeof, with sys imported by the reference
    });
  });

  it("decomposes all but 3 of sanitized MBPP's 1324 asserts", () => {
    expect(tally("mbpp-sanitized")).toEqual({
      eq: 1260,
      isclose: 39,
      truthy: 12,
      falsy: 10,
      "not: both sides use the program's names": 3,
    });
  });

  it("decomposes every `assert <call> == <literal>`, the call becoming the job's expression", () => {
    // Python's ast says which asserts have that shape, and what the call reads as.
    const shapes = JSON.parse(
      execFileSync(
        "python3",
        [
          "-c",
          [
            "import ast, json, sys",
            "out = {}",
            "for item in json.load(sys.stdin)['items']:",
            "    t = ast.parse(item['src'].strip()).body[0]",
            "    e = t.test",
            "    if t.msg is None and isinstance(e, ast.Compare) and len(e.ops) == 1 and isinstance(e.ops[0], ast.Eq) and isinstance(e.left, ast.Call):",
            "        try: ast.literal_eval(e.comparators[0])",
            "        except ValueError: continue",
            "        call, view = e.left, []",
            "        if isinstance(call.func, ast.Name) and call.func.id in ('set', 'int') and isinstance(call.args[0], ast.Call):",
            "            call, view = call.args[0], [call.func.id]",
            "        out[item['key']] = [ast.unparse(call), ast.unparse(e.comparators[0]), view]",
            "json.dump(out, sys.stdout)",
          ].join("\n"),
        ],
        { input: JSON.stringify(request), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
      ),
    ) as Record<string, [string, string, string[]]>;
    const keys = Object.keys(shapes);
    expect(keys.filter((k) => k.startsWith("mbpp:") && k.includes('"test/')).length).toBeGreaterThanOrEqual(2911);
    for (const key of keys) {
      const [call, literal, view] = shapes[key] as [string, string, string[]];
      expect(results.get(key), key).toEqual({ ok: true, candidate: call, expected: literal, comparator: EQ, ...(view.length > 0 ? { view } : {}) });
    }
  });
});
