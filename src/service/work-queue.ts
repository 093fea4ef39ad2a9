import PQueue from "p-queue";

/** A request that would overflow the queue: answered 429 with `Retry-After`. */
export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(
    readonly queued: number,
    readonly limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the judging queue is full (${queued} of ${limit} items waiting); retry after ${retryAfterSeconds} s`);
  }
}

/** One unit of pool work; it must stop when `signal` aborts. */
export type Work<T> = (signal: AbortSignal) => Promise<T>;

/**
 * The one queue in front of the pool: every item of every request waits here, at most
 * `concurrency` run at once (enough to keep every container busy), at most `maxQueued` wait.
 * A request is admitted whole or not at all, so a batch is never half judged for lack of room.
 */
export interface WorkQueue {
  /** Runs every item; rejects with QueueFullError (before any runs) when they do not fit. */
  submit<T>(items: readonly Work<T>[], signal: AbortSignal): Promise<T[]>;
  /** Items waiting for the pool. */
  readonly queued: number;
  /** Items in the pool now. */
  readonly running: number;
  /** Items finished per second over the last `WINDOW_SECONDS`. */
  jobsPerSecond(): number;
  /** Resolves when nothing waits and nothing runs. */
  onIdle(): Promise<void>;
}

/** Throughput is measured over this many one-second buckets. */
const WINDOW_SECONDS = 10;

/** A work queue (see WorkQueue) with `concurrency` slots and room for `maxQueued` waiting items. */
export function createWorkQueue(concurrency: number, maxQueued: number): WorkQueue {
  const queue = new PQueue({ concurrency });
  // Completions per second, in a ring of buckets: constant memory however long the service runs.
  const buckets = Array.from({ length: WINDOW_SECONDS }, () => ({ second: -1, count: 0 }));
  const finished = (): void => {
    const second = Math.floor(Date.now() / 1000);
    const b = buckets[second % WINDOW_SECONDS] as { second: number; count: number };
    if (b.second !== second) {
      b.second = second;
      b.count = 0;
    }
    b.count++;
  };
  const jobsPerSecond = (): number => {
    const now = Math.floor(Date.now() / 1000);
    const total = buckets.reduce((sum, b) => sum + (b.second > now - WINDOW_SECONDS ? b.count : 0), 0);
    return total / WINDOW_SECONDS;
  };
  return {
    get queued() {
      return queue.size;
    },
    get running() {
      return queue.pending;
    },
    jobsPerSecond,
    onIdle: () => queue.onIdle(),
    submit<T>(items: readonly Work<T>[], signal: AbortSignal): Promise<T[]> {
      if (queue.size + items.length > maxQueued) {
        // The wait the queue ahead implies at the current rate, bounded so a client never sleeps long.
        const rate = Math.max(jobsPerSecond(), 1);
        const retry = Math.min(60, Math.max(1, Math.ceil((queue.size + items.length - maxQueued) / rate)));
        return Promise.reject(new QueueFullError(queue.size, maxQueued, retry));
      }
      return Promise.all(
        items.map((work) =>
          queue.add(
            async () => {
              try {
                return await work(signal);
              } finally {
                finished();
              }
            },
            { signal },
          ),
        ),
      );
    },
  };
}
