import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, REFERENCE, type RunningService, sessionForFile, startService } from "../helpers/judge-service.js";

const fileSession = sessionForFile();

let svc: RunningService;

beforeAll(async () => {
  svc = await startService(fileSession().session, { maxProgramBytes: 4096, maxItems: 8, maxBodyBytes: 64 * 1024 });
}, 240_000);

afterAll(async () => {
  await svc?.server.close();
});

describe("POST /v1/judge", () => {
  it("judges an MBPP reference solution as a pass, host-side, with per-test outcomes", async () => {
    const r = await post(`${svc.url}/v1/judge`, { task: "11", program: REFERENCE["11"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ task_id: "11", status: "pass", passed: 3, total: 3, compiles: true, weak: false });
    expect(r.json.tests.map((t: { id: string; outcome: string }) => [t.id, t.outcome])).toEqual([
      ["test/0", "pass"],
      ["test/1", "pass"],
      ["test/2", "pass"],
    ]);
    expect(r.json.program_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("judges a batch in order, each item with its own task, tests and mode", async () => {
    const wrong = "def square_perimeter(a):\n    return 4 * a if a != 5 else 21\n";
    const r = await post(`${svc.url}/v1/judge`, {
      items: [
        { task: 12, program: REFERENCE["12"] },
        { task: "17", program: wrong, mode: "all" },
        { task: "17", program: wrong },
        { task: "17", program: REFERENCE["17"], tests: [{ input: "3", output: "12" }, { input: "square_perimeter(0)", output: "0" }] },
      ],
    });
    expect(r.status).toBe(200);
    const [a, b, c, d] = r.json.results;
    expect(a).toMatchObject({ task_id: "12", status: "pass", passed: 3, total: 3 });
    // mode all: every test runs; the wrong answer on test/1 leaves test/0 and test/2 passing.
    expect(b).toMatchObject({ status: "wrong_answer", passed: 2, total: 3 });
    expect(b.tests[1]).toMatchObject({ id: "test/1", outcome: "wrong_answer", detail: "expected 20 got 21" });
    expect(c).toMatchObject({ status: "wrong_answer" });
    expect(d).toMatchObject({ status: "pass", passed: 2, total: 2 });
    expect(d.tests.map((t: { id: string }) => t.id)).toEqual(["inline/0", "inline/1"]);
  });

  it("accepts a task object in MBPP's schema and judges it on the host against the values its own code returns", async () => {
    const task = { task_id: 9001, text: "Double it.", code: "def dbl(x):\n    return 2 * x\n", test_list: ["assert dbl(2) == 4", "assert dbl(5) == 10"], test_setup_code: "" };
    const ok = await post(`${svc.url}/v1/judge`, { task, program: "def dbl(x):\n    return x + x\n" });
    expect(ok.json).toMatchObject({ task_id: "9001", status: "pass", weak: false, passed: 2, total: 2 });
    expect(ok.json.tests.map((t: { id: string }) => t.id)).toEqual(["test/0", "test/1"]);
    const bad = await post(`${svc.url}/v1/judge`, { task, program: "def dbl(x):\n    return x\n" });
    expect(bad.json).toMatchObject({ status: "wrong_answer" });
    expect(bad.json.tests[0]).toMatchObject({ outcome: "wrong_answer", detail: "expected 4 got 2" });
    // Forgeries that fool an assert run in the program's own process fail here: the host compares plain values.
    const forgeries = [
      "class A:\n    def __eq__(self, o):\n        return True\ndef dbl(x):\n    return A()\n",
      "import builtins\nbuiltins.AssertionError = type('Quiet', (BaseException,), {})\ndef dbl(x):\n    return 0\n",
      "class I(int):\n    def __eq__(self, o):\n        return True\ndef dbl(x):\n    return I(1)\n",
    ];
    const forged = await post(`${svc.url}/v1/judge`, { items: forgeries.map((program) => ({ task, program })) });
    expect(forged.status).toBe(200);
    for (const v of forged.json.results) expect(v.status).not.toBe("pass");
  });

  it("refuses a task object whose own code cannot compute an assert's expected value, naming the field and the test", async () => {
    // The expected side raises: no expected value, so nothing to judge a program against.
    const task = { task_id: 9002, text: "Broken.", code: "def inc(x):\n    return x + 1\n", test_list: ["assert inc(0) == 1", "assert inc(1) == int('two')"], test_setup_code: "" };
    const r = await post(`${svc.url}/v1/judge`, { items: [{ task: "11", program: REFERENCE["11"] }, { task, program: "def inc(x):\n    return x + 1\n" }] });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.error.message).toMatch(/items\.1\.task: the task object's reference solution \(code\) fails its test \(test\/1: raised ValueError/);
  });

  it("gives hostile programs a verdict, never a pass, and stays up", async () => {
    const hostile = [
      // An object equal to everything: the host compares plain values only.
      "class A:\n    def __eq__(self, o):\n        return True\ndef remove_Occ(s, ch):\n    return A()\n",
      // Exit before any test can fail.
      "import os\nos._exit(0)\n",
      // Forever.
      "def remove_Occ(s, ch):\n    while True:\n        pass\n",
      // Patch the comparison the process could see.
      "import builtins\nbuiltins.AssertionError = Exception\ndef remove_Occ(s, ch):\n    return None\n",
    ];
    const r = await post(`${svc.url}/v1/judge`, { items: hostile.map((program) => ({ task: "11", program })) });
    expect(r.status).toBe(200);
    const statuses = r.json.results.map((j: { status: string }) => j.status);
    expect(statuses).toEqual(["unserializable", "runtime_error", "timeout", "wrong_answer"]);
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    const again = await post(`${svc.url}/v1/judge`, { task: "11", program: REFERENCE["11"] });
    expect(again.json.status).toBe("pass");
  }, 60_000);

  it.each([
    ["bad JSON", "{not json", 400, /JSON/],
    ["an unknown task", { task: "Mbpp/99999", program: "x = 1" }, 400, /task: unknown task "Mbpp\/99999"/],
    ["a missing program", { task: "11" }, 400, /program/],
    ["an unknown field", { task: "11", program: "x=1", expected: 3 }, 400, /expected/],
    ["a bad mode", { task: "11", program: "x=1", mode: "fast" }, 400, /mode/],
    ["an unreadable inline case", { task: "11", program: "x=1", tests: [{ input: "open('/etc/passwd')", output: "1" }] }, 400, /tests\.0: unparsable/],
    ["tcg tests on a service without TCG runs", { task: "11", program: "x=1", tests: "tcg:run1" }, 400, /--tcg-runs/],
    ["an unknown item in a batch", { items: [{ task: "11", program: "x=1" }, { task: "nope", program: "x=1" }] }, 400, /items\.1\.task: unknown task/],
    ["an empty batch", { items: [] }, 400, /non-empty/],
    ["an oversized program", { task: "11", program: "#".repeat(5000) }, 413, /program is 5000 bytes; the limit is 4096/],
    ["too many items", { items: Array.from({ length: 9 }, () => ({ task: "11", program: "x=1" })) }, 413, /items has 9 items; the limit is 8/],
    ["an oversized body", { task: "11", program: "x", pad: "y".repeat(70 * 1024) }, 413, /too large/],
  ])("answers %s with %i and a message naming it", async (_what, body, status, message) => {
    const r = await post(`${svc.url}/v1/judge`, body);
    expect(r.status).toBe(status);
    expect(r.json.error.status).toBe(status);
    expect(r.json.error.message).toMatch(message);
  });

  it("logs requests without program text", () => {
    expect(svc.lines.some((l) => l.startsWith("POST /v1/judge 200"))).toBe(true);
    expect(svc.lines.join("\n")).not.toContain("remove_Occ");
  });
});
