// Fault tests (d) of issue 12: a checkout message a consumer dead-letters. A consumer's own database refuses
// one customer's change (a trigger raising an error, as a bug or a broken constraint would), so the handler
// fails on every attempt and the message is dead-lettered after the last one (2 attempts here). Then the
// fault is fixed; the checkout ends final, by asking again or by replaying the dead letter, the dead letter is
// listed at GET /admin/dead-letters, and replaying it (one by one or in bulk) changes nothing harmful.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceName } from '@shop/contracts';
import { expectInvariants, untilSettled } from './invariants';
import { ADMIN } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

const system = await useSystem({
  maxDeliveryAttempts: 2,
  env: { CHECKOUT_RETRY_AFTER_SECONDS: '1', CHECKOUT_RETRY_MAX_SECONDS: '2', RESERVATION_TTL_SECONDS: '8', RESERVATION_EXPIRY_GRACE_SECONDS: '1' },
});
const pool = system.db.pool;
const SETTLE_WITHIN_MS = 60_000;

/** Where a consumer's change lands, per faulty subscription: the table and the change the trigger refuses. */
const REFUSALS = {
  'inventory.order-requested': { table: 'inventory.reservations', when: 'INSERT' },
  'order.stock-available': { table: '"order".orders', when: 'INSERT' },
  'cart.order.created': { table: 'cart.carts', when: `UPDATE`, condition: `NEW.status = 'ordered'` },
  'inventory.order.created': { table: 'inventory.reservations', when: 'UPDATE', condition: `NEW.status = 'committed'` },
} as const;
type FaultySubscription = keyof typeof REFUSALS;

beforeAll(async () => {
  await pool.query(`
    CREATE TABLE public.refused (subscription text, customer_id uuid, PRIMARY KEY (subscription, customer_id));
    CREATE FUNCTION public.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM public.refused WHERE subscription = TG_ARGV[0] AND customer_id = NEW.customer_id) THEN
        RAISE EXCEPTION 'refused for the fault test: % of customer %', TG_ARGV[0], NEW.customer_id;
      END IF;
      RETURN NEW;
    END $$;`);
  for (const [subscription, r] of Object.entries(REFUSALS)) {
    const name = `refuse_${subscription.replace(/[^a-z]/g, '_')}`;
    const when = 'condition' in r ? `WHEN (${r.condition})` : '';
    await pool.query(`CREATE TRIGGER ${name} BEFORE ${r.when} ON ${r.table} FOR EACH ROW ${when} EXECUTE FUNCTION public.refuse_change('${subscription}')`);
  }
});

/** Makes `subscription`'s handler fail for `customer` until the returned function fixes it. */
async function breakFor(subscription: FaultySubscription, customer: string): Promise<() => Promise<void>> {
  await pool.query('INSERT INTO public.refused VALUES ($1, $2)', [subscription, customer]);
  return async () => void (await pool.query('DELETE FROM public.refused WHERE subscription = $1 AND customer_id = $2', [subscription, customer]));
}

interface DeadLetterView {
  id: string;
  subscription: string;
  topic: string | null;
  data: string;
  reason: string;
  replayed_at: string | null;
}

/** `GET /admin/dead-letters` of `service`, following the cursor: those of `subscription` about `requestId`. */
async function deadLettersOf(service: ServiceName, subscription: string, requestId: string): Promise<DeadLetterView[]> {
  const found: DeadLetterView[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    const page: { items: DeadLetterView[]; next_cursor: string | null } = await expectJson(system.request(service, `/admin/dead-letters${query}`, { headers: ADMIN }), 200);
    found.push(...page.items.filter((d) => d.subscription === subscription && (JSON.parse(d.data) as { request_id?: string }).request_id === requestId));
    cursor = page.next_cursor;
  } while (cursor);
  return found;
}

async function checkoutRows(requestId: string): Promise<{ reservations: string[]; orders: string[] }> {
  const reservations = await pool.query<{ status: string }>('SELECT status FROM inventory.reservations WHERE request_id = $1', [requestId]);
  const orders = await pool.query<{ status: string }>('SELECT status FROM "order".orders WHERE request_id = $1', [requestId]);
  return { reservations: reservations.rows.map((r) => r.status), orders: orders.rows.map((r) => r.status) };
}

