/** A seeded source of uniform random numbers; the same seed gives the same sequence on every platform. */
export interface Rng {
  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** An integer in [0, n), for 0 < n ≤ 2^32. */
  int(n: number): number;
}

/**
 * Creates an sfc32 generator (small, fast, passes PractRand) seeded through splitmix32,
 * so nearby seeds (0, 1, 2) still give unrelated streams. Any finite number is a valid seed;
 * seeds up to 2^53 are distinct.
 */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number, got ${seed}`);
  const whole = Math.trunc(Math.abs(seed));
  let sm = (whole >>> 0) ^ Math.imul(Math.floor(whole / 2 ** 32) >>> 0, 0x9e3779b9) ^ (seed < 0 ? 0x5bd1e995 : 0);
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = 1;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // sfc32's first outputs are correlated with the seed; the reference implementation discards 12.
  for (let i = 0; i < 12; i++) nextU32();
  return {
    next: () => nextU32() / 2 ** 32,
    int: (n: number) => Math.floor((nextU32() / 2 ** 32) * n),
  };
}
