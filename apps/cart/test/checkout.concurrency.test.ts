import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { addToCart, asCustomer, cartApp, MUG, newCustomer, outbox, readCart, TEE, type CartTestApp } from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 30 });
  cart = await cartApp(db);
});

const convert = (customerId: string, headers: Record<string, string> = {}) =>
  cart.app.request('/cart/convert-to-order', { method: 'POST', headers: { ...asCustomer(customerId), ...headers } });

describe('POST /cart/convert-to-order under concurrency (invariant 5)', () => {
  it('accepts exactly one of 20 concurrent checkouts of one cart; the rest are 409; one order-requested', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 2);
    const answers = await Promise.all(Array.from({ length: 20 }, () => convert(customer)));
    expect(answers.map((r) => r.status).sort()).toEqual([202, ...Array<number>(19).fill(409)]);
    for (const res of answers.filter((r) => r.status === 409)) expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    const accepted = (await answers.find((r) => r.status === 202)!.json()) as { request_id: string };
    const events = (await outbox(db, 'order-requested')).filter((e) => e.payload['customer_id'] === customer);
    expect(events.map((e) => e.payload['request_id'])).toEqual([accepted.request_id]);
    expect(await readCart(cart, customer)).toMatchObject({ status: 'pending', cart_locked: true });
  });

  it('writes one order-requested for 10 concurrent checkouts with one Idempotency-Key; each answer is that 202 or a 409', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, MUG.sku);
    const headers = { 'Idempotency-Key': `race-${randomUUID()}` };
    const answers = await Promise.all(Array.from({ length: 10 }, () => convert(customer, headers)));
    const events = (await outbox(db, 'order-requested')).filter((e) => e.payload['customer_id'] === customer);
    expect(events).toHaveLength(1);
    for (const res of answers) {
      if (res.status === 202) expect(await res.json()).toMatchObject({ request_id: events[0]!.payload['request_id'], status: 'pending' });
      else expect(res.status).toBe(409);
    }
  });

  it('keeps every unit of 20 concurrent adds to one new cart, in one current cart', async () => {
    const customer = await newCustomer(cart);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        cart.app.request('/cart/items', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...asCustomer(customer) },
          body: JSON.stringify({ product_sku: TEE.sku, quantity: 1 }),
        }),
      ),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect((await readCart(cart, customer)).items).toEqual([expect.objectContaining({ product_sku: TEE.sku, quantity: 20 })]);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM cart.carts WHERE customer_id = $1', [customer]);
    expect(rows[0].n).toBe(1);
  });
});
