/** The exact McNemar test's result on paired binary outcomes. */
export interface McNemarResult {
  /** Pairs that passed in A and failed in B. */
  b: number;
  /** Pairs that failed in A and passed in B. */
  c: number;
  /** Two-sided exact p-value: min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, 1/2). */
  pValue: number;
}

/**
 * The exact (binomial) McNemar test on discordant pair counts b and c. The tail sum runs in
 * log space (log C(n, i) by recurrence, then log-sum-exp), so b + c in the tens of thousands
 * neither overflows nor loses the small p-values a real regression produces.
 */
export function mcnemarExact(b: number, c: number): McNemarResult {
  for (const [name, v] of [
    ["b", b],
    ["c", c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  const n = b + c;
  const k = Math.min(b, c);
  if (n === 0 || 2 * k === n) return { b, c, pValue: 1 };
  // log C(n, i) for i = 0..k; all terms are summed relative to the largest (i = k, since k < n/2).
  const logTerms: number[] = [0];
  let logC = 0;
  for (let i = 0; i < k; i++) {
    logC += Math.log(n - i) - Math.log(i + 1);
    logTerms.push(logC);
  }
  const max = logC;
  let scaled = 0;
  for (const t of logTerms) scaled += Math.exp(t - max);
  const logTail = max + Math.log(scaled) - n * Math.LN2;
  const pValue = Math.min(1, Math.exp(Math.LN2 + logTail));
  return { b, c, pValue };
}
