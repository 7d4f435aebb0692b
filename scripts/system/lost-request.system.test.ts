// Invariant 8 for a lost order-requested: the transport loses the first one of a checkout after the relay handed
// it over (a database trigger drops inventory's copy as pg-boss enqueues it), and the requester's re-ask, after
// CHECKOUT_RETRY_AFTER_SECONDS, still brings the checkout to its final state, with one reservation and one order.
import { beforeAll, describe, expect, it } from 'vitest';
import { SUPPORT } from './system';
import { asCustomer, eventually, expectJson, JANE, JOHN, post, stockedProduct, useSystem } from './system-kit';

const system = await useSystem({ env: { CHECKOUT_RETRY_AFTER_SECONDS: '1', CHECKOUT_RETRY_MAX_SECONDS: '2' } });

beforeAll(async () => {
  await system.db.pool.query(`
    CREATE TABLE public.lossy_customers (customer_id uuid PRIMARY KEY);
    CREATE TABLE public.lost_requests (request_id uuid PRIMARY KEY);
    CREATE FUNCTION public.lose_first_order_request() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      payload jsonb := (NEW.data->>'data')::jsonb;
    BEGIN
      IF NEW.name = 'inventory.order-requested'
         AND EXISTS (SELECT 1 FROM public.lossy_customers WHERE customer_id = (payload->>'customer_id')::uuid) THEN
        INSERT INTO public.lost_requests VALUES ((payload->>'request_id')::uuid) ON CONFLICT DO NOTHING;
        IF FOUND THEN RETURN NULL; END IF;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER lose_first_order_request BEFORE INSERT ON pgboss.job FOR EACH ROW EXECUTE FUNCTION public.lose_first_order_request();
  `);
});

async function loseFirstRequestOf(customerId: string): Promise<void> {
  await system.db.pool.query('INSERT INTO public.lossy_customers VALUES ($1)', [customerId]);
}

async function wasLost(requestId: string): Promise<boolean> {
  const { rows } = await system.db.pool.query('SELECT 1 FROM public.lost_requests WHERE request_id = $1', [requestId]);
  return rows.length === 1;
}

async function orderRequestsPublishedBy(service: 'cart' | 'order', requestId: string): Promise<string[]> {
  const { rows } = await system.db.pool.query<{ event_id: string }>(
    `SELECT event_id::text FROM "${service}".outbox WHERE topic = 'order-requested' AND payload->>'request_id' = $1 ORDER BY id`,
    [requestId],
  );
  return rows.map((r) => r.event_id);
}

async function reservationsOf(requestId: string): Promise<number> {
  const { rows } = await system.db.pool.query('SELECT count(*)::int AS n FROM inventory.reservations WHERE request_id = $1', [requestId]);
  return (rows[0] as { n: number }).n;
}

describe('a lost order-requested (invariant 8)', () => {
  it('a cart checkout whose first order-requested never reaches inventory still ends ordered, reserved once', async () => {
    await stockedProduct(system, 'LOST-TEE', 5, 1500);
    await loseFirstRequestOf(JOHN);
    await expectJson(system.request('cart', '/cart/items', post({ product_sku: 'LOST-TEE', quantity: 2 }, asCustomer(JOHN))), 200);
    const accepted = await expectJson<{ cart_id: string; request_id: string }>(system.request('cart', '/cart/convert-to-order', post({}, asCustomer(JOHN))), 202);

    const cart = await eventually(
      () => expectJson<{ status: string; order_id: string | null }>(system.request('cart', '/cart', { headers: asCustomer(JOHN) }), 200),
      (c) => c.status !== 'pending',
    );
    expect(cart).toMatchObject({ cart_id: accepted.cart_id, status: 'ordered', cart_locked: true, order_id: expect.any(String) });
    expect(await wasLost(accepted.request_id)).toBe(true);
    const asked = await orderRequestsPublishedBy('cart', accepted.request_id);
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asked).size).toBe(asked.length);

    await system.quiesce();
    expect(await reservationsOf(accepted.request_id)).toBe(1);
    const orders = await expectJson<{ items: { request_id: string; status: string }[] }>(system.request('order', `/orders?customer_id=${JOHN}`, { headers: SUPPORT }), 200);
    expect(orders.items.filter((o) => o.request_id === accepted.request_id)).toEqual([expect.objectContaining({ status: 'confirmed' })]);
    expect(await expectJson(system.request('inventory', '/inventory/LOST-TEE', { headers: SUPPORT }), 200)).toMatchObject({ available: 3, reserved: 0 });
  });

  it('a buy-now request whose first order-requested never reaches inventory still ends confirmed, reserved once', async () => {
    await stockedProduct(system, 'LOST-MUG', 4, 900);
    await loseFirstRequestOf(JANE);
    const accepted = await expectJson<{ request_id: string }>(
      system.request('order', '/orders', post({ items: [{ product_sku: 'LOST-MUG', quantity: 3 }] }, asCustomer(JANE))),
      202,
    );

    const request = await eventually(
      () => expectJson<{ status: string; order_id: string | null }>(system.request('order', `/orders/requests/${accepted.request_id}`, { headers: asCustomer(JANE) }), 200),
      (r) => r.status !== 'pending',
    );
    expect(request).toMatchObject({ status: 'confirmed', order_id: expect.any(String) });
    expect(await wasLost(accepted.request_id)).toBe(true);
    expect((await orderRequestsPublishedBy('order', accepted.request_id)).length).toBeGreaterThanOrEqual(2);

    await system.quiesce();
    expect(await reservationsOf(accepted.request_id)).toBe(1);
    expect(await expectJson(system.request('inventory', '/inventory/LOST-MUG', { headers: SUPPORT }), 200)).toMatchObject({ available: 1, reserved: 0 });
  });
});
