import { randomUUID } from 'node:crypto';
import { afterAll, expect } from 'vitest';
import type { PayloadOf, TopicName } from '@shop/contracts';
import type { DeliveryOutcome, IncomingMessage } from '@shop/events';
import type { AppContext } from '@shop/service';
import { testAppContext, wireMessage, type TestAppContext } from '@shop/service/test';
import { testLogger, type TestDatabase } from '@shop/testing';
import { createApp, type CartApp, type CartAppOptions } from '../src/app';
import { cartHandlers } from '../src/events/handlers';

export const JOHN = '550e8400-e29b-41d4-a716-446655440000';
export const JANE = '550e8400-e29b-41d4-a716-446655440001';
/** A well-formed id no customer has. */
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

export interface CartTestApp extends CartApp {
  context: TestAppContext;
  /** Delivers messages to the cart's subscription of `topic`, through the idempotent consumer. */
  deliver(topic: TopicName, ...messages: IncomingMessage[]): Promise<DeliveryOutcome[]>;
  /** Builds and delivers one event. */
  publishToCart<T extends TopicName>(topic: T, payload: PayloadOf<T>): Promise<DeliveryOutcome>;
}

/**
 * The cart app over a test database with its handlers, John and Jane known, and a small catalog; `config` adds to
 * the test configuration (a rate limit, say).
 */
export async function cartApp(db: TestDatabase, options: CartAppOptions & { config?: Partial<AppContext['config']> } = {}): Promise<CartTestApp> {
  const context = testAppContext('cart', db, { handlers: cartHandlers({ logger: testLogger('cart') }) });
  expect(context.events.unhandledTopics()).toEqual([]);
  const built = createApp({ ...context, config: { ...context.config, ...options.config } }, options);
  afterAll(() => built.changes.close());
  const deliver = (topic: TopicName, ...messages: IncomingMessage[]) => context.events.consumer.deliver(`cart.${topic}`, messages);
  const app: CartTestApp = {
    ...built,
    context,
    deliver,
    async publishToCart(topic, payload) {
      const [outcome] = await deliver(topic, message(topic, payload));
      return outcome!;
    },
  };
  for (const [customer_id, name] of [
    [JOHN, 'John Smith'],
    [JANE, 'Jane Doe'],
  ] as const) {
    await app.publishToCart('customer.upserted', { customer_id, name, email: `${name.split(' ')[0]!.toLowerCase()}@example.com` });
  }
  for (const product of [TEE, MUG, DOLLAR_CAP]) await app.publishToCart('product.upserted', { ...product, description: '', active: true });
  await app.publishToCart('product.upserted', { ...HAT, description: '', active: false });
  return app;
}

/** Every row of the cart's own tables and its outbox, to compare before and after a refused request. */
export async function cartState(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const tables = ['carts', 'cart_items', 'outbox', 'products', 'customers'];
  const state: Record<string, unknown[]> = {};
  for (const table of tables) state[table] = (await db.pool.query(`SELECT * FROM cart.${table} ORDER BY 1, 2`)).rows;
  return state;
}

export interface OutboxEvent {
  topic: string;
  payload: Record<string, unknown>;
  attributes: Record<string, string>;
}

export async function outbox(db: TestDatabase, topic?: string): Promise<OutboxEvent[]> {
  const { rows } = await db.pool.query<OutboxEvent>(
    `SELECT topic, payload, attributes FROM cart.outbox WHERE $1::text IS NULL OR topic = $1 ORDER BY id`,
    [topic ?? null],
  );
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

/** The cart as the API shows it. */
export interface Cart {
  cart_id: string;
  customer_id: string;
  status: 'open' | 'pending' | 'ordered' | 'stock-unavailable';
  cart_locked: boolean;
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number }[];
  total_cents: number;
  currency: string;
  order_id: string | null;
  rejection: { reason: string; details: { product_sku: string; requested: number; available: number }[] } | null;
}

/** A new customer the cart knows (through `customer.upserted`), so each test starts from no cart at all. */
export async function newCustomer(app: CartTestApp): Promise<string> {
  const id = randomUUID();
  await app.publishToCart('customer.upserted', { customer_id: id, name: 'Test Customer', email: `c-${id.slice(0, 8)}@example.com` });
  return id;
}

/** Adds `quantity` of `sku` for `customerId` and expects 200. */
export async function addToCart(app: CartTestApp, customerId: string, sku: string, quantity = 1): Promise<Cart> {
  const res = await app.app.request('/cart/items', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...asCustomer(customerId) },
    body: JSON.stringify({ product_sku: sku, quantity }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Cart;
}

/** Checks out and expects 202. */
export async function checkoutCart(app: CartTestApp, customerId: string): Promise<{ cart_id: string; request_id: string; status: string }> {
  const res = await app.app.request('/cart/convert-to-order', { method: 'POST', headers: asCustomer(customerId) });
  expect(res.status).toBe(202);
  return (await res.json()) as { cart_id: string; request_id: string; status: string };
}

export async function readCart(app: CartTestApp, customerId: string): Promise<Cart> {
  const res = await app.app.request('/cart', { headers: asCustomer(customerId) });
  expect(res.status).toBe(200);
  return (await res.json()) as Cart;
}