async function cartCheckout(customer: string, sku: string, quantity: number): Promise<{ request_id: string; cart_id: string }> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customer))), 200);
  return expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customer))), 202);
}

const cartOf = (customer: string) => expectJson<{ status: string; order_id: string | null }>(system.request('cart', '/cart', { headers: asCustomer(customer) }), 200);

async function settleAndCheck(stocked: Record<string, number>): Promise<void> {
  const settled = await untilSettled(pool, { queues: true, timeoutMs: SETTLE_WITHIN_MS });
  await expectInvariants(pool, { stocked: new Map(Object.entries(stocked)) });
  expect(settled, 'the system settled').toBe(true);
}

describe('a dead-lettered checkout message', () => {
  it('order-requested at inventory: the cart asks again once it is fixed and ends ordered; replaying the dead letter changes nothing', { timeout: 120_000 }, async () => {
    await stockedProduct(system, 'DL-TEE', 5);
    const fix = await breakFor('inventory.order-requested', JOHN);
    const { request_id } = await cartCheckout(JOHN, 'DL-TEE', 2);
    const [dead] = await eventually(() => deadLettersOf('inventory', 'inventory.order-requested', request_id), (d) => d.length > 0, 30_000);
    expect(dead).toMatchObject({ topic: 'order-requested', reason: 'handler_failed', replayed_at: null });
    expect(await cartOf(JOHN)).toMatchObject({ status: 'pending' });

    await fix();
    const cart = await eventually(() => cartOf(JOHN), (c) => c.status !== 'pending', 30_000);
    expect(cart.status).toBe('ordered');
    await system.quiesce();
    const replayed = await expectJson(system.request('inventory', `/admin/dead-letters/${dead!.id}/replay`, post({}, ADMIN)), 200);
    expect(replayed).toMatchObject({ id: dead!.id, outcome: 'processed' });
    await settleAndCheck({ 'DL-TEE': 5 });
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['committed'], orders: ['confirmed'] });
  });

  it('stock-available at order: the buy-now request is confirmed once fixed; a bulk replay creates no second order', { timeout: 120_000 }, async () => {
    await stockedProduct(system, 'DL-MUG', 3);
    const fix = await breakFor('order.stock-available', JANE);
    const { request_id } = await expectJson<{ request_id: string }>(
      system.request('order', '/orders', post({ items: [{ product_sku: 'DL-MUG', quantity: 3 }] }, asCustomer(JANE))),
      202,
    );
    const dead = await eventually(() => deadLettersOf('order', 'order.stock-available', request_id), (d) => d.length > 0, 30_000);
    expect(dead[0]).toMatchObject({ topic: 'stock-available', reason: 'handler_failed' });
    const request = () => expectJson<{ status: string; order_id: string | null }>(system.request('order', `/orders/requests/${request_id}`, { headers: asCustomer(JANE) }), 200);
    expect(await request()).toMatchObject({ status: 'pending' });

    await fix();
    await expectJson(system.request('order', '/admin/dead-letters/replay', post({ topic: 'stock-available' }, ADMIN)), 200);
    expect(await eventually(request, (r) => r.status !== 'pending', 30_000)).toMatchObject({ status: 'confirmed' });
    await system.quiesce();
    // Whatever the re-asking dead-lettered meanwhile, replayed once more in bulk: still one order.
    await expectJson(system.request('order', '/admin/dead-letters/replay', post({ topic: 'stock-available' }, ADMIN)), 200);
    await settleAndCheck({ 'DL-MUG': 3 });
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['committed'], orders: ['confirmed'] });
    expect((await deadLettersOf('order', 'order.stock-available', request_id)).every((d) => d.replayed_at !== null)).toBe(true);
  });

  it('order.created at the cart: the cart asks again once fixed, hears the same order again and ends ordered; a bulk replay changes nothing', { timeout: 120_000 }, async () => {
    await stockedProduct(system, 'DL-CAP', 4);
    const fix = await breakFor('cart.order.created', JOHN);
    const { request_id } = await cartCheckout(JOHN, 'DL-CAP', 1);
    await eventually(() => deadLettersOf('cart', 'cart.order.created', request_id), (d) => d.length > 0, 30_000);
    expect(await cartOf(JOHN)).toMatchObject({ status: 'pending' });

    await fix();
    const cart = await eventually(() => cartOf(JOHN), (c) => c.status !== 'pending', 30_000);
    expect(cart.status).toBe('ordered');
    await system.quiesce();
    const bulk = await expectJson<{ replayed: number; failed: number }>(system.request('cart', '/admin/dead-letters/replay', post({ topic: 'order.created' }, ADMIN)), 200);
    expect(bulk).toMatchObject({ failed: 0 });
    expect(bulk.replayed).toBeGreaterThan(0);
    await settleAndCheck({ 'DL-CAP': 4 });
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['committed'], orders: ['confirmed'] });
    expect((await cartOf(JOHN)).order_id).toBe(cart.order_id);
  });

  it('order.created at inventory: inventory publishes its stock-available again, order its order.created again, and once fixed the reservation is committed before it expires; a bulk replay changes nothing', { timeout: 120_000 }, async () => {
    await stockedProduct(system, 'DL-BAG', 2);
    const fix = await breakFor('inventory.order.created', JANE);
    const { request_id } = await cartCheckout(JANE, 'DL-BAG', 2);
    expect(await eventually(() => cartOf(JANE), (c) => c.status !== 'pending', 30_000)).toMatchObject({ status: 'ordered' });
    await eventually(() => deadLettersOf('inventory', 'inventory.order.created', request_id), (d) => d.length > 0, 30_000);
    // The cart heard its order, so it asks nothing; the reservation still waits for its order.created, and
    // inventory's follow-up asks for it (stock-available again), which order answers with the same order.created.
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['reserved'], orders: ['confirmed'] });

    await fix();
    await eventually(() => checkoutRows(request_id), (r) => r.reservations[0] !== 'reserved', 30_000);
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['committed'], orders: ['confirmed'] });
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inventory.outbox WHERE topic = 'stock-available' AND payload->>'request_id' = $1`,
      [request_id],
    );
    expect(rows[0]!.n).toBeGreaterThan(1);
    await system.quiesce();
    const listed = await deadLettersOf('inventory', 'inventory.order.created', request_id);
    const bulk = await expectJson<{ replayed: number; failed: number }>(system.request('inventory', '/admin/dead-letters/replay', post({ topic: 'order.created' }, ADMIN)), 200);
    expect(bulk).toEqual({ replayed: listed.length, failed: 0 });
    await settleAndCheck({ 'DL-BAG': 2 });
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['committed'], orders: ['confirmed'] });
  });

  it('order.created at inventory, the units sold meanwhile: the replay cancels the order (reservation_expired)', { timeout: 120_000 }, async () => {
    await stockedProduct(system, 'DL-HAT', 1);
    const fix = await breakFor('inventory.order.created', JOHN);
    const { request_id } = await cartCheckout(JOHN, 'DL-HAT', 1);
    const john = await eventually(() => cartOf(JOHN), (c) => c.status !== 'pending', 30_000);
    await eventually(() => deadLettersOf('inventory', 'inventory.order.created', request_id), (d) => d.length > 0, 30_000);
    await eventually(() => checkoutRows(request_id), (r) => r.reservations[0] === 'expired', 30_000);

    const { request_id: janeRequest } = await expectJson<{ request_id: string }>(
      system.request('order', '/orders', post({ items: [{ product_sku: 'DL-HAT', quantity: 1 }] }, asCustomer(JANE))),
      202,
    );
    await eventually(() => checkoutRows(janeRequest), (r) => r.reservations[0] === 'committed', 30_000);

    // The follow-up asked again while the reservation was open, and each order.created again was dead-lettered too.
    await system.quiesce();
    const listed = await deadLettersOf('inventory', 'inventory.order.created', request_id);
    await fix();
    expect(await expectJson(system.request('inventory', '/admin/dead-letters/replay', post({ topic: 'order.created' }, ADMIN)), 200)).toEqual({
      replayed: listed.length,
      failed: 0,
    });
    await settleAndCheck({ 'DL-HAT': 1 });
    expect(await checkoutRows(request_id)).toEqual({ reservations: ['expired'], orders: ['cancelled'] });
    const { rows } = await pool.query('SELECT cancel_reason FROM "order".orders WHERE order_id = $1', [john.order_id]);
    expect(rows[0]).toEqual({ cancel_reason: 'reservation_expired' });
  });
});
