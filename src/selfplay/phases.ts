import { z } from "zod";

/**
 * The phases of a self-play round and the record each leaves in its directory
 * (`<run>/round-N/<phase>/phase.json`). Round 0 serves and evaluates the starting checkpoint;
 * every later round generates tests (the first round only, unless the TCG runs every round),
 * searches with the previous round's policy, exports the trees, trains, serves the new
 * checkpoint and evaluates it. The records are the loop's state: a phase whose record says
 * `complete` is never run again.
 */

/** The phases, in the order a round runs them. */
export const PHASES = ["tcg", "search", "export", "train", "serve", "evaluate"] as const;

/** One phase's name. */
export type PhaseName = (typeof PHASES)[number];

/** The phases round `round` runs. */
export function roundPhases(round: number, tcg: { every_round: boolean } | undefined): PhaseName[] {
  if (round === 0) return ["serve", "evaluate"];
  const withTcg = tcg !== undefined && (round === 1 || tcg.every_round);
  return PHASES.filter((p) => p !== "tcg" || withTcg);
}

/** The round whose TCG run gives round `round` its tests (undefined without a tcg section). */
export function tcgRoundOf(round: number, tcg: { every_round: boolean } | undefined): number | undefined {
  if (tcg === undefined || round === 0) return undefined;
  return tcg.every_round ? round : 1;
}

export const phaseRecordSchema = z.looseObject({
  round: z.int().min(0),
  phase: z.enum(PHASES),
  status: z.enum(["running", "complete", "failed", "interrupted"]),
  dir: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  /** Wall seconds over every attempt (a resumed phase adds its time to the killed one's). */
  seconds: z.number().min(0),
  attempts: z.int().positive(),
  details: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
});

/** phase.json: what one phase of one round did. */
export type PhaseRecord = z.infer<typeof phaseRecordSchema>;

/** The file of a phase's record, in its directory. */
export const PHASE_FILE = "phase.json";

/** The directory of a round's phase, relative to the run. */
export function phaseDir(round: number, phase: PhaseName): string {
  return `round-${round}/${phase}`;
}
