/** An unbounded single-consumer queue that is also an async iterable: producers push, one consumer awaits. */
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(item: T): void;
  /** No more items: the consumer's loop ends once it has taken every one. */
  close(): void;
  /** The consumer's loop throws `err` (at once, before items still queued). */
  fail(err: unknown): void;
}

/** Creates an AsyncQueue (items are dropped as they are consumed, so a long stream holds little). */
export function createAsyncQueue<T>(): AsyncQueue<T> {
  let items: T[] = [];
  let head = 0;
  let closed = false;
  let failure: { err: unknown } | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  return {
    push(item) {
      items.push(item);
      signal();
    },
    close() {
      closed = true;
      signal();
    },
    fail(err) {
      failure = { err };
      signal();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failure) throw failure.err;
        if (head < items.length) {
          const item = items[head++] as T;
          // Drop consumed items now and then, so a long run does not keep them all.
          if (head > 1024 && head * 2 > items.length) {
            items = items.slice(head);
            head = 0;
          }
          yield item;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
