/**
 * The sample-slot layout: which sample index each drawn sample fills, and which seed its request
 * carries. Slots are fixed by the plan, never by arrival order, so a resumed run fills the same
 * slots and no two draws are the same request (the response cache never folds them into one).
 *
 * - Pass@1: samples 0..n-1 of each task; sample i's seed is seed + i (an answer-shaped style
 *   draws all n in one request at `seed`).
 * - ASPR: path p is sample p, seed + p; final step m of path p is sample P + p·M + m, drawn by
 *   one request with seed + P + p.
 */

/** What to sample per task. */
export type GenerationPlan = { purpose: "pass1"; n: number } | { purpose: "aspr"; paths: number; finals: number };

/** One final's slot: its sample index and which final of its path it is. */
export interface FinalSlot {
  index: number;
  final: number;
}

/** The sample slots a plan fills for one task, before knowing which paths write code. */
export function planSlots(plan: GenerationPlan): number {
  return plan.purpose === "pass1" ? plan.n : plan.paths * (1 + plan.finals);
}

/** Path p of an ASPR plan: its slot and seed, and its finals' slots and request seed. */
export function asprPath(plan: { paths: number; finals: number }, seed: number, p: number): { index: number; seed: number; finals: FinalSlot[]; finalsSeed: number } {
  const { paths: P, finals: M } = plan;
  return { index: p, seed: seed + p, finals: Array.from({ length: M }, (_, m) => ({ index: P + p * M + m, final: m })), finalsSeed: seed + P + p };
}
