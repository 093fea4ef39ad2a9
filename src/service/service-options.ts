/**
 * What the judging service is told at start: where it listens, who may call it, how much one
 * request may ask for, and how rewards are scored. Every limit has a safe default.
 */

/** How `/get_reward` turns a judgement into a number. */
export interface RewardOptions {
  /**
   * `binary` (the default): 1 when every test passes, else 0 (first-failure judging).
   * `fraction`: α·compiles + (1 − α)·passed/total over every test (o1-Coder's process reward).
   */
  mode: "binary" | "fraction";
  /** α of the `fraction` mode, in [0, 1]. */
  alpha: number;
}

/** The judging service's settings. */
export interface ServiceOptions {
  host: string;
  port: number;
  /** Bearer token every request but /healthz must carry; required when `host` is not a loopback address. */
  token?: string;
  /** Largest request body, in bytes (413 above it). */
  maxBodyBytes: number;
  /** Largest program (or query) in one item, in bytes (413 above it). */
  maxProgramBytes: number;
  /** Most items (programs) one request may carry (413 above it). */
  maxItems: number;
  /** Most items waiting for the pool across all requests; a request that would overflow it gets 429. */
  maxQueued: number;
  /** Items in the pool at once (default 2 × workers: no container idles while the host judges). */
  concurrency?: number;
  /** How long a request may wait for its judgements, in ms (504 after it, the work is cancelled). */
  requestTimeoutMs: number;
  /** How long a client may take to send a whole request, in ms (408 after it). */
  receiveTimeoutMs: number;
  /** `/run_code`: the longest run a request may ask for, in seconds. */
  maxRunSeconds: number;
  /** On shutdown, how long in-flight requests may take to finish before they are cancelled, in ms. */
  shutdownGraceMs: number;
  /** Log each program's text (never by default: programs may be someone's submission). */
  logPrograms: boolean;
  reward: RewardOptions;
  /** A directory of TCG runs; `tests: "tcg:NAME"` reads NAME/tests.jsonl under it (refused when unset). */
  tcgRunsDir?: string;
  /** One line per request (method, route, status, items, ms); no program text unless `logPrograms`. */
  log?: (line: string) => void;
}

/** The defaults: loopback, 4 MiB bodies, 256 KiB programs, 256 items a request, 4,096 queued items. */
export const DEFAULT_SERVICE_OPTIONS: ServiceOptions = {
  host: "127.0.0.1",
  port: 8080,
  maxBodyBytes: 4 * 1024 * 1024,
  maxProgramBytes: 256 * 1024,
  maxItems: 256,
  maxQueued: 4096,
  requestTimeoutMs: 300_000,
  receiveTimeoutMs: 30_000,
  maxRunSeconds: 30,
  shutdownGraceMs: 30_000,
  logPrograms: false,
  reward: { mode: "binary", alpha: 0 },
};

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || h === "::ffff:127.0.0.1";
}
