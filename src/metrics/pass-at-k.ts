/**
 * The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained
 * on Code"): for a task with n samples of which c pass, 1 - C(n-c, k) / C(n, k), the chance
 * that k samples drawn without replacement include a passing one.
 */

function checkCount(name: string, x: number, min: number): void {
  if (!Number.isInteger(x) || x < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${x}`);
}

/**
 * pass@k for one task, in human-eval's product form 1 - Π_{i=n-c+1..n} (1 - k/i), which
 * never forms the huge binomials; 1 when fewer than k samples fail. Requires 1 <= k <= n.
 */
export function passAtK(n: number, c: number, k: number): number {
  checkCount("n", n, 1);
  checkCount("k", k, 1);
  if (!Number.isInteger(c) || c < 0 || c > n) throw new RangeError(`c must be an integer in [0, ${n}], got ${c}`);
  if (k > n) throw new RangeError(`pass@${k} is undefined with only ${n} samples`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** The mean of pass@k over tasks, each given as its sample count n and pass count c. */
export function meanPassAtK(perTask: readonly { n: number; c: number }[], k: number): number {
  if (perTask.length === 0) throw new RangeError("pass@k of no tasks is undefined");
  let sum = 0;
  for (const t of perTask) sum += passAtK(t.n, t.c, k);
  return sum / perTask.length;
}
