import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import type { CheckoutReasker } from '@shop/service';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createCartReasker, startCartReasking } from '../src/reask/cart-reask';
import { addToCart, cartApp, checkoutCart, MUG, newCustomer, outbox, readCart, TEE, type CartTestApp, type OutboxEvent } from './cart-test-app';

let db: TestDatabase;
let cart: CartTestApp;

const DEFAULTS = { CHECKOUT_RETRY_AFTER_SECONDS: 20, CHECKOUT_RETRY_MAX_SECONDS: 300 };

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 12 });
  cart = await cartApp(db);
});

function reasker(options: { batchSize?: number } = {}): CheckoutReasker {
  const deps = { db, publish: cart.context.events.publish, logger: testLogger('cart') };
  return createCartReasker(DEFAULTS, deps, options);
}

interface Checkout {
  customer: string;
  cart_id: string;
  request_id: string;
}

/** A new customer with TEE ×2 and MUG ×1 in a cart that is now pending. */
async function pendingCheckout(): Promise<Checkout> {
  const customer = await newCustomer(cart);
  await addToCart(cart, customer, TEE.sku, 2);
  await addToCart(cart, customer, MUG.sku, 1);
  const { cart_id, request_id } = await checkoutCart(cart, customer);
  return { customer, cart_id, request_id };
}

/** Time passing for a cart's schedule: its last ask moves `seconds` into the past. */
async function age(cartIds: string[], seconds: number): Promise<void> {
  await db.pool.query(`UPDATE cart.carts SET asked_at = asked_at - make_interval(secs => $2) WHERE cart_id = ANY($1::uuid[])`, [cartIds, seconds]);
}

async function requestsOf(cartId: string): Promise<OutboxEvent[]> {
  return (await outbox(db, 'order-requested')).filter((e) => e.payload['cart_id'] === cartId);
}

async function reaskCountOf(cartId: string): Promise<number> {
  const { rows } = await db.pool.query<{ reask_count: number }>('SELECT reask_count FROM cart.carts WHERE cart_id = $1', [cartId]);
  return rows[0]!.reask_count;
}

