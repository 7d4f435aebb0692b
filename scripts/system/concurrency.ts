// Small helpers for driving many requests at once, with no test framework (benchmarks use them too).

/** Runs `fn` over `items` with at most `limit` calls in flight; the results in the order of `items`. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!, i);
      }
    }),
  );
  return results;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
