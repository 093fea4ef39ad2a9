/**
 * Runs `fn` over items with at most `limit` in flight, handing items out in order. The first
 * fault stops handing out more and aborts `stop` (so work in flight can wind down at a safe
 * point); once everything in flight has settled, that fault is rethrown. An abort from outside
 * also stops handing out items, without a fault.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  stop: AbortController,
): Promise<void> {
  let next = 0;
  let failed = false;
  let fault: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && !stop.signal.aborted && next < items.length) {
      const at = next++;
      await fn(items[at] as T, at);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(
    Array.from({ length: workers }, () =>
      worker().catch((err: unknown) => {
        if (!failed) {
          failed = true;
          fault = err;
        }
        stop.abort();
      }),
    ),
  );
  if (failed) throw fault;
}
