import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf } from '@shop/contracts';
import { json, useTestDatabase, type TestDatabase } from '@shop/testing';
import { asCustomer, message, newCustomer, orderApp, orderState, outbox, placeOrder, reserved, TEE, type Order, type OrderTestApp } from './order-test-app';

let db: TestDatabase;
let order: OrderTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  order = await orderApp(db);
});

const past = () => new Date(Date.now() - 1_000).toISOString();
const future = () => new Date(Date.now() + 60_000).toISOString();

async function ordersOf(requestId: string): Promise<{ order_id: string; status: string; cancel_reason: string | null }[]> {
  const { rows } = await db.pool.query('SELECT order_id::text, status, cancel_reason FROM "order".orders WHERE request_id = $1', [requestId]);
  return rows;
}

async function eventsOf(topic: string, key: string, value: string) {
  return (await outbox(db, topic)).filter((e) => e.payload[key] === value);
}

/** A pending buy-now request of TEE ×1 and the `stock-available` inventory would answer it with. */
async function buyNow(customer: string, expiresAt: string | undefined): Promise<PayloadOf<'stock-available'>> {
  const res = await order.app.request('/orders', json('POST', { items: [{ product_sku: TEE.sku, quantity: 1 }] }, asCustomer(customer)));
  expect(res.status).toBe(202);
  const { request_id } = (await res.json()) as { request_id: string };
  return {
    request_id,
    source: 'buy-now',
    cart_id: null,
    customer_id: customer,
    reservation_id: randomUUID(),
    items: [{ product_sku: TEE.sku, quantity: 1, unit_price_cents: TEE.price_cents }],
    currency: 'EUR',
    ...(expiresAt ? { expires_at: expiresAt } : {}),
  };
}

async function requestOf(customer: string, requestId: string) {
  const res = await order.app.request(`/orders/requests/${requestId}`, { headers: asCustomer(customer) });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; order_id: string | null; rejection: unknown };
}

describe('stock-available and its expires_at', () => {
  it('records a buy-now request rejected (reservation_expired, no details) when its reservation has expired, creating no order; a copy changes nothing', async () => {
    const customer = await newCustomer(order);
    const payload = await buyNow(customer, past());
    const delivery = message('stock-available', payload);
    expect(await order.deliver('stock-available', delivery)).toEqual([{ status: 'ack' }]);
    expect(await requestOf(customer, payload.request_id)).toMatchObject({ status: 'rejected', order_id: null, rejection: { reason: 'reservation_expired', details: [] } });
    expect(await ordersOf(payload.request_id)).toEqual([]);
    expect(await eventsOf('order.created', 'request_id', payload.request_id)).toEqual([]);

    const before = await orderState(db);
    expect(await order.deliver('stock-available', delivery)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await order.deliver('stock-available', message('stock-available', payload))).toEqual([{ status: 'ack' }]);
    expect(await orderState(db)).toEqual(before);
  });

  it("does nothing at all for a cart's expired reservation: the cart asks again and inventory answers", async () => {
    const customer = await newCustomer(order);
    const before = await orderState(db);
    expect(await order.publishToOrder('stock-available', reserved(customer, { expires_at: past() }))).toEqual({ status: 'ack' });
    expect(await orderState(db)).toEqual(before);
  });

  it('creates the order before expires_at, and for a message from before the field existed', async () => {
    const customer = await newCustomer(order);
    for (const payload of [await buyNow(customer, future()), await buyNow(customer, undefined)]) {
      expect(await order.publishToOrder('stock-available', payload)).toEqual({ status: 'ack' });
      expect(await requestOf(customer, payload.request_id)).toMatchObject({ status: 'confirmed', order_id: expect.any(String) });
    }
  });

  it('answers an expired stock-available whose order exists with that order.created again, exactly', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer, { expires_at: future() });
    await order.publishToOrder('stock-available', payload);
    const [first] = await eventsOf('order.created', 'request_id', payload.request_id);
    expect(await order.publishToOrder('stock-available', { ...payload, expires_at: past() })).toEqual({ status: 'ack' });
    const events = await eventsOf('order.created', 'request_id', payload.request_id);
    expect(events.map((e) => e.payload)).toEqual([first!.payload, first!.payload]);
    expect(await ordersOf(payload.request_id)).toEqual([expect.objectContaining({ status: 'confirmed' })]);
  });
});

