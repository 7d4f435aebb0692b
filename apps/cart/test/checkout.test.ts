import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { statementRunner, type RunStatement } from '@shop/db';
import { refuseIdempotentAnswers, useTestDatabase, type TestDatabase } from '@shop/testing';
import { checkout } from '../src/domain/carts';
import {
  addToCart,
  asCustomer,
  cartApp,
  cartState,
  checkoutCart,
  JANE,
  MUG,
  newCustomer,
  NOBODY,
  outbox,
  problem,
  readCart,
  TEE,
  type CartTestApp,
} from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  cart = await cartApp(db);
});

const convert = (customerId: string, headers: Record<string, string> = {}) =>
  cart.app.request('/cart/convert-to-order', { method: 'POST', headers: { ...asCustomer(customerId), ...headers } });

async function refusedUnchanged(status: number, request: () => Response | Promise<Response>) {
  const before = await cartState(db);
  const body = await problem(await request(), status);
  expect(await cartState(db)).toEqual(before);
  return body;
}

describe('POST /cart/convert-to-order', () => {
  it('answers 202 with the cart id, a new request id and pending, Location /cart; the cart is pending and locked', async () => {
    const customer = await newCustomer(cart);
    const filled = await addToCart(cart, customer, TEE.sku, 2);
    const res = await convert(customer);
    expect(res.status).toBe(202);
    expect(res.headers.get('Location')).toBe('/cart');
    const body = (await res.json()) as { cart_id: string; request_id: string; status: string };
    expect(body).toEqual({ cart_id: filled.cart_id, request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    expect(await readCart(cart, customer)).toEqual({ ...filled, status: 'pending', cart_locked: true });
  });

  it('writes order-requested to the cart outbox with the lines, their price snapshots and the currency', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku, 2);
    const filled = await addToCart(cart, customer, MUG.sku, 1);
    const before = await outbox(db, 'order-requested');
    const { request_id } = await checkoutCart(cart, customer);
    const events = (await outbox(db, 'order-requested')).slice(before.length);
    expect(events).toEqual([
      {
        topic: 'order-requested',
        payload: {
          request_id,
          source: 'cart',
          cart_id: filled.cart_id,
          customer_id: customer,
          items: [
            { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
            { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
          ],
          currency: 'EUR',
          requested_at: expect.stringMatching(/Z$/),
        },
        attributes: expect.objectContaining({ event_type: 'order-requested', producer: 'cart', correlation_id: filled.cart_id }),
      },
    ]);
  });

  it('keeps the price snapshot of the cart even when the catalog price changes before checkout', async () => {
    const customer = await newCustomer(cart);
    await cart.publishToCart('product.upserted', { sku: 'PRICEY', name: 'Pricey', description: '', price_cents: 1000, currency: 'EUR', active: true });
    await addToCart(cart, customer, 'PRICEY');
    await cart.publishToCart('product.upserted', { sku: 'PRICEY', name: 'Pricey', description: '', price_cents: 2000, currency: 'EUR', active: true });
    const { request_id } = await checkoutCart(cart, customer);
    const [event] = (await outbox(db, 'order-requested')).filter((e) => e.payload['request_id'] === request_id);
    expect(event!.payload['items']).toEqual([{ product_sku: 'PRICEY', quantity: 1, unit_price_cents: 1000 }]);
  });

  it('commits the lock and the event together: when writing the event fails, the cart stays open (invariant 4)', async () => {
    const customer = await newCustomer(cart);
    const filled = await addToCart(cart, customer, TEE.sku);
    const before = await cartState(db);
    const failingPublish = async () => {
      throw new Error('the checkout writes its event itself');
    };
    // The checkout's statement with an event id the outbox already holds: its INSERT fails, and with it the whole statement.
    const taken = randomUUID();
    await db.pool.query(`INSERT INTO cart.outbox (event_id, topic, ordering_key, attributes, payload, published_at) VALUES ($1, 'order-requested', 'k', '{}', '{}', now())`, [taken]);
    const run = statementRunner(db.prisma, db.pool);
    const clashing: RunStatement = (statement, values) => run(statement, statement.name === 'cart_checkout' ? values.map((v, i) => (i === 4 ? taken : v)) : values);
    await expect(checkout({ prisma: db.prisma, run: clashing, publish: failingPublish }, customer)).rejects.toThrow(/outbox_event_id_key/);
    await db.pool.query('DELETE FROM cart.outbox WHERE event_id = $1', [taken]);
    expect(await cartState(db)).toEqual(before);
    expect(await readCart(cart, customer)).toEqual(filled);
  });

  it('answers 422 for a customer without a cart and for an emptied cart, writing nothing', async () => {
    const customer = await newCustomer(cart);
    const body = await refusedUnchanged(422, () => convert(customer));
    expect(body.detail).toMatch(/empty/);
    await addToCart(cart, customer, TEE.sku);
    await cart.app.request(`/cart/items/${TEE.sku}`, { method: 'DELETE', headers: asCustomer(customer) });
    await refusedUnchanged(422, () => convert(customer));
  });

  it('answers 400 for a body that is not JSON (none is needed), writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    const garbled = { method: 'POST', headers: { ...asCustomer(customer), 'Content-Type': 'application/json' }, body: '{garbled' };
    await refusedUnchanged(400, () => cart.app.request('/cart/convert-to-order', garbled));
    expect((await convert(customer, { 'Content-Type': 'application/json' })).status).toBe(202);
  });

  it('answers 409 for a cart already pending, writing nothing', async () => {
    const customer = await newCustomer(cart);
    await addToCart(cart, customer, TEE.sku);
    await checkoutCart(cart, customer);
    await refusedUnchanged(409, () => convert(customer));
  });

  it('answers 401 without identity or for an unknown customer, 400 for an X-Customer-Id that is no UUID', async () => {
    await refusedUnchanged(401, () => cart.app.request('/cart/convert-to-order', { method: 'POST' }));
    await refusedUnchanged(401, () => convert(NOBODY));
    await refusedUnchanged(400, () => convert('nope'));
  });

  describe('with an Idempotency-Key', () => {
    it('replays the first answer (status, body, Location) and writes one order-requested', async () => {
      const customer = await newCustomer(cart);
      await addToCart(cart, customer, TEE.sku);
      const before = (await outbox(db, 'order-requested')).length;
      const key = { 'Idempotency-Key': `checkout-${randomUUID()}` };
      const first = await convert(customer, key);
      expect(first.status).toBe(202);
      const firstBody = await first.json();
      for (let i = 0; i < 3; i++) {
        const replay = await convert(customer, key);
        expect(replay.status).toBe(202);
        expect(replay.headers.get('Location')).toBe('/cart');
        expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
        expect(await replay.json()).toEqual(firstBody);
      }
      expect(await outbox(db, 'order-requested')).toHaveLength(before + 1);
      // Without the key the repeat is what it is: a checkout of a pending cart.
      await problem(await convert(customer), 409);
    });

    it("scopes keys to the customer: another customer's request with the same key is not a replay", async () => {
      const key = { 'Idempotency-Key': `shared-${randomUUID()}` };
      const one = await newCustomer(cart);
      await addToCart(cart, one, TEE.sku);
      const first = (await (await convert(one, key)).json()) as { cart_id: string };
      await addToCart(cart, JANE, MUG.sku);
      const res = await convert(JANE, key);
      expect(res.status).toBe(202);
      expect(((await res.json()) as { cart_id: string }).cart_id).not.toBe(first.cart_id);
    });

    it('runs again after a refused first attempt (empty cart), so the retry succeeds once the cart has lines', async () => {
      const customer = await newCustomer(cart);
      const key = { 'Idempotency-Key': `retry-${randomUUID()}` };
      await refusedUnchanged(422, () => convert(customer, key));
      await addToCart(cart, customer, TEE.sku);
      expect((await convert(customer, key)).status).toBe(202);
    });

    it('keeps the cart open and writes no order-requested when the answer to its key cannot be stored (they commit together)', async () => {
      const customer = await newCustomer(cart);
      await addToCart(cart, customer, TEE.sku);
      const key = { 'Idempotency-Key': `atomic-${randomUUID()}` };
      const restore = await refuseIdempotentAnswers(db, 'cart');
      try {
        await refusedUnchanged(500, () => convert(customer, key));
      } finally {
        await restore();
      }
      const retried = await convert(customer, key);
      expect(retried.status).toBe(202);
      expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    });
  });
});
