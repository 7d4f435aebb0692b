import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import type { CheckoutReasker } from '@shop/service';
import { json, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createBuyNowReasker, startBuyNowReasking } from '../src/reask/buy-now-reask';
import { asCustomer, MUG, newCustomer, orderApp, outbox, TEE, type OrderTestApp, type OutboxEvent } from './order-test-app';

let db: TestDatabase;
let order: OrderTestApp;

const DEFAULTS = { CHECKOUT_RETRY_AFTER_SECONDS: 20, CHECKOUT_RETRY_MAX_SECONDS: 300 };

beforeAll(async () => {
  db = await useTestDatabase({ poolMax: 12 });
  order = await orderApp(db);
});

function reasker(options: { batchSize?: number } = {}): CheckoutReasker {
  return createBuyNowReasker(DEFAULTS, { db, publish: order.context.events.publish, logger: testLogger('order') }, options);
}

interface Request {
  customer: string;
  request_id: string;
}

/** A new customer's pending buy-now request for TEE ×2 and MUG ×1. */
async function pendingRequest(): Promise<Request> {
  const customer = await newCustomer(order);
  const body = { items: [{ product_sku: TEE.sku, quantity: 2 }, { product_sku: MUG.sku, quantity: 1 }] };
  const res = await order.app.request('/orders', json('POST', body, asCustomer(customer)));
  expect(res.status).toBe(202);
  return { customer, request_id: ((await res.json()) as { request_id: string }).request_id };
}

/** Time passing for a request's schedule: its last ask moves `seconds` into the past. */
async function age(requestIds: string[], seconds: number): Promise<void> {
  await db.pool.query(`UPDATE "order".buy_now_requests SET asked_at = asked_at - make_interval(secs => $2) WHERE request_id = ANY($1::uuid[])`, [
    requestIds,
    seconds,
  ]);
}

async function requestsOf(requestId: string): Promise<OutboxEvent[]> {
  return (await outbox(db, 'order-requested')).filter((e) => e.payload['request_id'] === requestId);
}

async function statusOf(r: Request): Promise<string> {
  const res = await order.app.request(`/orders/requests/${r.request_id}`, { headers: asCustomer(r.customer) });
  return ((await res.json()) as { status: string }).status;
}

