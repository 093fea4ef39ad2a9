import { describe, expect, it } from "vitest";
import { roundPhases, tcgRoundOf, type PhaseRecord } from "../../src/selfplay/phases.js";
import { buildRoundsReport, roundDelta } from "../../src/selfplay/round-report.js";

const record = (round: number, phase: PhaseRecord["phase"], details: Record<string, unknown>, status: PhaseRecord["status"] = "complete"): PhaseRecord => ({
  round,
  phase,
  status,
  dir: `/run/round-${round}/${phase}`,
  started_at: "2026-01-01T00:00:00Z",
  finished_at: null,
  seconds: 2,
  attempts: 1,
  details,
  error: null,
});

const evaluation = (rates: Record<string, [number, number]>) => ({
  styles: { vanilla: { pass1: { value: 0, ci: { low: 0, high: 0 }, tasks: 1, samples: 1 }, aspr: { definition: "A", value: null, ci: null }, per_task: Object.fromEntries(Object.entries(rates).map(([id, [c, n]]) => [id, { c, n }])) } },
});

describe("the phases of a round", () => {
  it("serves and evaluates in round 0, runs the TCG in round 1 only unless every round asks for it", () => {
    expect(roundPhases(0, { every_round: false })).toEqual(["serve", "evaluate"]);
    expect(roundPhases(1, { every_round: false })).toEqual(["tcg", "search", "export", "train", "serve", "evaluate"]);
    expect(roundPhases(2, { every_round: false })).toEqual(["search", "export", "train", "serve", "evaluate"]);
    expect(roundPhases(2, { every_round: true })[0]).toBe("tcg");
    expect(roundPhases(1, undefined)[0]).toBe("search");
    expect([1, 2, 3].map((r) => tcgRoundOf(r, { every_round: false }))).toEqual([1, 1, 1]);
    expect([1, 2, 3].map((r) => tcgRoundOf(r, { every_round: true }))).toEqual([1, 2, 3]);
    expect(tcgRoundOf(2, undefined)).toBeUndefined();
  });
});

describe("rounds.json", () => {
  it("gives the change since round 0 over the tasks both rounds evaluated, with a paired interval and an exact permutation p", () => {
    // Differences by hand: a +0.5, b 0, c +0.25 (d only in round 1: left out); mean 0.25.
    const d = roundDelta(new Map([["a", 0], ["b", 1], ["c", 0.5]]), new Map([["a", 0.5], ["b", 1], ["c", 0.75], ["d", 1]]));
    expect(d?.tasks).toBe(3);
    expect(d?.value).toBeCloseTo(0.25, 12);
    // Two non-zero differences of the same sign: 2 of the 4 sign assignments reach |sum| 0.75.
    expect(d?.p_value).toBe(0.5);
    expect(d?.low).toBeCloseTo(0, 12);
    expect(d?.high).toBeCloseTo(0.5, 12);
    expect(roundDelta(new Map([["a", 1]]), new Map([["b", 1]]))).toBeNull();
  });

  it("reads each round's figures, data, trainer and budgets from the phase records, and marks an unfinished round", () => {
    const planned = (r: number) => roundPhases(r, { every_round: false });
    const records = [
      record(0, "serve", { checkpoint: "base", model: "policy" }),
      record(0, "evaluate", { ...evaluation({ "1": [1, 4], "2": [1, 4] }), model_calls: 4 }),
      record(1, "tcg", { validity: { estimate: 0.5, low: 0.3, high: 0.7 }, model_calls: 8 }),
      record(1, "search", { tasks: 2, solved: 1, solve_rate: 0.5, model_calls: 10, prompt_tokens: 100, completion_tokens: 20 }),
      record(1, "export", { formats: { dpo: { rows: 3, sha256: "abc", file: "/run/round-1/export/dpo.jsonl" } } }),
      record(1, "train", { command: "train --x", exit_code: 1 }, "failed"),
    ];
    const report = buildRoundsReport(records, 1, planned);
    expect(report.rounds).toHaveLength(2);
    expect(report.rounds[0]).toMatchObject({ round: 0, complete: true, checkpoint: "base", served_model: "policy", tcg_validity: null, search: null });
    expect(report.rounds[1]).toMatchObject({
      round: 1,
      complete: false,
      checkpoint: null,
      data: { dpo: { rows: 3, sha256: "abc" } },
      tcg_validity: { value: 0.5, low: 0.3, high: 0.7 },
      search: { tasks: 2, solved: 1, solve_rate: 0.5 },
      evaluation: {},
      trainer: { command: "train --x", exit_code: 1 },
      budgets: { model_calls: 18, tokens: 120, phases: { tcg: { seconds: 2, model_calls: 8 }, search: { model_calls: 10, tokens: 120 }, train: { seconds: 2, attempts: 1 } } },
    });
  });
});
