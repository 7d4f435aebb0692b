import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, json, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  asCustomer,
  JANE,
  MUG,
  newCustomer,
  NOBODY,
  orderApp,
  orderState,
  outbox,
  placeOrder,
  problem,
  TEE,
  type Order,
  type OrderTestApp,
  type ProblemBody,
} from './order-test-app';

let db: TestDatabase;
let order: OrderTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  order = await orderApp(db);
});

async function refusedUnchanged(status: number, request: () => Response | Promise<Response>): Promise<ProblemBody> {
  const before = await orderState(db);
  const body = await problem(await request(), status);
  expect(await orderState(db)).toEqual(before);
  return body;
}

type Page = { items: Order[]; next_cursor: string | null };
const list = async (query: string, headers: Record<string, string>): Promise<Page> => {
  const res = await order.app.request(`/orders${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
};

/** created_at has millisecond precision: orders placed further apart than that sort by time alone. */
const tick = () => new Promise((r) => setTimeout(r, 3));

const address = { name: 'John Smith', line1: '1 Main Street', line2: 'Flat 2', city: 'Springfield', postal_code: '12345', country: 'us' };

describe('order service: common endpoints', () => {
  it('documents its routes in /openapi.json', async () => {
    const doc = (await (await order.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/orders']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/orders/{id}']!).sort()).toEqual(['delete', 'get', 'put']);
    expect(Object.keys(doc.paths['/orders/{id}/cancel']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/orders/requests/{request_id}']!)).toEqual(['get']);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const res = await order.app.request('/orders/' + NOBODY, { method: 'PATCH', headers: asCustomer(JANE) });
    await problem(res, 405);
    expect(res.headers.get('Allow')).toBe('DELETE, GET, HEAD, PUT');
  });
});

describe('GET /orders/:id', () => {
  it('answers the customer its own order: lines with names, total, currency, status confirmed', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    expect(placed).toEqual({
      order_id: expect.any(String),
      request_id: expect.any(String),
      customer_id: customer,
      cart_id: expect.any(String),
      status: 'confirmed',
      items: [
        { product_sku: MUG.sku, name: MUG.name, quantity: 1, unit_price_cents: MUG.price_cents },
        { product_sku: TEE.sku, name: TEE.name, quantity: 2, unit_price_cents: TEE.price_cents },
      ],
      total_cents: 2 * TEE.price_cents + MUG.price_cents,
      currency: 'EUR',
      shipping_address: null,
      note: null,
      created_at: expect.stringMatching(/Z$/),
      cancelled_at: null,
    });
  });

  it("answers 404, not 403, for another customer's order; support and admin read it", async () => {
    const owner = await newCustomer(order);
    const placed = await placeOrder(order, db, owner);
    await problem(await order.app.request(`/orders/${placed.order_id}`, { headers: asCustomer(JANE) }), 404);
    for (const headers of [supportHeaders, adminHeaders]) {
      const res = await order.app.request(`/orders/${placed.order_id}`, { headers });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(placed);
    }
  });

  it('treats the id case-insensitively', async () => {
    const owner = await newCustomer(order);
    const placed = await placeOrder(order, db, owner);
    expect((await order.app.request(`/orders/${placed.order_id.toUpperCase()}`, { headers: asCustomer(owner) })).status).toBe(200);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    await problem(await order.app.request(`/orders/${NOBODY}`, { headers: supportHeaders }), 404);
    await problem(await order.app.request('/orders/not-a-uuid', { headers: supportHeaders }), 404);
  });

  it('answers 401 without identity, for an unknown customer and an unknown token; 400 for an X-Customer-Id that is no UUID', async () => {
    await problem(await order.app.request(`/orders/${NOBODY}`), 401);
    await problem(await order.app.request(`/orders/${NOBODY}`, { headers: asCustomer(NOBODY) }), 401);
    await problem(await order.app.request(`/orders/${NOBODY}`, { headers: { Authorization: 'Bearer not-a-known-token-123' } }), 401);
    await problem(await order.app.request(`/orders/${NOBODY}`, { headers: asCustomer('abc') }), 400);
  });
});

describe('GET /orders', () => {
  it("answers a customer only its own orders, newest first, even when it asks for another's", async () => {
    const customer = await newCustomer(order);
    const first = await placeOrder(order, db, customer);
    await tick();
    const second = await placeOrder(order, db, customer);
    await placeOrder(order, db, JANE);
    const page = await list('', asCustomer(customer));
    expect(page).toEqual({ items: [second, first], next_cursor: null });
    expect((await list(`?customer_id=${JANE}`, asCustomer(customer))).items).toEqual([]);
    expect((await list(`?customer_id=${customer}`, asCustomer(customer))).items).toHaveLength(2);
  });

  it('answers support and admin every order, filtered by customer_id and status', async () => {
    const a = await newCustomer(order);
    const b = await newCustomer(order);
    const aOrder = await placeOrder(order, db, a);
    const bOrder = await placeOrder(order, db, b);
    await order.app.request(`/orders/${bOrder.order_id}/cancel`, { method: 'POST', headers: asCustomer(b) });
    const all = await list('?limit=200', supportHeaders);
    expect(all.items.map((o) => o.order_id)).toEqual(expect.arrayContaining([aOrder.order_id, bOrder.order_id]));
    expect((await list(`?customer_id=${a}`, adminHeaders)).items.map((o) => o.order_id)).toEqual([aOrder.order_id]);
    expect((await list(`?customer_id=${b.toUpperCase()}&status=cancelled`, supportHeaders)).items.map((o) => o.order_id)).toEqual([bOrder.order_id]);
    expect((await list(`?customer_id=${b}&status=confirmed`, supportHeaders)).items).toEqual([]);
    const cancelled = await list('?status=cancelled&limit=200', supportHeaders);
    expect(cancelled.items.every((o) => o.status === 'cancelled')).toBe(true);
  });

  it('pages with limit and an opaque cursor, newest first, without gaps or repeats', async () => {
    const customer = await newCustomer(order);
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      placed.push((await placeOrder(order, db, customer)).order_id);
      await tick();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, asCustomer(customer));
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((o) => o.order_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...placed].reverse());
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['cursor=garbage', 'cursor'],
    [`cursor=${Buffer.from('{"page":2}').toString('base64url')}`, 'cursor'],
    ['status=shipped', 'status'],
    ['customer_id=john', 'customer_id'],
  ])('answers 422 for %s', async (query, field) => {
    const body = await problem(await order.app.request(`/orders?${query}`, { headers: supportHeaders }), 422);
    expect(body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it('answers 401 without identity and 400 for an X-Customer-Id that is no UUID', async () => {
    await problem(await order.app.request('/orders'), 401);
    await problem(await order.app.request('/orders', { headers: asCustomer(NOBODY) }), 401);
    await problem(await order.app.request('/orders', { headers: asCustomer('1') }), 400);
  });
});

describe('PUT /orders/:id', () => {
  it('sets the shipping address and note for the owning customer, answering 200 with the order', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const res = await order.app.request(`/orders/${placed.order_id}`, json('PUT', { shipping_address: address, note: ' Leave at the door ' }, asCustomer(customer)));
    expect(res.status).toBe(200);
    const updated = (await res.json()) as Order;
    expect(updated).toEqual({ ...placed, shipping_address: address, note: 'Leave at the door' });
    expect(await (await order.app.request(`/orders/${placed.order_id}`, { headers: asCustomer(customer) })).json()).toEqual(updated);
  });

  it('replaces only the fields given; null clears one; a missing line2 is null', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const put = (body: unknown) => order.app.request(`/orders/${placed.order_id}`, json('PUT', body, asCustomer(customer)));
    const { line2: _line2, ...withoutLine2 } = address;
    expect(await (await put({ shipping_address: withoutLine2, note: 'n' })).json()).toMatchObject({ shipping_address: { line2: null }, note: 'n' });
    expect(await (await put({ note: null })).json()).toMatchObject({ shipping_address: { city: 'Springfield' }, note: null });
    expect(await (await put({ shipping_address: null })).json()).toMatchObject({ shipping_address: null, note: null });
  });

  it('lets admin change any order; support is 403; another customer is 404; nothing changes when refused', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const body = { note: 'from staff' };
    await refusedUnchanged(403, () => order.app.request(`/orders/${placed.order_id}`, json('PUT', body, supportHeaders)));
    await refusedUnchanged(404, () => order.app.request(`/orders/${placed.order_id}`, json('PUT', body, asCustomer(JANE))));
    const res = await order.app.request(`/orders/${placed.order_id}`, json('PUT', body, adminHeaders));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ note: 'from staff' });
  });

  it('answers 409 once the order is cancelled, writing nothing', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    await order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) });
    await refusedUnchanged(409, () => order.app.request(`/orders/${placed.order_id}`, json('PUT', { note: 'too late' }, asCustomer(customer))));
  });

  it.each([
    ['an empty object', {}, ['(body)']],
    ['an unknown field', { note: 'x', status: 'cancelled' }, ['status']],
    ['an address without a city', { shipping_address: { ...address, city: undefined } }, ['shipping_address.city']],
    ['an empty country', { shipping_address: { ...address, country: '  ' } }, ['shipping_address.country']],
    ['a note too long', { note: 'x'.repeat(1001) }, ['note']],
    ['a note that is a number', { note: 5 }, ['note']],
  ])('answers 422 for %s, writing nothing', async (_label, input, fields) => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const body = await refusedUnchanged(422, () => order.app.request(`/orders/${placed.order_id}`, json('PUT', input, asCustomer(customer))));
    expect([...new Set(body.errors?.map((e) => e.field))].sort()).toEqual(fields);
  });

  it('answers 400 for a malformed or empty body, 404 for an unknown order, 401 without identity, writing nothing', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const headers = { 'Content-Type': 'application/json', ...asCustomer(customer) };
    await refusedUnchanged(400, () => order.app.request(`/orders/${placed.order_id}`, { method: 'PUT', headers, body: '{"note":' }));
    await refusedUnchanged(400, () => order.app.request(`/orders/${placed.order_id}`, { method: 'PUT', headers }));
    await refusedUnchanged(404, () => order.app.request(`/orders/${NOBODY}`, json('PUT', { note: 'x' }, asCustomer(customer))));
    await refusedUnchanged(401, () => order.app.request(`/orders/${placed.order_id}`, json('PUT', { note: 'x' })));
  });
});

describe('POST /orders/:id/cancel and DELETE /orders/:id', () => {
  it('cancels with 200 and the order, publishing order.cancelled with the lines and the reservation', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const before = (await outbox(db, 'order.cancelled')).length;
    const res = await order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) });
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as Order;
    expect(cancelled).toEqual({ ...placed, status: 'cancelled', cancelled_at: expect.stringMatching(/Z$/) });
    const { rows } = await db.pool.query('SELECT reservation_id::text FROM "order".orders WHERE order_id = $1', [placed.order_id]);
    const events = (await outbox(db, 'order.cancelled')).slice(before);
    expect(events).toEqual([
      {
        topic: 'order.cancelled',
        payload: {
          order_id: placed.order_id,
          cart_id: placed.cart_id,
          customer_id: customer,
          reservation_id: rows[0].reservation_id,
          items: [
            { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
            { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
          ],
          reason: 'cancelled by the customer',
          cancelled_at: cancelled.cancelled_at,
        },
        attributes: expect.objectContaining({ event_type: 'order.cancelled', producer: 'order', correlation_id: placed.cart_id }),
      },
    ]);
  });

  it('answers a repeated cancel with the same order, changing nothing and publishing nothing more', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const cancel = () => order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) });
    const first = await (await cancel()).json();
    const state = await orderState(db);
    for (let i = 0; i < 3; i++) {
      const again = await cancel();
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(first);
    }
    const del = await order.app.request(`/orders/${placed.order_id}`, { method: 'DELETE', headers: asCustomer(customer) });
    expect(del.status).toBe(204);
    expect(await orderState(db)).toEqual(state);
  });

  it('cancels with DELETE: 204 and no body, then the order reads cancelled', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const res = await order.app.request(`/orders/${placed.order_id}`, { method: 'DELETE', headers: asCustomer(customer) });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await (await order.app.request(`/orders/${placed.order_id}`, { headers: asCustomer(customer) })).json()).toMatchObject({ status: 'cancelled' });
    expect((await outbox(db, 'order.cancelled')).filter((e) => e.payload['order_id'] === placed.order_id)).toHaveLength(1);
  });

  it('lets admin cancel any order; support is 403, another customer 404, an unknown order 404, all writing nothing', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const path = `/orders/${placed.order_id}/cancel`;
    await refusedUnchanged(403, () => order.app.request(path, { method: 'POST', headers: supportHeaders }));
    await refusedUnchanged(404, () => order.app.request(path, { method: 'POST', headers: asCustomer(JANE) }));
    await refusedUnchanged(404, () => order.app.request(`/orders/${placed.order_id}`, { method: 'DELETE', headers: asCustomer(JANE) }));
    await refusedUnchanged(404, () => order.app.request(`/orders/${NOBODY}/cancel`, { method: 'POST', headers: adminHeaders }));
    await refusedUnchanged(404, () => order.app.request('/orders/nope/cancel', { method: 'POST', headers: adminHeaders }));
    await refusedUnchanged(401, () => order.app.request(path, { method: 'POST' }));
    await refusedUnchanged(400, () => order.app.request(path, { method: 'POST', headers: asCustomer('x') }));
    // No body is needed, but one that is sent must be JSON.
    await refusedUnchanged(400, () => order.app.request(path, { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: 'reason=late' }));
    const res = await order.app.request(path, { method: 'POST', headers: adminHeaders });
    expect(res.status).toBe(200);
    const [event] = (await outbox(db, 'order.cancelled')).filter((e) => e.payload['order_id'] === placed.order_id);
    expect(event!.payload['reason']).toBe('cancelled by admin');
  });

  it("uses the buy-now request's id as correlation id for a buy-now order (no cart; DESIGN.md)", async () => {
    const customer = await newCustomer(order);
    const requestId = randomUUID();
    const placed = await placeOrder(order, db, customer, { source: 'buy-now', cart_id: null, request_id: requestId });
    await order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) });
    const [event] = (await outbox(db, 'order.cancelled')).filter((e) => e.payload['order_id'] === placed.order_id);
    expect(event).toMatchObject({ payload: { cart_id: null }, attributes: { correlation_id: requestId } });
  });
});
