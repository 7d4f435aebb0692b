// Invariants 8 and 9 when a message of a checkout comes only after its reservation expired: reservations live
// 2 s, the sweeper waits 1 s more. One subscription's copy of one customer's message is held back in the real
// transport (its pg-boss job scheduled for never) until the test releases it, long after the sweeper returned
// the units.
import { describe, expect, it } from 'vitest';
import { inTransaction } from '@shop/db';
import { SUPPORT, type System } from './system';
import { allOrders, stockOf, unitsSold } from './race-kit';
import { theEvent } from './scenario-kit';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

const system = await useSystem({ env: { RESERVATION_TTL_SECONDS: '2', RESERVATION_EXPIRY_GRACE_SECONDS: '1' } });

/**
 * Holds back every job of `subscription` whose message mentions `marker`: a BEFORE INSERT trigger on
 * pg-boss's job table schedules it for never. `release()` makes the held jobs due at once.
 */
async function hold(db: System['db'], subscription: string, marker: string): Promise<{ release(): Promise<number> }> {
  await db.pool.query(`
    CREATE OR REPLACE FUNCTION public.hold_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.name = TG_ARGV[0] AND NEW.data::text LIKE '%' || TG_ARGV[1] || '%' THEN
        NEW.start_after := 'infinity';
      END IF;
      RETURN NEW;
    END $$`);
  await db.pool.query('DROP TRIGGER IF EXISTS hold_message ON pgboss.job');
  await db.pool.query(`CREATE TRIGGER hold_message BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION public.hold_message('${subscription}', '${marker}')`);
  return {
    async release() {
      await db.pool.query('DROP TRIGGER IF EXISTS hold_message ON pgboss.job');
      const { rowCount } = await db.pool.query(`UPDATE pgboss.job SET start_after = now() WHERE name = $1 AND start_after = 'infinity'`, [subscription]);
      // Wake the queue's workers as pg-boss does when it inserts a job (its channel, the queue's name): jobs made
      // due by hand are otherwise found only at the transport's next idle look, up to a minute later.
      await db.pool.query(`SELECT pg_notify('pgboss_' || left(encode(sha224('pgboss'::bytea), 'hex'), 24), $1)`, [subscription]);
      return rowCount ?? 0;
    },
  };
}

const holdInventoryOrderCreated = (db: System['db'], marker: string) => hold(db, 'inventory.order.created', marker);

async function reservationOf(requestId: string): Promise<{ status: string; order_id: string | null }> {
  const { rows } = await system.db.pool.query('SELECT status, order_id::text FROM inventory.reservations WHERE request_id = $1', [requestId]);
  return rows[0];
}

async function cartCheckout(customer: string, sku: string, quantity: number): Promise<{ request_id: string; order_id: string }> {
  await expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity }, asCustomer(customer))), 200);
  const { request_id } = await expectJson<{ request_id: string }>(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(customer))), 202);
  const cart = await eventually(
    () => expectJson<{ status: string; order_id: string | null }>(system.request('cart', '/cart', { headers: asCustomer(customer) }), 200),
    (c) => c.status === 'ordered',
  );
  return { request_id, order_id: cart.order_id! };
}

/**
 * Invariant 9 once quiet, per SKU: every unit stocked is available, in a live reservation, or in a confirmed
 * order; no expired, released or rejected reservation holds any; each confirmed order's reservation is
 * committed, and no committed reservation lacks a confirmed order.
 */
async function expectStockFollowsOrders(stocked: Record<string, number>): Promise<void> {
  const sold = unitsSold(await allOrders(system));
  for (const [sku, units] of Object.entries(stocked)) {
    const { rows } = await system.db.pool.query<{ live: number }>(
      `SELECT COALESCE(sum(l.quantity), 0)::int AS live FROM inventory.reservation_lines l JOIN inventory.reservations r USING (reservation_id)
       WHERE l.sku = $1 AND r.status = 'reserved' AND r.expires_at > now()`,
      [sku],
    );
    const stock = await stockOf(system, sku);
    expect({ sku, available: stock.available, reserved: stock.reserved, live: rows[0]!.live, sold: sold.get(sku) ?? 0 }).toEqual({
      sku,
      available: units - rows[0]!.live - (sold.get(sku) ?? 0),
      reserved: rows[0]!.live,
      live: rows[0]!.live,
      sold: sold.get(sku) ?? 0,
    });
  }
  const { rows: mismatched } = await system.db.pool.query(
    `SELECT o.order_id, o.status, r.status AS reservation FROM "order".orders o FULL JOIN inventory.reservations r ON r.reservation_id = o.reservation_id
     WHERE (o.status = 'confirmed' AND r.status IS DISTINCT FROM 'committed') OR (r.status = 'committed' AND o.status IS DISTINCT FROM 'confirmed')`,
  );
  expect(mismatched).toEqual([]);
}

