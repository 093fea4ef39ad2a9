/** How long to wait between attempts. */
export interface BackoffOptions {
  /** Cap of the first retry's delay, in ms; it doubles per retry. */
  baseMs: number;
  /** Upper bound of any computed delay, in ms. */
  maxMs: number;
  /** Upper bound of a server's Retry-After, in ms (a misbehaving server must not stall a run for hours). */
  retryAfterMaxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000, retryAfterMaxMs: 120_000 };

/**
 * "Full jitter" exponential backoff: a uniform draw in [0, min(max, base·2^retry)).
 * Jitter spreads out clients that failed together so they do not retry in lockstep.
 */
export function fullJitterDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** retry);
  return Math.floor(random() * cap);
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
