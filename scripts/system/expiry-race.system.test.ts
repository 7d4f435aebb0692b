// Fault tests (e) of issue 12, at flash-sale size: many late order.created racing the reservation sweeper.
// reservation-expiry.system.test.ts covers one late message after its reservation expired, with the units
// still there and sold out; here a crowd of carts has its order.created to inventory held back in the real
// transport (pg-boss jobs scheduled for never) and released exactly when the sweeper falls due, so handlers
// and sweeper run at the same moment; then released after another crowd bought part of the units meanwhile.
import { describe, expect, it } from 'vitest';
import { expectInvariants, untilSettled } from './invariants';
import { createCustomers, mapLimited } from './race-kit';
import { asCustomer, eventually, expectJson, post, stockedProduct, useSystem } from './system-kit';

const TTL_SECONDS = 3;
const GRACE_SECONDS = 1;
const system = await useSystem({ env: { RESERVATION_TTL_SECONDS: String(TTL_SECONDS), RESERVATION_EXPIRY_GRACE_SECONDS: String(GRACE_SECONDS) } });
const pool = system.db.pool;

/** Holds back inventory's copy of order.created for the customers in `public.held_customers` until released. */
await pool.query(`
  CREATE TABLE public.held_customers (customer_id uuid PRIMARY KEY);
  CREATE FUNCTION public.hold_order_created() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.name = 'inventory.order.created'
       AND EXISTS (SELECT 1 FROM public.held_customers WHERE customer_id = ((NEW.data->>'data')::jsonb->>'customer_id')::uuid) THEN
      NEW.start_after := 'infinity';
    END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER hold_order_created BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION public.hold_order_created();
`);

async function hold(customers: string[]): Promise<void> {
  await pool.query('INSERT INTO public.held_customers SELECT unnest($1::uuid[])', [customers]);
}

/** Makes every held order.created due now; returns how many. */
async function release(): Promise<number> {
  await pool.query('DELETE FROM public.held_customers');
  const { rowCount } = await pool.query(`UPDATE pgboss.job SET start_after = now() WHERE name = 'inventory.order.created' AND start_after = 'infinity'`);
  return rowCount ?? 0;
}

/** Each of `customers` checks out one unit of `sku` through the cart; resolves once every cart is ordered. */
async function cartCheckouts(customers: string[], sku: string): Promise<void> {
  await mapLimited(customers, 25, (c) => expectJson(system.request('cart', '/cart/items', post({ product_sku: sku, quantity: 1 }, asCustomer(c))), 200));
  await Promise.all(customers.map((c) => expectJson(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(c))), 202)));
  await eventually(
    () => pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cart.carts WHERE customer_id = ANY($1::uuid[]) AND status = 'ordered'`, [customers]),
    (r) => r.rows[0]!.n === customers.length,
    60_000,
  );
}

async function reservationsOf(sku: string): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>(
    `SELECT r.status, count(*)::int AS n FROM inventory.reservations r JOIN inventory.reservation_lines l USING (reservation_id) WHERE l.sku = $1 GROUP BY r.status`,
    [sku],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function ordersOf(sku: string): Promise<{ status: string; source: string; cancel_reason: string | null; n: number }[]> {
  const { rows } = await pool.query<{ status: string; source: string; cancel_reason: string | null; n: number }>(
    `SELECT o.status, o.source, o.cancel_reason, count(*)::int AS n FROM "order".orders o JOIN "order".order_lines l USING (order_id)
     WHERE l.product_sku = $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [sku],
  );
  return rows;
}

const customers = await createCustomers(system, 60, 'Late');

describe('late order.created racing the reservation sweeper, at flash-sale size', () => {
  it('released as the sweeper falls due, the units still there: every order stands, every reservation committed', { timeout: 120_000 }, async () => {
    const sku = 'RACE-TEE';
    const crowd = customers.slice(0, 20);
    await stockedProduct(system, sku, 20);
    await hold(crowd);
    await cartCheckouts(crowd, sku);
    expect(await reservationsOf(sku)).toEqual({ reserved: 20 });

    // Release when the first reservations fall due for the sweeper: some are swept just before, some just
    // after, some while their order.created is being handled.
    const { rows } = await pool.query<{ due: Date }>(`SELECT min(expires_at) + make_interval(secs => $1) AS due FROM inventory.reservations WHERE status = 'reserved'`, [GRACE_SECONDS]);
    await new Promise((r) => setTimeout(r, Math.max(0, rows[0]!.due.getTime() - Date.now())));
    expect(await release()).toBe(20);

    const settled = await untilSettled(pool, { queues: true, timeoutMs: 60_000 });
    await expectInvariants(pool, { stocked: new Map([[sku, 20]]) });
    expect(settled).toBe(true);
    expect(await reservationsOf(sku)).toEqual({ committed: 20 });
    expect(await ordersOf(sku)).toEqual([{ status: 'confirmed', source: 'cart', cancel_reason: null, n: 20 }]);
  });

  it('released after the reservations expired and another crowd bought 12 of 20 units: 8 late orders stand, 12 are cancelled', { timeout: 120_000 }, async () => {
    const sku = 'RACE-CAP';
    const late = customers.slice(20, 40);
    const buyers = customers.slice(40, 52);
    await stockedProduct(system, sku, 20);
    await hold(late);
    await cartCheckouts(late, sku);
    await eventually(() => reservationsOf(sku), (r) => r['expired'] === 20, 30_000);

    const requests = await Promise.all(
      buyers.map((c) => expectJson<{ request_id: string }>(system.request('order', '/orders', post({ items: [{ product_sku: sku, quantity: 1 }] }, asCustomer(c))), 202)),
    );
    await eventually(
      () => pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "order".buy_now_requests WHERE request_id = ANY($1::uuid[]) AND status = 'confirmed'`, [requests.map((r) => r.request_id)]),
      (r) => r.rows[0]!.n === buyers.length,
      30_000,
    );
    expect(await release()).toBe(20);

    const settled = await untilSettled(pool, { queues: true, timeoutMs: 60_000 });
    await expectInvariants(pool, { stocked: new Map([[sku, 20]]) });
    expect(settled).toBe(true);
    expect(await reservationsOf(sku)).toEqual({ committed: 20, expired: 12 });
    expect(await ordersOf(sku)).toEqual([
      { status: 'cancelled', source: 'cart', cancel_reason: 'reservation_expired', n: 12 },
      { status: 'confirmed', source: 'buy-now', cancel_reason: null, n: 12 },
      { status: 'confirmed', source: 'cart', cancel_reason: null, n: 8 },
    ]);
    const { rows: told } = await pool.query<{ n: number }>(
      `SELECT count(DISTINCT n.order_id)::int AS n FROM notification.notifications n JOIN "order".orders o USING (order_id)
       WHERE n.type = 'order_cancelled' AND o.cancel_reason = 'reservation_expired' AND n.customer_id = ANY($1::uuid[])`,
      [late],
    );
    expect(told[0]!.n).toBe(12);
  });
});
