import type { Figure } from "../pipelines/bench-jobs.js";

/** A figure as `median (min …, max …)`, each value times `scale` (100 for a share in %). */
export function fmt(f: Figure, digits = 1, scale = 1): string {
  return `${(f.median * scale).toFixed(digits)} (min ${(f.min * scale).toFixed(digits)}, max ${(f.max * scale).toFixed(digits)})`;
}
