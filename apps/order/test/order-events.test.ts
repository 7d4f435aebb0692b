import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PayloadOf, TopicName } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { json, supportHeaders, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createOrderFromReservation } from '../src/domain/orders';
import {
  asCustomer,
  message,
  MUG,
  newCustomer,
  orderApp,
  orderState,
  outbox,
  placeOrder,
  problem,
  reserved,
  TEE,
  type Order,
  type OrderTestApp,
} from './order-test-app';

let db: TestDatabase;
let order: OrderTestApp;

beforeAll(async () => {
  db = await useTestDatabase();
  order = await orderApp(db);
});

async function ordersOf(requestId: string): Promise<{ order_id: string; status: string }[]> {
  const { rows } = await db.pool.query('SELECT order_id::text, status FROM "order".orders WHERE request_id = $1', [requestId]);
  return rows;
}

async function createdEventsOf(requestId: string) {
  return (await outbox(db, 'order.created')).filter((e) => e.payload['request_id'] === requestId);
}

async function buyNowRequest(customer: string): Promise<string> {
  const res = await order.app.request('/orders', json('POST', { items: [{ product_sku: TEE.sku, quantity: 1 }] }, asCustomer(customer)));
  expect(res.status).toBe(202);
  return ((await res.json()) as { request_id: string }).request_id;
}

describe('stock-available', () => {
  it('creates the order confirmed and publishes order.created with every field, in one transaction', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    expect(await order.publishToOrder('stock-available', payload)).toEqual({ status: 'ack' });
    const [created] = await ordersOf(payload.request_id);
    expect(created).toMatchObject({ status: 'confirmed' });
    const { rows } = await db.pool.query(`SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at FROM "order".orders WHERE order_id = $1`, [
      created!.order_id,
    ]);
    expect(await createdEventsOf(payload.request_id)).toEqual([
      {
        topic: 'order.created',
        payload: {
          order_id: created!.order_id,
          request_id: payload.request_id,
          source: 'cart',
          cart_id: payload.cart_id,
          customer_id: customer,
          reservation_id: payload.reservation_id,
          // In SKU byte order (as inventory lists them): a repeat, built from the order, is this event exactly.
          items: [payload.items[1], payload.items[0]],
          total_cents: 2 * TEE.price_cents + MUG.price_cents,
          currency: 'EUR',
          status: 'confirmed',
          created_at: rows[0].at,
        },
        attributes: expect.objectContaining({ event_type: 'order.created', producer: 'order', correlation_id: payload.cart_id }),
      },
    ]);
  });

  it('commits the order and order.created together: when writing the event fails, there is no order (invariant 4)', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    const before = await orderState(db);
    const failingPublish = async () => {
      throw new Error('outbox unavailable');
    };
    await expect(inTransaction(db.prisma, (tx) => createOrderFromReservation(tx, failingPublish, payload))).rejects.toThrow('outbox unavailable');
    expect(await orderState(db)).toEqual(before);
  });

  it('creates one order when the same message is delivered twice', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    const msg = message('stock-available', payload);
    expect(await order.deliver('stock-available', msg)).toEqual([{ status: 'ack' }]);
    expect(await order.deliver('stock-available', msg)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await ordersOf(payload.request_id)).toHaveLength(1);
    expect(await createdEventsOf(payload.request_id)).toHaveLength(1);
  });

  it('creates one order when stock-available for one request arrives twice under different event ids, answering the second with the same order.created', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    expect(await order.deliver('stock-available', message('stock-available', payload))).toEqual([{ status: 'ack' }]);
    expect(await order.deliver('stock-available', message('stock-available', payload))).toEqual([{ status: 'ack' }]);
    expect(await ordersOf(payload.request_id)).toHaveLength(1);
    const events = await createdEventsOf(payload.request_id);
    expect(events).toHaveLength(2);
    expect(events[1]!.payload).toEqual(events[0]!.payload);
    expect(events[1]!.attributes['event_id']).not.toBe(events[0]!.attributes['event_id']);
    expect(events[1]!.attributes['correlation_id']).toBe(payload.cart_id);
  });

  it('creates one order when ten copies under different event ids arrive at the same moment, each answered with the same order.created', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    const outcomes = (await Promise.all(Array.from({ length: 10 }, () => order.deliver('stock-available', message('stock-available', payload))))).flat();
    expect(outcomes.every((o) => o.status === 'ack')).toBe(true);
    expect(await ordersOf(payload.request_id)).toHaveLength(1);
    const events = await createdEventsOf(payload.request_id);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => JSON.stringify(e.payload))).size).toBe(1);
  });

  it('leaves a cancelled order cancelled when its stock-available is delivered again', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer);
    await order.publishToOrder('stock-available', payload);
    const [created] = await ordersOf(payload.request_id);
    await order.app.request(`/orders/${created!.order_id}/cancel`, { method: 'POST', headers: asCustomer(customer) });
    await order.publishToOrder('stock-available', payload);
    expect(await ordersOf(payload.request_id)).toEqual([{ order_id: created!.order_id, status: 'cancelled' }]);
  });

  it('names a line by its SKU when the catalog does not know the product', async () => {
    const customer = await newCustomer(order);
    const payload = reserved(customer, { items: [{ product_sku: 'UNLISTED', quantity: 1, unit_price_cents: 700 }] });
    await order.publishToOrder('stock-available', payload);
    const [created] = await ordersOf(payload.request_id);
    const res = await order.app.request(`/orders/${created!.order_id}`, { headers: asCustomer(customer) });
    expect(await res.json()).toMatchObject({ items: [{ product_sku: 'UNLISTED', name: 'UNLISTED', quantity: 1, unit_price_cents: 700 }], total_cents: 700 });
  });
});

