/**
 * Runs `fn` over items with at most `limit` in flight, handing items out in order. The first
 * fault stops handing out more and aborts the signal `fn` gets (so work in flight can wind down
 * at a safe point); once everything in flight has settled, that fault is rethrown. An abort of
 * `outer` also stops handing out items and aborts that signal, without a fault.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  outer?.addEventListener("abort", onOuterAbort);
  if (outer?.aborted) stop.abort();
  let next = 0;
  let failed = false;
  let fault: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && !stop.signal.aborted && next < items.length) {
      const at = next++;
      await fn(items[at] as T, at, stop.signal);
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  try {
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
  } finally {
    outer?.removeEventListener("abort", onOuterAbort);
  }
  if (failed) throw fault;
}
