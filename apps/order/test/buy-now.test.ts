import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { json, refuseIdempotentAnswers, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { requestBuyNow } from '../src/domain/orders';
import {
  asCustomer,
  DOLLAR_CAP,
  HAT,
  JANE,
  MUG,
  newCustomer,
  NOBODY,
  orderApp,
  orderState,
  outbox,
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

const buyNow = (customerId: string, body: unknown, headers: Record<string, string> = {}) =>
  order.app.request('/orders', json('POST', body, { ...asCustomer(customerId), ...headers }));

interface BuyNowRequest {
  request_id: string;
  customer_id: string;
  status: 'pending' | 'confirmed' | 'rejected';
  order_id: string | null;
  rejection: { reason: string; details: { product_sku: string; requested: number; available: number }[] } | null;
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  created_at: string;
}

async function requestOf(customerId: string, requestId: string): Promise<BuyNowRequest> {
  const res = await order.app.request(`/orders/requests/${requestId}`, { headers: asCustomer(customerId) });
  expect(res.status).toBe(200);
  return (await res.json()) as BuyNowRequest;
}

async function accepted(customerId: string, items = [{ product_sku: TEE.sku, quantity: 2 }]): Promise<string> {
  const res = await buyNow(customerId, { items });
  expect(res.status).toBe(202);
  return ((await res.json()) as { request_id: string }).request_id;
}

describe('POST /orders (buy now)', () => {
  it('answers 202 with the request id and pending, Location at the request, which reads pending', async () => {
    const customer = await newCustomer(order);
    const res = await buyNow(customer, { items: [{ product_sku: TEE.sku, quantity: 2 }, { product_sku: MUG.sku, quantity: 1 }] });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { request_id: string; status: string };
    expect(body).toEqual({ request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
    expect(res.headers.get('Location')).toBe(`/orders/requests/${body.request_id}`);
    const followed = await order.app.request(res.headers.get('Location')!, { headers: asCustomer(customer) });
    expect(await followed.json()).toEqual({
      request_id: body.request_id,
      customer_id: customer,
      status: 'pending',
      order_id: null,
      rejection: null,
      items: [
        { product_sku: TEE.sku, name: TEE.name, quantity: 2, unit_price_cents: TEE.price_cents },
        { product_sku: MUG.sku, name: MUG.name, quantity: 1, unit_price_cents: MUG.price_cents },
      ],
      total_cents: 2 * TEE.price_cents + MUG.price_cents,
      currency: 'EUR',
      created_at: expect.stringMatching(/Z$/),
    });
  });

  it('writes order-requested (buy-now, no cart, prices from the catalog read model) with the request, in one transaction', async () => {
    const customer = await newCustomer(order);
    const before = (await outbox(db, 'order-requested')).length;
    const requestId = await accepted(customer, [{ product_sku: MUG.sku, quantity: 3 }]);
    expect((await outbox(db, 'order-requested')).slice(before)).toEqual([
      {
        topic: 'order-requested',
        payload: {
          request_id: requestId,
          source: 'buy-now',
          cart_id: null,
          customer_id: customer,
          items: [{ product_sku: MUG.sku, quantity: 3, unit_price_cents: MUG.price_cents }],
          currency: 'EUR',
          requested_at: expect.stringMatching(/Z$/),
        },
        attributes: expect.objectContaining({ event_type: 'order-requested', producer: 'order', correlation_id: requestId }),
      },
    ]);
    const { rows } = await db.pool.query('SELECT status, customer_id::text FROM "order".buy_now_requests WHERE request_id = $1', [requestId]);
    expect(rows).toEqual([{ status: 'pending', customer_id: customer }]);
  });

  it('records the request only with its event: when writing the event fails, nothing is written (invariant 4)', async () => {
    const before = await orderState(db);
    const failingPublish = async () => {
      throw new Error('outbox unavailable');
    };
    await expect(requestBuyNow({ prisma: db.prisma, publish: failingPublish }, JANE, { items: [{ product_sku: TEE.sku, quantity: 1 }] })).rejects.toThrow(
      'outbox unavailable',
    );
    expect(await orderState(db)).toEqual(before);
  });

  it.each([
    ['an unknown product', [{ product_sku: 'NO-SUCH', quantity: 1 }], ['items.0.product_sku']],
    ['an inactive product', [{ product_sku: TEE.sku, quantity: 1 }, { product_sku: HAT.sku, quantity: 1 }], ['items.1.product_sku']],
    ['products in two currencies', [{ product_sku: TEE.sku, quantity: 1 }, { product_sku: DOLLAR_CAP.sku, quantity: 1 }], ['items']],
  ])('answers 422 for %s, writing nothing', async (_label, items, fields) => {
    const body = await refusedUnchanged(422, () => buyNow(JANE, { items }));
    expect(body.errors?.map((e) => e.field)).toEqual(fields);
  });

  it('answers 422 for a product deleted from the catalog, writing nothing', async () => {
    await order.publishToOrder('product.upserted', { sku: 'GONE-2', name: 'Gone', description: '', price_cents: 100, currency: 'EUR', active: true });
    await accepted(JANE, [{ product_sku: 'GONE-2', quantity: 1 }]);
    await order.publishToOrder('product.deleted', { sku: 'GONE-2' });
    await refusedUnchanged(422, () => buyNow(JANE, { items: [{ product_sku: 'GONE-2', quantity: 1 }] }));
  });

  it.each([
    ['no items', { items: [] }, ['items']],
    ['no body fields', {}, ['items']],
    ['a SKU listed twice', { items: [{ product_sku: TEE.sku, quantity: 1 }, { product_sku: TEE.sku, quantity: 2 }] }, ['items.1.product_sku']],
    ['quantity 0', { items: [{ product_sku: TEE.sku, quantity: 0 }] }, ['items.0.quantity']],
    ['a fractional quantity', { items: [{ product_sku: TEE.sku, quantity: 0.5 }] }, ['items.0.quantity']],
    ['a price in the body', { items: [{ product_sku: TEE.sku, quantity: 1, unit_price_cents: 1 }] }, ['items.0.unit_price_cents']],
    ['a cart id', { items: [{ product_sku: TEE.sku, quantity: 1 }], cart_id: NOBODY }, ['cart_id']],
  ])('answers 422 for %s, listing the fields, writing nothing', async (_label, input, fields) => {
    const body = await refusedUnchanged(422, () => buyNow(JANE, input));
    expect([...new Set(body.errors?.map((e) => e.field))]).toEqual(fields);
  });

  it('answers 400 for a body that is not JSON and for an empty body, writing nothing', async () => {
    const headers = { 'Content-Type': 'application/json', ...asCustomer(JANE) };
    await refusedUnchanged(400, () => order.app.request('/orders', { method: 'POST', headers, body: 'items=1' }));
    await refusedUnchanged(400, () => order.app.request('/orders', { method: 'POST', headers }));
  });

  it('answers 401 without a customer (a staff token is not one), for an unknown or deleted customer; 400 for a malformed id', async () => {
    const items = [{ product_sku: TEE.sku, quantity: 1 }];
    await refusedUnchanged(401, () => order.app.request('/orders', json('POST', { items })));
    await refusedUnchanged(401, () => order.app.request('/orders', json('POST', { items }, supportHeaders)));
    await refusedUnchanged(401, () => buyNow(NOBODY, { items }));
    await refusedUnchanged(400, () => buyNow('jane', { items }));
    await refusedUnchanged(401, () => order.app.request('/orders', { method: 'POST', body: '{broken' }));
    const leaving = await newCustomer(order);
    await order.publishToOrder('customer.deleted', { customer_id: leaving });
    await refusedUnchanged(401, () => buyNow(leaving, { items }));
  });

  describe('with an Idempotency-Key', () => {
    it('replays the first answer and records one request and one order-requested', async () => {
      const customer = await newCustomer(order);
      const headers = { 'Idempotency-Key': `buy-${randomUUID()}` };
      const input = { items: [{ product_sku: TEE.sku, quantity: 1 }] };
      const first = await buyNow(customer, input, headers);
      expect(first.status).toBe(202);
      const firstBody = await first.json();
      const replay = await buyNow(customer, input, headers);
      expect(replay.status).toBe(202);
      expect(replay.headers.get('Location')).toBe(first.headers.get('Location'));
      expect(await replay.json()).toEqual(firstBody);
      const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM "order".buy_now_requests WHERE customer_id = $1', [customer]);
      expect(rows[0].n).toBe(1);
      expect((await outbox(db, 'order-requested')).filter((e) => e.payload['customer_id'] === customer)).toHaveLength(1);
    });

    it('answers 422 for the same key with another body, writing nothing', async () => {
      const customer = await newCustomer(order);
      const headers = { 'Idempotency-Key': `buy-${randomUUID()}` };
      await buyNow(customer, { items: [{ product_sku: TEE.sku, quantity: 1 }] }, headers);
      const body = await refusedUnchanged(422, () => buyNow(customer, { items: [{ product_sku: TEE.sku, quantity: 2 }] }, headers));
      expect(body.detail).toMatch(/Idempotency-Key/);
    });

    it('records no request and no order-requested when the answer to its key cannot be stored (they commit together)', async () => {
      const customer = await newCustomer(order);
      const headers = { 'Idempotency-Key': `buy-${randomUUID()}` };
      const input = { items: [{ product_sku: TEE.sku, quantity: 1 }] };
      const restore = await refuseIdempotentAnswers(db, 'order');
      try {
        await refusedUnchanged(500, () => buyNow(customer, input, headers));
      } finally {
        await restore();
      }
      const retried = await buyNow(customer, input, headers);
      expect(retried.status).toBe(202);
      expect(retried.headers.get('Idempotent-Replayed')).toBeNull();
    });
  });
});

describe('GET /orders/requests/:request_id', () => {
  it("answers the requesting customer and support; another customer's is 404", async () => {
    const customer = await newCustomer(order);
    const requestId = await accepted(customer);
    expect((await order.app.request(`/orders/requests/${requestId}`, { headers: supportHeaders })).status).toBe(200);
    await problem(await order.app.request(`/orders/requests/${requestId}`, { headers: asCustomer(JANE) }), 404);
  });

  it('answers 404 for an unknown or malformed request id, 401 without identity, 400 for a malformed X-Customer-Id', async () => {
    await problem(await order.app.request(`/orders/requests/${NOBODY}`, { headers: supportHeaders }), 404);
    await problem(await order.app.request('/orders/requests/nope', { headers: supportHeaders }), 404);
    await problem(await order.app.request(`/orders/requests/${NOBODY}`), 401);
    await problem(await order.app.request(`/orders/requests/${NOBODY}`, { headers: asCustomer('1-2') }), 400);
  });
});

describe('the buy-now choreography, as the order service sees it', () => {
  it('stock-available → the request confirmed with the order id; the order reads confirmed', async () => {
    const customer = await newCustomer(order);
    const requestId = await accepted(customer, [{ product_sku: TEE.sku, quantity: 2 }]);
    const reservationId = randomUUID();
    const outcome = await order.publishToOrder('stock-available', {
      request_id: requestId,
      source: 'buy-now',
      cart_id: null,
      customer_id: customer,
      reservation_id: reservationId,
      items: [{ product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents }],
      currency: 'EUR',
    });
    expect(outcome).toEqual({ status: 'ack' });
    const request = await requestOf(customer, requestId);
    expect(request).toMatchObject({ status: 'confirmed', order_id: expect.any(String), rejection: null });
    const res = await order.app.request(`/orders/${request.order_id}`, { headers: asCustomer(customer) });
    expect(await res.json()).toMatchObject({
      order_id: request.order_id!,
      request_id: requestId,
      cart_id: null,
      status: 'confirmed',
      items: [{ product_sku: TEE.sku, name: TEE.name, quantity: 2, unit_price_cents: TEE.price_cents }],
      total_cents: 2 * TEE.price_cents,
    } satisfies Partial<Order>);
    const [created] = (await outbox(db, 'order.created')).filter((e) => e.payload['request_id'] === requestId);
    expect(created).toMatchObject({ payload: { source: 'buy-now', cart_id: null, reservation_id: reservationId }, attributes: { correlation_id: requestId } });
  });

  it('stock.rejected → the request rejected, with the rejection shaped as the cart’s', async () => {
    const customer = await newCustomer(order);
    const requestId = await accepted(customer);
    const outcome = await order.publishToOrder('stock.rejected', {
      request_id: requestId,
      source: 'buy-now',
      cart_id: null,
      customer_id: customer,
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 2, available: 1 }],
    });
    expect(outcome).toEqual({ status: 'ack' });
    expect(await requestOf(customer, requestId)).toMatchObject({
      status: 'rejected',
      order_id: null,
      rejection: { reason: 'insufficient_stock', details: [{ product_sku: TEE.sku, requested: 2, available: 1 }] },
    });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM "order".orders WHERE request_id = $1', [requestId]);
    expect(rows[0].n).toBe(0);
  });
});