describe('asking again for a pending cart (DESIGN.md, Recovery)', () => {
  it('publishes the same order-requested once CHECKOUT_RETRY_AFTER_SECONDS passed: same request, lines, prices and time, a new event id', async () => {
    const c = await pendingCheckout();
    // The catalog's price moves after checkout: the re-ask still carries the price the cart was checked out at.
    await cart.publishToCart('product.upserted', { ...TEE, price_cents: 2999, description: '', active: true });
    await reasker().runDue();
    await age([c.cart_id], 19);
    await reasker().runDue();
    expect(await requestsOf(c.cart_id)).toHaveLength(1);

    await age([c.cart_id], 1);
    await reasker().runDue();
    const [first, again] = await requestsOf(c.cart_id);
    expect(again).toBeDefined();
    expect(again!.payload).toEqual(first!.payload);
    expect(again!.payload).toMatchObject({
      request_id: c.request_id,
      items: [
        { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
        { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
      ],
    });
    expect(again!.attributes['event_id']).not.toBe(first!.attributes['event_id']);
    expect(again!.attributes).toMatchObject({ event_type: 'order-requested', producer: 'cart', correlation_id: c.cart_id });
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'pending', cart_locked: true });
    await cart.publishToCart('product.upserted', { ...TEE, description: '', active: true });
  });

  it('waits twice as long after each re-ask: 20, 40, 80, 160 s, then at most 300 s', async () => {
    const c = await pendingCheckout();
    const waits = [20, 40, 80, 160, 300, 300];
    for (const [reasks, wait] of waits.entries()) {
      await age([c.cart_id], wait - 1);
      await reasker().runDue();
      expect({ wait, asked: (await requestsOf(c.cart_id)).length }).toEqual({ wait, asked: 1 + reasks });
      await age([c.cart_id], 1);
      await reasker().runDue();
      expect({ wait, asked: (await requestsOf(c.cart_id)).length }).toEqual({ wait, asked: 2 + reasks });
    }
    expect(await reaskCountOf(c.cart_id)).toBe(waits.length);
  });

  it('stops asking once stock.rejected has arrived', async () => {
    const c = await pendingCheckout();
    const rejection: PayloadOf<'stock.rejected'> = {
      request_id: c.request_id,
      source: 'cart',
      cart_id: c.cart_id,
      customer_id: c.customer,
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 2, available: 1 }],
    };
    expect(await cart.publishToCart('stock.rejected', rejection)).toEqual({ status: 'ack' });
    await age([c.cart_id], 3_600);
    await reasker().runDue();
    expect(await requestsOf(c.cart_id)).toHaveLength(1);
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'stock-unavailable' });
  });

  it('stops asking once order.created has arrived, even after re-asks', async () => {
    const c = await pendingCheckout();
    await age([c.cart_id], 20);
    await reasker().runDue();
    expect(await requestsOf(c.cart_id)).toHaveLength(2);
    const created: PayloadOf<'order.created'> = {
      order_id: randomUUID(),
      request_id: c.request_id,
      source: 'cart',
      cart_id: c.cart_id,
      customer_id: c.customer,
      reservation_id: randomUUID(),
      items: [{ product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents }],
      total_cents: 2 * TEE.price_cents,
      currency: 'EUR',
      status: 'confirmed',
      created_at: new Date().toISOString(),
    };
    expect(await cart.publishToCart('order.created', created)).toEqual({ status: 'ack' });
    await age([c.cart_id], 3_600);
    await reasker().runDue();
    expect(await requestsOf(c.cart_id)).toHaveLength(2);
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'ordered' });
  });

  it('never asks for a cart that was never checked out, nor for one reopened after a rejection', async () => {
    const customer = await newCustomer(cart);
    const open = await addToCart(cart, customer, TEE.sku);
    const c = await pendingCheckout();
    const rejection: PayloadOf<'stock.rejected'> = {
      request_id: c.request_id,
      source: 'cart',
      cart_id: c.cart_id,
      customer_id: c.customer,
      reason: 'unknown_product',
      details: [{ product_sku: MUG.sku, requested: 1, available: 0 }],
    };
    await cart.publishToCart('stock.rejected', rejection);
    await addToCart(cart, c.customer, TEE.sku);
    await db.pool.query(`UPDATE cart.carts SET asked_at = now() - interval '1 day' WHERE cart_id = ANY($1::uuid[])`, [[open.cart_id, c.cart_id]]);
    await reasker().runDue();
    expect(await requestsOf(open.cart_id)).toEqual([]);
    expect(await requestsOf(c.cart_id)).toHaveLength(1);
    expect(await readCart(cart, c.customer)).toMatchObject({ status: 'open' });
  });

  it('publishes one re-ask per due cart when two instances run a round at the same moment', async () => {
    const checkouts = await Promise.all(Array.from({ length: 12 }, () => pendingCheckout()));
    const ids = checkouts.map((c) => c.cart_id);
    await age(ids, 20);
    const drain = async (r: CheckoutReasker) => {
      while ((await r.runDue()) > 0);
    };
    await Promise.all([drain(reasker({ batchSize: 3 })), drain(reasker({ batchSize: 3 }))]);
    for (const id of ids) expect({ id, asked: (await requestsOf(id)).length }).toEqual({ id, asked: 2 });
    const { rows } = await db.pool.query<{ reask_count: number }>('SELECT reask_count FROM cart.carts WHERE cart_id = ANY($1::uuid[])', [ids]);
    expect(rows.map((r) => r.reask_count)).toEqual(ids.map(() => 1));
  });

  it('goes on with the other carts when one stored request is unreadable, moving its schedule on', async () => {
    const [broken, fine] = [await pendingCheckout(), await pendingCheckout()];
    await db.pool.query(`UPDATE cart.carts SET order_request = '{"request_id": "not a uuid"}' WHERE cart_id = $1`, [broken.cart_id]);
    await age([broken.cart_id, fine.cart_id], 20);
    await reasker().runDue();
    expect(await requestsOf(fine.cart_id)).toHaveLength(2);
    expect(await requestsOf(broken.cart_id)).toHaveLength(1);
    expect(await reaskCountOf(broken.cart_id)).toBe(1);
  });

  it('says when the next re-ask falls due, by the earliest pending cart', async () => {
    const c = await pendingCheckout();
    await db.pool.query(`UPDATE cart.carts SET asked_at = now() + interval '1 day' WHERE status = 'pending'`);
    await age([c.cart_id], 86_400 + 5);
    const ms = await reasker().nextDueInMs();
    expect(ms).toBeGreaterThan(14_000);
    expect(ms).toBeLessThanOrEqual(15_000);
  });
});

describe('the background re-ask loop', () => {
  let stop: (() => Promise<void>) | undefined;
  afterAll(() => stop?.());

  it('asks again for a checkout about CHECKOUT_RETRY_AFTER_SECONDS after it, woken by the checkout itself', async () => {
    // Nothing else falls due for a day: the loop sleeps its whole poll interval unless a checkout wakes it.
    await db.pool.query(`UPDATE cart.carts SET asked_at = now() + interval '1 day' WHERE status = 'pending'`);
    stop = startCartReasking(
      { CHECKOUT_RETRY_AFTER_SECONDS: 1, CHECKOUT_RETRY_MAX_SECONDS: 2 },
      { db, databaseUrl: db.url, publish: cart.context.events.publish, logger: testLogger('cart') },
    );
    await new Promise((r) => setTimeout(r, 300));
    const c = await pendingCheckout();
    const started = Date.now();
    while ((await requestsOf(c.cart_id)).length < 2 && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 50));
    expect((await requestsOf(c.cart_id)).length).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
