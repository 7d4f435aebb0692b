import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { asCustomer, newCustomer, orderApp, outbox, placeOrder, type OrderTestApp } from './order-test-app';

let db: TestDatabase;
let order: OrderTestApp;

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 30 });
  order = await orderApp(db);
});

describe('cancelling under concurrency (invariant 6 starts here)', () => {
  it('publishes order.cancelled once for 10 concurrent cancels; every answer is 200 with the cancelled order', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) })
          : order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: adminHeaders }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array<number>(10).fill(200));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toMatchObject({ status: 'cancelled' });
    expect((await outbox(db, 'order.cancelled')).filter((e) => e.payload['order_id'] === placed.order_id)).toHaveLength(1);
  });

  it('publishes order.cancelled once for concurrent POST cancels and DELETEs mixed', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        order.app.request(i % 2 ? `/orders/${placed.order_id}` : `/orders/${placed.order_id}/cancel`, {
          method: i % 2 ? 'DELETE' : 'POST',
          headers: asCustomer(customer),
        }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([...Array<number>(5).fill(200), ...Array<number>(5).fill(204)]);
    expect((await outbox(db, 'order.cancelled')).filter((e) => e.payload['order_id'] === placed.order_id)).toHaveLength(1);
  });

  it('never changes a cancelled order: an update racing a cancel either lands before it or is refused with 409', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const [update, cancel] = await Promise.all([
      order.app.request(`/orders/${placed.order_id}`, json('PUT', { note: 'racing' }, asCustomer(customer))),
      order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) }),
    ]);
    expect(cancel.status).toBe(200);
    const final = (await cancel.json()) as { note: string | null };
    if (update.status === 200) expect(final.note).toBe('racing');
    else {
      expect(update.status).toBe(409);
      expect(final.note).toBeNull();
    }
  });
});
