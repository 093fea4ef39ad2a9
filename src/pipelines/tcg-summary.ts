import { z } from "zod";
import { CASE_VALIDITIES } from "../tcg/validation.js";

/**
 * The `tcg` section of a TCG run's summary.json: per model, the quality of its tests
 * (src/tcg/quality.ts) and what its requests gave; the mutants; the run directories whose
 * samples measured TPR and kill rate; the exports. The terminal table (src/report/tcg-table.ts)
 * and the HTML report's section read it through this schema, so there is one definition of it.
 * Unknown fields are dropped on reading: a summary written by a newer verdict stays readable.
 */

const rate = z.object({ successes: z.int().nonnegative(), n: z.int().nonnegative(), estimate: z.number(), low: z.number(), high: z.number() });
const programRate = z.object({ rate, untested: z.int().nonnegative(), undetermined: z.int().nonnegative() });

/** A model's test quality as summary.json keeps it. */
export const tcgQualitySchema = z.object({
  cases: z.object({ total: z.int(), counted: z.int(), byValidity: z.record(z.enum(CASE_VALIDITIES), z.int()) }),
  validity: rate,
  validityOfExecuted: rate,
  tasks: z.object({ total: z.int(), withoutCases: z.int(), allValid: rate }),
  perTask: z.record(z.string(), z.object({ counted: z.int(), valid: z.int() })),
  tpr: z.object({ reference: programRate, correct: programRate, all: programRate, testPassRate: rate }),
  killRate: z.object({ samples: programRate, mutants: programRate, all: programRate }),
});

const count = z.int().nonnegative();

/** One model of a TCG run. */
export const tcgModelSummarySchema = z.object({
  name: z.string(),
  model: z.string(),
  provider: z.string(),
  requests: z.object({ asked: count, answered: count, cached: count, failed: count }),
  cases: z.object({ asked: count, extra: count, missing: count }),
  programs: z.object({ reference: count, correct: count, wrong_samples: count, mutants: count }),
  quality: tcgQualitySchema,
});

/** The `tcg` section of summary.json. */
export const tcgSummarySchema = z.object({
  complete: z.boolean(),
  tasks: count,
  settings: z.object({ requests: count, cases: count, max_case_chars: count }),
  units: z.object({ total: count, validated_now: count, from_disk: count }),
  incomplete: z.array(z.object({ model: z.string(), task_id: z.string(), error: z.string() })),
  models: z.array(tcgModelSummarySchema),
  mutants: z
    .looseObject({ max: count, seed: z.int(), made: count, kept: count, equivalent: count, stillborn: count, undetermined: count, references_not_mutated: count })
    .nullable(),
  runs: z.array(z.object({ dir: z.string(), role: z.enum(["correct", "wrong_sample"]), used: count, other_status: count, other_tasks: count, without_program: count })),
  exports: z.object({ sft: z.object({ file: z.string(), rows: count, sha256: z.string() }), dpo: z.object({ file: z.string(), rows: count, sha256: z.string() }) }).nullable(),
  seconds: z.number(),
});

/** The `tcg` section of summary.json. */
export type TcgSummary = z.infer<typeof tcgSummarySchema>;

/** One model of a TCG summary. */
export type TcgModelSummary = z.infer<typeof tcgModelSummarySchema>;

/** The `tcg` section of a parsed summary.json, or undefined when the run is not a TCG run (or its section is malformed). */
export function tcgSummaryOf(summary: unknown): TcgSummary | undefined {
  if (summary === null || typeof summary !== "object" || !("tcg" in summary)) return undefined;
  const parsed = tcgSummarySchema.safeParse(summary.tcg);
  return parsed.success ? parsed.data : undefined;
}
