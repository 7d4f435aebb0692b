// What benchmarks over the HTTP API share: a bounded pool of concurrent calls, calls that must answer an
// expected status, and the setup of a sale (customers created through the customer API, then waiting until
// the cart has learnt them and the product from events, as a shopper's first request needs).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ADMIN } from '../system/system';

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function runPool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

let unavailableRetries = 0;

/** How many requests `call` sent again so far: answered `503` (a service's database busy or away) or cut off. */
export const retriedUnavailable = (): number => unavailableRetries;

/**
 * `fetch`, throwing unless the status is one of `expected` (the body goes into the error). With
 * `retryUnavailable`, the request carries an Idempotency-Key and is sent again with the same key (at most 20
 * times) when answered `503` (after its Retry-After) or when its connection was cut (a keep-alive connection
 * the server closed as the request went out, which a crowded machine makes likely): the documented safe retry
 * (DESIGN.md). Only for endpoints that take the key.
 */
export async function call(url: string, init: RequestInit, expected: number[], options: { retryUnavailable?: boolean } = {}): Promise<Response> {
  const request = options.retryUnavailable ? { ...init, headers: { ...(init.headers as Record<string, string>), 'Idempotency-Key': randomUUID() } } : init;
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, request);
    } catch (err) {
      if (!options.retryUnavailable || attempt >= 20) throw err;
      unavailableRetries++;
      continue;
    }
    if (expected.includes(res.status)) return res;
    if (res.status === 503 && options.retryUnavailable && attempt < 20) {
      unavailableRetries++;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    throw new Error(`${init.method ?? 'GET'} ${url} → ${res.status}: ${await res.text()}`);
  }
}

/** A JSON POST. */
export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Polls `check` every 50 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates `count` customers through the customer API (50 at a time); answers their ids. */
export async function createCustomers(customerUrl: string, count: number, namePrefix = 'Racer'): Promise<string[]> {
  const customers: string[] = [];
  await runPool(Array.from({ length: count }, (_, i) => i), 50, async (i) => {
    const res = await call(`${customerUrl}/customers`, json({ name: `${namePrefix} ${i}`, email: `${namePrefix.toLowerCase()}${i}@example.com` }, ADMIN), [201], {
      retryUnavailable: true,
    });
    customers[i] = ((await res.json()) as { customer_id: string }).customer_id;
  });
  return customers;
}

/**
 * Puts one unit of `sku` in a customer's cart. `POST /cart/items` takes no Idempotency-Key and adds to the
 * line, so a request whose connection was cut is sent again only if the cart shows no line for the SKU.
 */
export async function addOneToCart(cartUrl: string, customerId: string, sku: string): Promise<void> {
  const add = () => call(`${cartUrl}/cart/items`, json({ product_sku: sku, quantity: 1 }, { 'X-Customer-Id': customerId }), [200]);
  for (let attempt = 1; ; attempt++) {
    try {
      await add();
      return;
    } catch (err) {
      if (!(err instanceof TypeError) || attempt >= 5) throw err; // fetch's own failure: no answer came
      unavailableRetries++;
      const cart = (await (await call(`${cartUrl}/cart`, { headers: { 'X-Customer-Id': customerId } }, [200])).json()) as { items: { product_sku: string }[] };
      if (cart.items.some((line) => line.product_sku === sku)) return;
    }
  }
}

/** Creates a product through the product API (it reaches the cart and inventory by `product.upserted`). */
export async function createProduct(productUrl: string, product: { sku: string; name: string; price_cents: number }): Promise<void> {
  await call(`${productUrl}/products`, json({ ...product, currency: 'EUR' }, ADMIN), [201]);
}

/** Waits until the cart's read models hold every one of `customers` and every one of `skus`: before that a shopper gets 401 or 422. */
export async function untilCartKnows(db: pg.Pool, customers: readonly string[], skus: readonly string[], timeoutMs = 120_000): Promise<void> {
  await until(
    'the cart to know every customer',
    async () => Number((await db.query('SELECT count(*) FROM cart.customers WHERE customer_id = ANY($1::uuid[])', [customers])).rows[0].count) >= customers.length,
    timeoutMs,
  );
  await until('the cart to know the products', async () => (await db.query('SELECT 1 FROM cart.products WHERE sku = ANY($1)', [skus])).rowCount === skus.length, timeoutMs);
}
