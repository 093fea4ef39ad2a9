/**
 * Measures how long a resource had work: the time during which at least one call was in
 * flight. The search reports it for the model and for the sandbox pool, so a run shows which
 * side waited on the other.
 */
export interface BusyClock {
  /** Runs a call, counting it in flight while it runs. */
  track<T>(call: () => Promise<T>): Promise<T>;
  /** Milliseconds with at least one call in flight, so far. */
  busyMs(): number;
  /** The most calls that were ever in flight at once. */
  readonly maxInFlight: number;
}

/** A clock that is idle until its first call. */
export function createBusyClock(now: () => number = () => performance.now()): BusyClock {
  let inFlight = 0;
  let maxInFlight = 0;
  let busy = 0;
  let since = 0;
  return {
    async track(call) {
      if (inFlight++ === 0) since = now();
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await call();
      } finally {
        if (--inFlight === 0) busy += now() - since;
      }
    },
    busyMs: () => busy + (inFlight > 0 ? now() - since : 0),
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
