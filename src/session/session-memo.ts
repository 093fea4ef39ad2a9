/**
 * A session's memo: judgements by key, in flight or done, so identical work is judged once
 * per session however often and however concurrently it is asked for. Bounded: past
 * `maxEntries` the oldest finished entries go (a days-long reward loop must not grow without
 * end); a failed judgement is forgotten at once, so the next ask judges afresh.
 */
export interface Memo<T> {
  get(key: string): Promise<T> | undefined;
  /** Keeps `work` under `key` and returns it. */
  hold(key: string, work: Promise<T>): Promise<T>;
}

/** Entries kept by default: about 100 MB of verdicts at most. */
const DEFAULT_MAX_ENTRIES = 100_000;

/** A memo (see above); `enabled: false` gives one that keeps nothing. */
export function createMemo<T>(enabled: boolean, maxEntries = DEFAULT_MAX_ENTRIES): Memo<T> {
  const entries = new Map<string, Promise<T>>();
  return {
    get: (key) => (enabled ? entries.get(key) : undefined),
    hold(key, work) {
      if (!enabled) return work;
      entries.set(key, work);
      work.catch(() => entries.delete(key));
      if (entries.size > maxEntries) {
        // Map order is insertion order: the first keys are the oldest.
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      return work;
    },
  };
}
