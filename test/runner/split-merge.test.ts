import { describe, expect, it } from "vitest";
import type { Job, RawJobResult, RawTestResult } from "../../src/core/job.js";
import { DEFAULT_LIMITS } from "../../src/sandbox/limits.js";
import { mergeSplit } from "../../src/runner/split-merge.js";

/* A split sample's parts merged into the one result its job would give, or refused. */

const job = (n: number, continueAfterCrash = false): Job => ({
  id: "s",
  program: "",
  setup: "",
  tests: Array.from({ length: n }, (_, i) => ({ kind: "call" as const, fn: "f", args: [i] })),
  limits: DEFAULT_LIMITS,
  continueAfterCrash,
});
const value = (i: number, v = i * 2): RawTestResult => ({ i, st: "value", v, t: 0.01 });
const raw = (tests: RawTestResult[], extra: Partial<RawJobResult> = {}): RawJobResult => ({ id: "x", load: { st: "ok" }, tests, stdout: "", stderr: "", maxRssKb: 100, wallSeconds: 1, cpuSeconds: 0.5, ...extra });
/** The job's own result cut after test k (the tests past it skipped). */
const cutAt = (n: number, k: number, at: (i: number) => RawTestResult = value): RawJobResult =>
  raw(Array.from({ length: n }, (_, i) => (i <= k ? at(i) : { i, st: "skipped" as const })));
/** A part's result for tests [from, to), numbered from 0. */
const part = (from: number, to: number, at: (i: number) => RawTestResult = value, extra: Partial<RawJobResult> = {}) => ({
  from,
  to,
  raw: raw(
    Array.from({ length: to - from }, (_, k) => ({ ...at(from + k), i: k })),
    extra,
  ),
});

describe("mergeSplit", () => {
  it("joins the job's tests before the cut with the part's from it, as one job's result", () => {
    const merged = mergeSplit(job(6), cutAt(6, 3, (i) => value(i)), [part(3, 6, (i) => value(i), { stdout: "b", maxRssKb: 300 })]);
    expect(merged.ok).toBe(true);
    if (!merged.ok) return;
    expect(merged.raw.tests).toEqual([0, 1, 2, 3, 4, 5].map((i) => value(i)));
    expect(merged.raw).toMatchObject({ id: "s", stdout: "b", maxRssKb: 300, wallSeconds: 2, cpuSeconds: 1 });
  });

  it("joins a job cut twice and a part cut again, in input order", () => {
    // The job kept [0, 2], a first part [5, 8) was cut at 6 into [5, 6] and [6, 8), a second part [2, 6).
    const first = mergeSplit(job(3), raw([value(5), value(6), { i: 2, st: "skipped" as const }].map((r, k) => ({ ...r, i: k }))), [part(1, 3, (i) => value(i + 5))]);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    const merged = mergeSplit(job(8), cutAt(8, 2), [{ from: 5, to: 8, raw: first.raw }, part(2, 6)]);
    expect(merged.ok && merged.raw.tests.map((t) => t.v)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it("ends the sample at a test that ended its process, whatever the later parts found", () => {
    const crashed = (i: number): RawTestResult => (i === 1 ? { i, st: "timeout", t: 1 } : i > 1 ? { i, st: "skipped" } : value(i));
    const merged = mergeSplit(job(6), raw(Array.from({ length: 6 }, (_, i) => crashed(i))), [part(3, 6, (i) => value(i), { load: { st: "timeout" } })]);
    expect(merged.ok && merged.raw.tests.map((t) => t.st)).toEqual(["value", "timeout", "skipped", "skipped", "skipped", "skipped"]);
    // With continueAfterCrash every test counts: the part's answers are kept.
    const all = mergeSplit(job(6, true), cutAt(6, 3, (i) => (i === 1 ? { i, st: "timeout" } : value(i))), [part(3, 6)]);
    expect(all.ok && all.raw.tests.map((t) => t.st)).toEqual(["value", "timeout", "value", "value", "value", "value"]);
    // A crash in a part ends the sample there.
    const late = mergeSplit(job(6), cutAt(6, 2), [part(2, 6, (i) => (i === 4 ? { i, st: "killed", sig: 9 } : i === 5 ? { i, st: "skipped" } : value(i)))]);
    expect(late.ok && late.raw.tests.map((t) => t.st)).toEqual(["value", "value", "value", "value", "killed", "skipped"]);
  });

  it("needs no part past the test that ended the sample (a part stopped there is left out)", () => {
    // The job was cut at 5 and again at 2; the part [2, 6) timed out at 3, so the part [5, 8) was stopped.
    const merged = mergeSplit(job(8), cutAt(8, 2), [part(2, 6, (i) => (i === 3 ? { i, st: "timeout" } : i > 3 ? { i, st: "skipped" } : value(i)))]);
    expect(merged.ok && merged.raw.tests.map((t) => t.st)).toEqual(["value", "value", "value", "timeout", "skipped", "skipped", "skipped", "skipped"]);
    // Without the end, the missing part is a gap.
    expect(mergeSplit(job(8), cutAt(8, 2), [part(2, 6)])).toMatchObject({ ok: false, why: expect.stringMatching(/does not meet/) });
  });

  it("refuses a program whose answer to the shared test differs in a fresh process (state kept between tests)", () => {
    const merged = mergeSplit(job(6), cutAt(6, 3), [part(3, 6, (i) => value(i, i === 3 ? 99 : i * 2))]);
    expect(merged).toEqual({ ok: false, why: expect.stringMatching(/test 3 answered differently in a fresh process.*keeps state/) });
  });

  it("refuses what a join cannot reproduce exactly: a part that did not load, a test not run, output that fills a report", () => {
    expect(mergeSplit(job(6), cutAt(6, 3), [part(3, 6, value, { load: { st: "timeout" } })])).toMatchObject({ ok: false, why: expect.stringMatching(/did not load/) });
    expect(mergeSplit(job(6), cutAt(6, 3), [part(3, 6, (i) => (i === 4 ? { i, st: "skipped" } : value(i)))])).toMatchObject({ ok: false, why: expect.stringMatching(/test 4 was not run/) });
    expect(mergeSplit(job(6), cutAt(6, 3), [part(3, 6, value, { stderr: "x".repeat(16 * 1024) })])).toMatchObject({ ok: false, why: expect.stringMatching(/printed more/) });
    expect(mergeSplit(job(6), cutAt(6, 3), [part(4, 6)])).toMatchObject({ ok: false });
  });

  it("keeps a load failure as the sample's verdict", () => {
    const failed = raw(Array.from({ length: 6 }, (_, i) => ({ i, st: "skipped" as const })), { load: { st: "syntax_error", line: 1 } });
    expect(mergeSplit(job(6), failed, [part(3, 6)])).toEqual({ ok: true, raw: failed });
  });
});