describe('stock.rejected', () => {
  it('rejects a buy-now request once: a redelivery changes nothing', async () => {
    const customer = await newCustomer(order);
    const requestId = await buyNowRequest(customer);
    const msg = message('stock.rejected', {
      request_id: requestId,
      source: 'buy-now',
      cart_id: null,
      customer_id: customer,
      reason: 'unknown_product',
      details: [{ product_sku: TEE.sku, requested: 1, available: 0 }],
    });
    expect(await order.deliver('stock.rejected', msg)).toEqual([{ status: 'ack' }]);
    const state = await orderState(db);
    expect(await order.deliver('stock.rejected', msg)).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await orderState(db)).toEqual(state);
  });

  it("ignores a cart's rejection (the cart follows it)", async () => {
    const before = await orderState(db);
    const outcome = await order.publishToOrder('stock.rejected', {
      request_id: randomUUID(),
      source: 'cart',
      cart_id: randomUUID(),
      customer_id: randomUUID(),
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 1, available: 0 }],
    });
    expect(outcome).toEqual({ status: 'ack' });
    const after = await orderState(db);
    expect(after['orders']).toEqual(before['orders']);
    expect(after['buy_now_requests']).toEqual(before['buy_now_requests']);
  });

  it('leaves a confirmed request confirmed when a rejection for it arrives late', async () => {
    const customer = await newCustomer(order);
    const requestId = await buyNowRequest(customer);
    await order.publishToOrder('stock-available', reserved(customer, { request_id: requestId, source: 'buy-now', cart_id: null }));
    await order.publishToOrder('stock.rejected', {
      request_id: requestId,
      source: 'buy-now',
      cart_id: null,
      customer_id: customer,
      reason: 'insufficient_stock',
      details: [{ product_sku: TEE.sku, requested: 1, available: 0 }],
    });
    const res = await order.app.request(`/orders/requests/${requestId}`, { headers: asCustomer(customer) });
    expect(await res.json()).toMatchObject({ status: 'confirmed', order_id: expect.any(String), rejection: null });
  });
});