describe('reservation.expired', () => {
  async function expiredFor(placed: Order): Promise<PayloadOf<'reservation.expired'>> {
    const { rows } = await db.pool.query('SELECT reservation_id::text FROM "order".orders WHERE order_id = $1', [placed.order_id]);
    return {
      reservation_id: rows[0].reservation_id,
      request_id: placed.request_id,
      order_id: placed.order_id,
      customer_id: placed.customer_id,
      items: placed.items.map((i) => ({ product_sku: i.product_sku, quantity: i.quantity, unit_price_cents: i.unit_price_cents })),
      expired_at: new Date().toISOString(),
    };
  }

  it('cancels the order (reason reservation_expired) and publishes order.cancelled; a copy changes nothing, a repeat gets the same order.cancelled again', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const delivery = message('reservation.expired', await expiredFor(placed));
    expect(await order.deliver('reservation.expired', delivery)).toEqual([{ status: 'ack' }]);
    expect(await ordersOf(placed.request_id)).toEqual([{ order_id: placed.order_id, status: 'cancelled', cancel_reason: 'reservation_expired' }]);
    const cancelled = await eventsOf('order.cancelled', 'order_id', placed.order_id);
    expect(cancelled).toEqual([
      expect.objectContaining({
        payload: {
          order_id: placed.order_id,
          cart_id: placed.cart_id,
          customer_id: customer,
          reservation_id: (await expiredFor(placed)).reservation_id,
          items: expect.any(Array),
          reason: 'reservation_expired',
          cancelled_at: expect.any(String),
        },
        attributes: expect.objectContaining({ correlation_id: placed.cart_id }),
      }),
    ]);

    const before = await orderState(db);
    expect(await order.deliver('reservation.expired', delivery)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await orderState(db)).toEqual(before);
    // inventory asks again (a new event id) until it hears order.cancelled: the order stays as it is, and the
    // same order.cancelled is published again, which ends inventory's wait.
    expect(await order.deliver('reservation.expired', message('reservation.expired', await expiredFor(placed)))).toEqual([{ status: 'ack' }]);
    const { outbox: _outbox, ...unchanged } = before;
    const { outbox: _after, ...now } = await orderState(db);
    expect(now).toEqual(unchanged);
    const [first, again] = await eventsOf('order.cancelled', 'order_id', placed.order_id);
    expect(again!.payload).toEqual(first!.payload);
    expect(again!.attributes['event_id']).not.toBe(first!.attributes['event_id']);
  });

  it('changes nothing for an order the customer cancelled already, answering with its order.cancelled again', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    expect((await order.app.request(`/orders/${placed.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) })).status).toBe(200);
    const { outbox: _outbox, ...before } = await orderState(db);
    expect(await order.publishToOrder('reservation.expired', await expiredFor(placed))).toEqual({ status: 'ack' });
    const { outbox: _after, ...now } = await orderState(db);
    expect(now).toEqual(before);
    expect(await ordersOf(placed.request_id)).toEqual([expect.objectContaining({ cancel_reason: 'cancelled by the customer' })]);
    const [first, again] = await eventsOf('order.cancelled', 'order_id', placed.order_id);
    expect(again!.payload).toEqual(first!.payload);
  });

  it('acknowledges one for an order it does not have, or for another reservation than the order’s, changing nothing', async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    const before = await orderState(db);
    expect(await order.publishToOrder('reservation.expired', { ...(await expiredFor(placed)), order_id: randomUUID() })).toEqual({ status: 'ack' });
    expect(await order.publishToOrder('reservation.expired', { ...(await expiredFor(placed)), reservation_id: randomUUID() })).toEqual({ status: 'ack' });
    expect(await orderState(db)).toEqual(before);
  });
});
