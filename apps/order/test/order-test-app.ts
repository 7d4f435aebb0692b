import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { PayloadOf, TopicName } from '@shop/contracts';
import type { DeliveryOutcome, IncomingMessage } from '@shop/events';
import type { HttpApp } from '@shop/http';
import { testAppContext, wireMessage, type TestAppContext } from '@shop/service/test';
import { testLogger, type TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { orderHandlers } from '../src/events/handlers';

export const JOHN = '550e8400-e29b-41d4-a716-446655440000';
export const JANE = '550e8400-e29b-41d4-a716-446655440001';
/** A well-formed id nothing has. */
export const NOBODY = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';

export const TEE = { sku: 'TEE-RED', name: 'Red T-shirt', price_cents: 1999, currency: 'EUR' };
export const MUG = { sku: 'MUG-01', name: 'Mug', price_cents: 1250, currency: 'EUR' };
export const HAT = { sku: 'HAT-OLD', name: 'Old hat', price_cents: 500, currency: 'EUR' };
export const DOLLAR_CAP = { sku: 'CAP-USD', name: 'Cap', price_cents: 900, currency: 'USD' };

export const asCustomer = (id: string) => ({ 'X-Customer-Id': id });

/** A wire message of `topic`, as a transport would deliver it. */
export function message<T extends TopicName>(topic: T, payload: PayloadOf<T>, eventId?: string): IncomingMessage {
  return wireMessage(topic, payload, { eventId });
}

export interface OrderTestApp extends HttpApp {
  context: TestAppContext;
  deliver(topic: TopicName, ...messages: IncomingMessage[]): Promise<DeliveryOutcome[]>;
  publishToOrder<T extends TopicName>(topic: T, payload: PayloadOf<T>): Promise<DeliveryOutcome>;
}

/** The order app over a test database with its handlers, John and Jane known, and a small catalog. */
export async function orderApp(db: TestDatabase): Promise<OrderTestApp> {
  const context = testAppContext('order', db, { handlers: orderHandlers({ logger: testLogger('order') }) });
  expect(context.events.unhandledTopics()).toEqual([]);
  const deliver = (topic: TopicName, ...messages: IncomingMessage[]) => context.events.consumer.deliver(`order.${topic}`, messages);
  const app: OrderTestApp = {
    ...createApp(context),
    context,
    deliver,
    async publishToOrder(topic, payload) {
      const [outcome] = await deliver(topic, message(topic, payload));
      return outcome!;
    },
  };
  for (const [customer_id, name] of [
    [JOHN, 'John Smith'],
    [JANE, 'Jane Doe'],
  ] as const) {
    await app.publishToOrder('customer.upserted', { customer_id, name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` });
  }
  for (const product of [TEE, MUG, DOLLAR_CAP]) await app.publishToOrder('product.upserted', { ...product, description: '', active: true });
  await app.publishToOrder('product.upserted', { ...HAT, description: '', active: false });
  return app;
}

/** A new customer the order service knows. */
export async function newCustomer(app: OrderTestApp): Promise<string> {
  const id = randomUUID();
  await app.publishToOrder('customer.upserted', { customer_id: id, name: 'Test Customer', email: `c-${id.slice(0, 8)}@example.com` });
  return id;
}

/** `stock-available` for a cart checkout of TEE ×2 and MUG ×1 (or the given lines). */
export function reserved(customerId: string, overrides: Partial<PayloadOf<'stock-available'>> = {}): PayloadOf<'stock-available'> {
  return {
    request_id: randomUUID(),
    source: 'cart',
    cart_id: randomUUID(),
    customer_id: customerId,
    reservation_id: randomUUID(),
    items: [
      { product_sku: TEE.sku, quantity: 2, unit_price_cents: TEE.price_cents },
      { product_sku: MUG.sku, quantity: 1, unit_price_cents: MUG.price_cents },
    ],
    currency: 'EUR',
    ...overrides,
  };
}

/** Delivers `stock-available` and returns the order it created, read back through the API as support. */
export async function placeOrder(app: OrderTestApp, db: TestDatabase, customerId: string, overrides: Partial<PayloadOf<'stock-available'>> = {}): Promise<Order> {
  const payload = reserved(customerId, overrides);
  expect(await app.publishToOrder('stock-available', payload)).toEqual({ status: 'ack' });
  const { rows } = await db.pool.query<{ order_id: string }>('SELECT order_id::text FROM "order".orders WHERE request_id = $1', [payload.request_id]);
  const res = await app.app.request(`/orders/${rows[0]!.order_id}`, { headers: asCustomer(customerId) });
  expect(res.status).toBe(200);
  return (await res.json()) as Order;
}

/** Every row of the order service's own tables and its outbox, to compare before and after a refused request. */
export async function orderState(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const state: Record<string, unknown[]> = {};
  for (const table of ['orders', 'order_lines', 'buy_now_requests', 'outbox', 'products', 'customers']) {
    state[table] = (await db.pool.query(`SELECT * FROM "order".${table} ORDER BY 1, 2`)).rows;
  }
  return state;
}

export interface OutboxEvent {
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

export async function outbox(db: TestDatabase, topic?: string): Promise<OutboxEvent[]> {
  const { rows } = await db.pool.query<OutboxEvent>(`SELECT topic, payload, attributes FROM "order".outbox WHERE $1::text IS NULL OR topic = $1 ORDER BY id`, [
    topic ?? null,
  ]);
  return rows;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

export async function problem(res: Response, status: number): Promise<ProblemBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  const body = (await res.json()) as ProblemBody;
  expect(body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
  return body;
}

export interface Order {
  order_id: string;
  request_id: string;
  customer_id: string;
  cart_id: string | null;
  status: 'confirmed' | 'cancelled';
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  shipping_address: Record<string, string | null> | null;
  note: string | null;
  created_at: string;
  cancelled_at: string | null;
}