describe('an order.created that reaches inventory after its reservation expired', () => {
  it('re-takes the units when they are still there: the order stands, the reservation is committed', async () => {
    await stockedProduct(system, 'EXP-TEE', 5);
    const held = await holdInventoryOrderCreated(system.db, JOHN);
    const { request_id, order_id } = await cartCheckout(JOHN, 'EXP-TEE', 2);
    expect(await reservationOf(request_id)).toMatchObject({ status: 'reserved' });

    await eventually(() => reservationOf(request_id), (r) => r.status === 'expired', 15_000);
    await eventually(() => stockOf(system, 'EXP-TEE'), (s) => s.available === 5 && s.reserved === 0);

    expect(await held.release()).toBe(1);
    await system.quiesce();
    expect(await reservationOf(request_id)).toEqual({ status: 'committed', order_id });
    expect(await expectJson(system.request('order', `/orders/${order_id}`, { headers: asCustomer(JOHN) }), 200)).toMatchObject({ status: 'confirmed' });
    expect(await stockOf(system, 'EXP-TEE')).toMatchObject({ available: 3, reserved: 0 });
    await expectStockFollowsOrders({ 'EXP-TEE': 5 });
  });

  it('cancels the order (reservation_expired) when the units were sold meanwhile, and the customer is told', async () => {
    await stockedProduct(system, 'EXP-CAP', 2);
    const held = await holdInventoryOrderCreated(system.db, JOHN);
    const john = await cartCheckout(JOHN, 'EXP-CAP', 2);
    await eventually(() => reservationOf(john.request_id), (r) => r.status === 'expired', 15_000);
    await eventually(() => stockOf(system, 'EXP-CAP'), (s) => s.available === 2);

    const res = await system.request('order', '/orders', post({ items: [{ product_sku: 'EXP-CAP', quantity: 2 }] }, asCustomer(JANE)));
    const { request_id: janeRequest } = await expectJson<{ request_id: string }>(res, 202);
    await eventually(() => reservationOf(janeRequest), (r) => r?.status === 'committed');

    expect(await held.release()).toBe(1);
    await system.quiesce();
    expect(await expectJson(system.request('order', `/orders/${john.order_id}`, { headers: asCustomer(JOHN) }), 200)).toMatchObject({ status: 'cancelled' });
    const { rows } = await system.db.pool.query('SELECT cancel_reason FROM "order".orders WHERE order_id = $1', [john.order_id]);
    expect(rows[0].cancel_reason).toBe('reservation_expired');
    expect(await reservationOf(john.request_id)).toEqual({ status: 'expired', order_id: john.order_id });
    expect(await stockOf(system, 'EXP-CAP')).toMatchObject({ available: 0, reserved: 0 });
    const told = await expectJson<{ items: { order_id: string; channel: string }[] }>(
      system.request('notification', `/notifications?customer_id=${JOHN}&type=order_cancelled`, { headers: SUPPORT }),
      200,
    );
    expect(told.items.filter((n) => n.order_id === john.order_id).map((n) => n.channel)).toContain('email');
    await expectStockFollowsOrders({ 'EXP-CAP': 2 });
  });
});

describe('a stock-available that reaches order after its reservation expired', () => {
  it('creates no order; the cart asking again is answered stock.rejected (reservation_expired), ends stock-unavailable, and the customer is told', async () => {
    await stockedProduct(system, 'EXP-MUG', 3);
    const held = await hold(system.db, 'order.stock-available', JOHN);
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'EXP-MUG', quantity: 3 }, asCustomer(JOHN))), 200);
    const { request_id, cart_id } = await expectJson<{ request_id: string; cart_id: string }>(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);
    await eventually(() => reservationOf(request_id), (r) => r?.status === 'expired', 15_000);
    await eventually(() => stockOf(system, 'EXP-MUG'), (s) => s.available === 3 && s.reserved === 0);

    expect(await held.release()).toBe(1);
    await system.quiesce();
    const { rows: orders } = await system.db.pool.query('SELECT order_id FROM "order".orders WHERE request_id = $1', [request_id]);
    expect(orders).toEqual([]);
    expect(await expectJson(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200)).toMatchObject({ cart_id, status: 'pending' });

    // What the cart's re-asking does when it has heard nothing: the same order-requested, a new event id.
    const asked = await theEvent(system, 'cart', 'order-requested', (p) => p.request_id === request_id);
    const cart = system.services.cart;
    await inTransaction(cart.db.prisma, (tx) => cart.events.publish(tx, 'order-requested', asked.payload, { correlationId: asked.attributes['correlation_id'] }));
    await system.quiesce();
    expect(await expectJson(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200)).toMatchObject({
      cart_id,
      status: 'stock-unavailable',
      cart_locked: false,
      rejection: { reason: 'reservation_expired', details: [] },
    });
    const told = await expectJson<{ items: { type: string; text: string }[] }>(
      system.request('notification', `/notifications?customer_id=${JOHN}&type=stock_rejected`, { headers: SUPPORT }),
      200,
    );
    expect(told.items.some((n) => n.text.includes('the hold ran out'))).toBe(true);
    await expectStockFollowsOrders({ 'EXP-MUG': 3 });
  });
});