// How the read models behave (ordering, ties, duplicates, concurrency) is the shared suite's, in read-models.test.ts;
// here only what the order service does with them.
describe('order read models', () => {
  it('prices buy-now requests at the latest product.upserted', async () => {
    const customer = await newCustomer(order);
    await order.publishToOrder('product.upserted', { sku: 'VASE', name: 'Vase', description: '', price_cents: 4000, currency: 'EUR', active: true });
    await order.publishToOrder('product.upserted', { sku: 'VASE', name: 'Vase', description: '', price_cents: 4500, currency: 'EUR', active: true });
    const res = await order.app.request('/orders', json('POST', { items: [{ product_sku: 'VASE', quantity: 1 }] }, asCustomer(customer)));
    const { request_id } = (await res.json()) as { request_id: string };
    const [event] = (await outbox(db, 'order-requested')).filter((e) => e.payload['request_id'] === request_id);
    expect(event!.payload['items']).toEqual([{ product_sku: 'VASE', quantity: 1, unit_price_cents: 4500 }]);
  });

  it('names a line by the last name of a product deleted between the reservation and the order', async () => {
    const customer = await newCustomer(order);
    await order.publishToOrder('product.upserted', { sku: 'BOWL', name: 'Blue bowl', description: '', price_cents: 900, currency: 'EUR', active: true });
    await order.publishToOrder('product.deleted', { sku: 'BOWL' });
    const payload = reserved(customer, { items: [{ product_sku: 'BOWL', quantity: 1, unit_price_cents: 900 }] });
    await order.publishToOrder('stock-available', payload);
    const [created] = await ordersOf(payload.request_id);
    const res = await order.app.request(`/orders/${created!.order_id}`, { headers: asCustomer(customer) });
    expect(await res.json()).toMatchObject({ items: [{ product_sku: 'BOWL', name: 'Blue bowl', quantity: 1, unit_price_cents: 900 }] });
  });

  const buyOne = (customer: string, sku: string) => order.app.request('/orders', json('POST', { items: [{ product_sku: sku, quantity: 1 }] }, asCustomer(customer)));
  const listOwnOrders = (customer: string) => order.app.request('/orders', { headers: asCustomer(customer) });
  async function customerRow(customerId: string): Promise<{ name: string | null; email: string | null; deleted_at: Date | null; updated_at: Date }> {
    const { rows } = await db.pool.query('SELECT name, email, deleted_at, updated_at FROM "order".customers WHERE customer_id = $1', [customerId]);
    return rows[0];
  }

  it("makes a customer unknown (401) when customer.deleted follows customer.upserted; support still reads the customer's orders", async () => {
    const customer = await newCustomer(order);
    const placed = await placeOrder(order, db, customer);
    expect(await order.publishToOrder('customer.deleted', { customer_id: customer })).toEqual({ status: 'ack' });
    await problem(await listOwnOrders(customer), 401);
    await problem(await buyOne(customer, TEE.sku), 401);
    expect(await customerRow(customer)).toMatchObject({ name: null, email: null, deleted_at: expect.any(Date) });
    const res = await order.app.request(`/orders?customer_id=${customer}`, { headers: supportHeaders });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: Order[] }).items).toEqual([expect.objectContaining({ order_id: placed.order_id, customer_id: customer })]);
  });
});

describe('order handlers: invalid payloads', () => {
  const valid: { [T in TopicName]?: PayloadOf<T> } = {
    'stock-available': reserved(randomUUID()),
    'stock.rejected': {
      request_id: randomUUID(),
      source: 'buy-now',
      cart_id: null,
      customer_id: randomUUID(),
      reason: 'insufficient_stock',
      details: [{ product_sku: 'X', requested: 1, available: 0 }],
    },
    'reservation.expired': {
      reservation_id: randomUUID(),
      request_id: randomUUID(),
      order_id: randomUUID(),
      customer_id: randomUUID(),
      items: [{ product_sku: 'X', quantity: 1, unit_price_cents: 1 }],
      expired_at: new Date().toISOString(),
    },
    'product.upserted': { sku: 'X', name: 'X', description: '', price_cents: 1, currency: 'EUR', active: true },
    'product.deleted': { sku: 'X' },
    'customer.upserted': { customer_id: randomUUID(), name: 'X', email: 'x@example.com' },
    'customer.deleted': { customer_id: randomUUID() },
  };
  const broken: Record<string, unknown> = {
    'stock-available': { ...valid['stock-available'], items: [] },
    'stock.rejected': { ...valid['stock.rejected'], cart_id: randomUUID() },
    'reservation.expired': { ...valid['reservation.expired'], order_id: 'not-an-order' },
    'product.upserted': { ...valid['product.upserted'], currency: 'euro' },
    'product.deleted': {},
    'customer.upserted': { ...valid['customer.upserted'], name: '' },
    'customer.deleted': { customer_id: 42 },
  };

  it.each(Object.keys(broken) as TopicName[])('dead-letters an invalid %s at once, changing nothing', async (topic) => {
    const before = await orderState(db);
    const msg = { ...message(topic, valid[topic] as never), data: JSON.stringify(broken[topic]) };
    expect(await order.deliver(topic, msg)).toEqual([{ status: 'dead-letter', reason: 'invalid_payload' }]);
    expect(await orderState(db)).toEqual(before);
    const letters = await order.context.events.consumer.deadLetters.list({ limit: 50, subscription: `order.${topic}` });
    expect(letters.map((l) => l.event_id)).toContain(msg.attributes['event_id']);
  });
});
