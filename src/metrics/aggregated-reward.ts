/**
 * o1-Coder's aggregated reward for the RL stage (Algorithm 1, step 5):
 * φ(R, r_1..m) = α(t)·R + (1 − α(t))·(1/m)·Σ_{j=1..m} γ^j·r_j, with α(t) = max(0.1, 1 − 0.01·t)
 * and γ = 0.9 (the paper's public code). R is the outcome reward of the policy's code (the
 * passed fraction on the generated tests), r_j the process reward of step j; early in training
 * (small t) the outcome dominates, and the weight shifts to the process rewards as t grows,
 * never below 10% on the outcome.
 */

/** The paper's discount of later steps' process rewards. */
export const PHI_GAMMA = 0.9;

/** α(t) = max(0.1, 1 − 0.01·t): the outcome's weight at training step t. */
export function phiAlpha(t: number): number {
  if (!(Number.isFinite(t) && t >= 0)) throw new RangeError(`the training step t must be a finite number ≥ 0, got ${t}`);
  return Math.max(0.1, 1 - 0.01 * t);
}

/** φ(R, r_1..m) at training step t (γ^j counts from j = 1 for the first step). */
export function aggregatedReward(outcome: number, stepRewards: readonly number[], t: number, gamma: number = PHI_GAMMA): number {
  if (stepRewards.length === 0) throw new RangeError("φ needs the process reward of at least one step (m ≥ 1)");
  for (const [name, v] of [["outcome", outcome], ["gamma", gamma], ...stepRewards.map((r, j) => [`r_${j + 1}`, r] as const)] as const) {
    if (!Number.isFinite(v)) throw new RangeError(`${name} must be a finite number, got ${v}`);
  }
  const alpha = phiAlpha(t);
  let discounted = 0;
  stepRewards.forEach((r, j) => {
    discounted += gamma ** (j + 1) * r;
  });
  return alpha * outcome + ((1 - alpha) * discounted) / stepRewards.length;
}