describe('asking again for a pending buy-now request (DESIGN.md, Recovery)', () => {
  it('publishes the same order-requested once CHECKOUT_RETRY_AFTER_SECONDS passed: same request, lines, prices and time, a new event id', async () => {
    const r = await pendingRequest();
    await order.publishToOrder('product.upserted', { ...TEE, price_cents: 2999, description: '', active: true });
    await age([r.request_id], 19);
    await reasker().runDue();
    expect(await requestsOf(r.request_id)).toHaveLength(1);

    await age([r.request_id], 1);
    await reasker().runDue();
    const [first, again] = await requestsOf(r.request_id);
    expect(again).toBeDefined();
    expect(again!.payload).toEqual(first!.payload);
    expect(again!.payload).toMatchObject({
      request_id: r.request_id,
      source: 'buy-now',
      cart_id: null,
      items: [
        { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
        { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
      ],
    });
    expect(again!.attributes['event_id']).not.toBe(first!.attributes['event_id']);
    expect(again!.attributes).toMatchObject({ event_type: 'order-requested', producer: 'order', correlation_id: r.request_id });
    expect(await statusOf(r)).toBe('pending');
    await order.publishToOrder('product.upserted', { ...TEE, description: '', active: true });
  });

  it('waits twice as long after each re-ask: 20, 40, 80, 160 s, then at most 300 s', async () => {
    const r = await pendingRequest();
    const waits = [20, 40, 80, 160, 300, 300];
    for (const [reasks, wait] of waits.entries()) {
      await age([r.request_id], wait - 1);
      await reasker().runDue();
      expect({ wait, asked: (await requestsOf(r.request_id)).length }).toEqual({ wait, asked: 1 + reasks });
      await age([r.request_id], 1);
      await reasker().runDue();
      expect({ wait, asked: (await requestsOf(r.request_id)).length }).toEqual({ wait, asked: 2 + reasks });
    }
  });

  it('stops asking once stock.rejected has arrived', async () => {
    const r = await pendingRequest();
    const rejection: PayloadOf<'stock.rejected'> = {
      request_id: r.request_id,
      source: 'buy-now',
      cart_id: null,
      customer_id: r.customer,
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 2, available: 0 }],
    };
    expect(await order.publishToOrder('stock.rejected', rejection)).toEqual({ status: 'ack' });
    await age([r.request_id], 3_600);
    await reasker().runDue();
    expect(await requestsOf(r.request_id)).toHaveLength(1);
    expect(await statusOf(r)).toBe('rejected');
  });

  it('stops asking once the order is created from stock-available, even after re-asks', async () => {
    const r = await pendingRequest();
    await age([r.request_id], 20);
    await reasker().runDue();
    const [first] = await requestsOf(r.request_id);
    const request = first!.payload as PayloadOf<'order-requested'>;
    const available: PayloadOf<'stock-available'> = {
      request_id: r.request_id,
      source: 'buy-now',
      cart_id: null,
      customer_id: r.customer,
      reservation_id: randomUUID(),
      expires_at: new Date(Date.now() + 900_000).toISOString(),
      items: request.items,
      currency: request.currency,
    } as PayloadOf<'stock-available'>;
    expect(await order.publishToOrder('stock-available', available)).toEqual({ status: 'ack' });
    await age([r.request_id], 3_600);
    await reasker().runDue();
    expect(await requestsOf(r.request_id)).toHaveLength(2);
    expect(await statusOf(r)).toBe('confirmed');
  });

  it('publishes one re-ask per due request when two instances run a round at the same moment', async () => {
    const requests = await Promise.all(Array.from({ length: 12 }, () => pendingRequest()));
    const ids = requests.map((r) => r.request_id);
    await age(ids, 20);
    const drain = async (r: CheckoutReasker) => {
      while ((await r.runDue()) > 0);
    };
    await Promise.all([drain(reasker({ batchSize: 3 })), drain(reasker({ batchSize: 3 }))]);
    for (const id of ids) expect({ id, asked: (await requestsOf(id)).length }).toEqual({ id, asked: 2 });
  });

  it('goes on with the other requests when the lines of one are unreadable, moving its schedule on', async () => {
    const [broken, fine] = [await pendingRequest(), await pendingRequest()];
    await db.pool.query(`UPDATE "order".buy_now_requests SET items = '[{"product_sku": 7}]' WHERE request_id = $1`, [broken.request_id]);
    await age([broken.request_id, fine.request_id], 20);
    await reasker().runDue();
    expect(await requestsOf(fine.request_id)).toHaveLength(2);
    expect(await requestsOf(broken.request_id)).toHaveLength(1);
    const { rows } = await db.pool.query('SELECT reask_count FROM "order".buy_now_requests WHERE request_id = $1', [broken.request_id]);
    expect(rows[0].reask_count).toBe(1);
  });
});

describe('the background re-ask loop', () => {
  let stop: (() => Promise<void>) | undefined;
  afterAll(() => stop?.());

  it('asks again for a request about CHECKOUT_RETRY_AFTER_SECONDS after it, woken by the request itself', async () => {
    // Nothing else falls due for a day: the loop sleeps its whole poll interval unless a request wakes it.
    await db.pool.query(`UPDATE "order".buy_now_requests SET asked_at = now() + interval '1 day' WHERE status = 'pending'`);
    stop = startBuyNowReasking(
      { CHECKOUT_RETRY_AFTER_SECONDS: 1, CHECKOUT_RETRY_MAX_SECONDS: 2 },
      { db, databaseUrl: db.url, publish: order.context.events.publish, logger: testLogger('order') },
    );
    await new Promise((r) => setTimeout(r, 300));
    const r = await pendingRequest();
    const started = Date.now();
    while ((await requestsOf(r.request_id)).length < 2 && Date.now() - started < 5_000) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await requestsOf(r.request_id)).length).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
