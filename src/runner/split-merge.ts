/**
 * A sample's job put back together after tail splitting (src/runner/tail-split.ts): the job's
 * own result, cut at some test k, and the results of the jobs that ran its tests from k on,
 * joined into the one result the whole job would have given — or the reason that cannot be
 * told exactly, in which case the sample runs again whole.
 *
 * Each cut keeps test k on both sides, and both answers must agree (the same outcome and
 * value): a program whose answers depend on what earlier tests left in its process (a counter,
 * a mutated default argument) shows it there, and runs again whole. Without `continueAfterCrash`
 * a test that ended its process ends the sample, as in one process: the tests after it are
 * `skipped`, whatever the later parts found. What else runs whole again: a part that did not
 * load, a test not run before the sample's end, output that fills a report prefix (the parts'
 * output cannot be counted exactly then), values near the job-wide room, and a sample with a CPU
 * budget whose parts together used more than BUDGET_SHARE of it (the parts do more work than
 * one process — a load each, the shared tests — so under that share one process stayed inside
 * its budget; near it, only one process can tell).
 */
import type { Job, RawJobResult, RawTestResult, RawTestStatus } from "../core/job.js";
import { jobBudgetSeconds } from "../sandbox/wire.js";
import { cpuOf, joinedResult, nearValueRoom, partRefusal } from "./join-parts.js";

/** Outcomes after which the process that ran the test is gone (runner.py: the parent stopped it, or it died). */
export const ENDS_PROCESS: ReadonlySet<RawTestStatus> = new Set(["timeout", "memory", "killed", "exited", "output_limit", "protocol"]);
/** The share of a sample's CPU budget its parts may use together and still be merged. */
const BUDGET_SHARE = 0.9;

/** A part of a split job: the tests [from, to) of the job, and its result (numbered from 0 in it). */
export interface SplitPart {
  from: number;
  to: number;
  raw: RawJobResult;
}

/** What a test's answer is, for comparing the two runs of a cut's shared test (its time left out). */
function answerOf(r: RawTestResult): string {
  const { i: _i, t: _t, ...rest } = r;
  return JSON.stringify(rest);
}

/**
 * The whole job's result from its own (`raw`, cut where the first part starts) and its parts'
 * (each already whole for its span), or why it cannot be told exactly.
 */
export function mergeSplit(job: Job, raw: RawJobResult, parts: readonly SplitPart[]): { ok: true; raw: RawJobResult } | { ok: false; why: string } {
  const n = job.tests.length;
  const ordered = [...parts].sort((a, b) => a.from - b.from);
  // Each piece holds its tests from its start up to the next piece's start (that test runs on
  // both sides); the job's own result reports all n tests, those past its cut `skipped`.
  const pieces = [{ from: 0, to: n, raw }, ...ordered];
  if (raw.tests.length !== n) return { ok: false, why: `the job reported ${raw.tests.length} of ${n} tests` };
  // A program that did not load fails there, in one process as in any part.
  if (raw.load.st !== "ok") return { ok: true, raw };
  const tests: RawTestResult[] = [];
  const used: RawJobResult[] = [];
  let ended = false;
  for (const [k, piece] of pieces.entries()) {
    if (ended) break;
    used.push(piece.raw);
    const refused = partRefusal(piece.raw, `the part from test ${piece.from}`);
    if (refused !== undefined) return { ok: false, why: refused };
    const next = pieces[k + 1];
    // Where the next piece takes over (test `next.from` is the one both ran).
    const handover = next === undefined ? n : next.from;
    if (k > 0 && piece.raw.tests.length !== piece.to - piece.from) return { ok: false, why: `the part from test ${piece.from} reported ${piece.raw.tests.length} of ${piece.to - piece.from} tests` };
    if (next !== undefined && next.from <= piece.from) return { ok: false, why: `two parts start at test ${next.from}` };
    const stop = Math.min(handover, piece.to);
    for (let i = piece.from; i < stop && !ended; i++) {
      const r = piece.raw.tests[i - piece.from] as RawTestResult;
      if (r.st === "skipped") return { ok: false, why: `test ${i} was not run in its part` };
      tests.push({ ...r, i });
      if (!job.continueAfterCrash && ENDS_PROCESS.has(r.st)) ended = true;
    }
    if (ended) break;
    // Past its tests the sample goes on in the next piece, which must start within this one's (sharing a test).
    if (k > 0 && piece.to !== (next === undefined ? n : next.from + 1)) return { ok: false, why: `the part from test ${piece.from} does not meet the next one` };
    // The test both sides ran must have the same answer on both.
    if (!ended && next !== undefined) {
      const here = piece.raw.tests[next.from - piece.from];
      const there = next.raw.tests[0];
      if (here === undefined || there === undefined || answerOf(here) !== answerOf(there)) {
        return { ok: false, why: `test ${next.from} answered differently in a fresh process (${here?.st ?? "none"} / ${there?.st ?? "none"}): the program keeps state between tests` };
      }
    }
  }
  while (tests.length < n) tests.push({ i: tests.length, st: "skipped" });
  // The sample's end in its own job's part is that one process's own account, budget included.
  const budget = jobBudgetSeconds(job);
  const spent = cpuOf(used);
  if (budget !== undefined && used.length > 1 && (spent === undefined || spent > BUDGET_SHARE * budget)) {
    return { ok: false, why: spent === undefined ? "the CPU its parts used is not known, so its budget cannot be checked" : `its parts used ${spent.toFixed(2)} s of CPU, near its budget of ${budget} s` };
  }
  if (nearValueRoom(job, tests)) return { ok: false, why: "the values come near the job's room for them" };
  // Every part's work counts, those past the sample's end too (they ran).
  return { ok: true, raw: joinedResult(job, raw.load, tests, used, pieces.map((p) => p.raw)) };
}
