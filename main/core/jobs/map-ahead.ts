// Bounded read-ahead: keeps up to `window` calls of `fn` in flight and yields their results in input order.

/** `fn` must not reject: a rejection of a call nobody awaits any more would go unhandled. */
export async function* mapAhead<T, R>(items: readonly T[], window: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const refill = () => {
    while (next < items.length && inFlight.length < window) inFlight.push(fn(items[next++]));
  };
  refill();
  while (inFlight.length > 0) {
    const result = await inFlight.shift()!;
    refill();
    yield result;
  }
}
