import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@shop/config';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { cartConfigSchema } from '../src/config';
import { asCustomer, cartApp, cartState, MUG, newCustomer, TEE, type CartTestApp } from './cart-test-app';

let db: TestDatabase;

beforeAll(async () => {
  db = await useTestDatabase();
});

const addItem = (cart: CartTestApp, customer: string) =>
  cart.app.request('/cart/items', { method: 'POST', headers: { 'Content-Type': 'application/json', ...asCustomer(customer) }, body: JSON.stringify({ product_sku: TEE.sku, quantity: 1 }) });

/** Runs `task` for every item, at most `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  return results;
}

describe('the cart under the rate limit', () => {
  it('refuses a customer over the limit with 429 and Retry-After, writing nothing, while another customer goes on', async () => {
    const cart = await cartApp(db, { config: { RATE_LIMIT_REQUESTS: 3, RATE_LIMIT_STAFF_REQUESTS: 3, RATE_LIMIT_WINDOW_SECONDS: 60, RATE_LIMIT_TRUST_CLIENT_ADDRESS: false } });
    const [eager, calm] = [await newCustomer(cart), await newCustomer(cart)];
    for (let i = 0; i < 3; i++) expect((await addItem(cart, eager)).status).toBe(200);
    const before = await cartState(db);
    const refused = await addItem(cart, eager);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Content-Type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);
    const checkout = await cart.app.request('/cart/convert-to-order', { method: 'POST', headers: asCustomer(eager) });
    expect(checkout.status).toBe(429);
    expect(await cartState(db)).toEqual(before);
    expect((await addItem(cart, calm)).status).toBe(200);
  });

  it('never limits 150 customers each shopping, checking out and polling the outcome, under the default settings', { timeout: 120_000 }, async () => {
    const defaults = loadConfig(cartConfigSchema, { DATABASE_URL: db.url });
    const cart = await cartApp(db, {
      config: {
        RATE_LIMIT_REQUESTS: defaults.RATE_LIMIT_REQUESTS,
        RATE_LIMIT_STAFF_REQUESTS: defaults.RATE_LIMIT_STAFF_REQUESTS,
        RATE_LIMIT_WINDOW_SECONDS: defaults.RATE_LIMIT_WINDOW_SECONDS,
        RATE_LIMIT_TRUST_CLIENT_ADDRESS: defaults.RATE_LIMIT_TRUST_CLIENT_ADDRESS,
      },
    });
    const customers = await inBatches(Array.from({ length: 150 }), 25, () => newCustomer(cart));
    const statuses = await inBatches(customers, 25, async (customer) => {
      const seen: number[] = [];
      const call = async (path: string, init: RequestInit = {}) => {
        const res = await cart.app.request(path, { ...init, headers: { ...asCustomer(customer), ...init.headers } });
        await res.body?.cancel();
        seen.push(res.status);
      };
      const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await call('/cart');
      for (const product_sku of [TEE.sku, MUG.sku, TEE.sku]) await call('/cart/items', json({ product_sku, quantity: 1 }));
      await call(`/cart/items/${MUG.sku}`, { method: 'DELETE' });
      await call('/cart');
      await call('/cart/convert-to-order', { method: 'POST' });
      // A shop front end polling the outcome once a second for twenty seconds.
      for (let i = 0; i < 20; i++) await call('/cart');
      return seen;
    });
    expect(statuses.flat().filter((s) => s === 429)).toEqual([]);
    expect(statuses.flat().filter((s) => s >= 400)).toEqual([]);
    // The limit is on all the same: one customer past it is refused.
    const [first] = customers;
    for (let i = 0; i < defaults.RATE_LIMIT_REQUESTS; i++) await cart.app.request('/cart', { headers: asCustomer(first!) });
    expect((await cart.app.request('/cart', { headers: asCustomer(customers[1]!) })).status).toBe(200);
    expect((await cart.app.request('/cart', { headers: asCustomer(first!) })).status).toBe(429);
  });
});
