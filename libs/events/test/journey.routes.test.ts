import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope, type PayloadOf } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { createHttpApp } from '@shop/http';
import { adminHeaders, supportHeaders, testLogger, testServiceConfig, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createEventRuntime, createJourneyEvents, createMemoryTransport, defineHandler, registerJourneyRoutes, writeOutbox, type EventRuntime, type IncomingMessage } from '../src';

// Inventory's order-requested consumer on the in-memory transport: it publishes stock.changed under the
// checkout's correlation id, and fails for the carts in `poison` (one attempt, so at once a dead letter).
const db: TestDatabase = await useTestDatabase();
const poison = new Set<string>();
const SUBSCRIPTION = 'inventory.order-requested';

const handler = defineHandler({
  topic: 'order-requested',
  async handle(tx, event, ctx) {
    if (poison.has(event.payload.cart_id ?? '')) throw new Error(`poison ${event.payload.cart_id}`);
    await ctx.publish(tx, 'stock.changed', { sku: event.payload.items[0]!.product_sku, available: 1, version: Date.now() }, { correlationId: event.attributes.correlation_id });
  },
});

let inventory: EventRuntime;
const app = () => createHttpApp({
  service: 'inventory',
  version: 'test',
  logger: testLogger(),
  identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => true },
  readiness: {},
});
const http = app();

beforeAll(async () => {
  inventory = createEventRuntime({
    service: 'inventory',
    db,
    databaseUrl: db.url,
    transport: createMemoryTransport(),
    logger: testLogger(),
    handlers: [handler],
    maxDeliveryAttempts: 1,
    relay: { pollIntervalMs: 50 },
  });
  inventory.registerRoutes(http.app);
  await inventory.start();
});
afterAll(() => inventory.stop());

function orderRequested(cartId: string, occurredAt = new Date().toISOString()): IncomingMessage {
  const payload: PayloadOf<'order-requested'> = {
    request_id: randomUUID(),
    source: 'cart',
    cart_id: cartId,
    customer_id: randomUUID(),
    items: [{ product_sku: `SKU-${cartId.slice(0, 8)}`, quantity: 1, unit_price_cents: 100 }],
    currency: 'EUR',
    requested_at: occurredAt,
  };
  const envelope = buildEnvelope('order-requested', payload, { producer: 'cart', correlationId: cartId, occurredAt });
  return { attributes: { ...envelope.attributes }, data: JSON.stringify(envelope.payload), deliveryAttempt: 1 };
}

type Page = { items: Record<string, unknown>[]; next_cursor: string | null };

async function events(correlationId: string, query = '', headers: Record<string, string> = supportHeaders, on = http.app): Promise<Page> {
  const res = await on.request(`/admin/events?correlation_id=${encodeURIComponent(correlationId)}${query}`, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

async function untilPublished(correlationId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await db.pool.query('SELECT 1 FROM inventory.outbox WHERE correlation_id = $1 AND published_at IS NULL', [correlationId])).rowCount) {
    if (Date.now() > deadline) throw new Error('the relay did not publish in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /admin/events', () => {
  it('lists what the service consumed and then published for a correlation id, with times and outcomes, and nothing of another', async () => {
    const cart = randomUUID();
    const other = randomUUID();
    const message = orderRequested(cart, '2026-12-07T10:00:00.000Z');
    // Two at once: the batch path's INSERT, as inventory reserves in batches.
    expect(await inventory.consumer.deliver(SUBSCRIPTION, [message, orderRequested(other)])).toEqual([{ status: 'ack' }, { status: 'ack' }]);
    await untilPublished(cart);

    const { items, next_cursor } = await events(cart);
    expect(next_cursor).toBeNull();
    expect(items).toEqual([
      {
        event_id: message.attributes['event_id'],
        topic: 'order-requested',
        direction: 'consumed',
        subscription: SUBSCRIPTION,
        occurred_at: '2026-12-07T10:00:00.000Z',
        handled_at: expect.stringMatching(/Z$/),
        outcome: 'handled',
        reason: null,
      },
      {
        event_id: expect.any(String),
        topic: 'stock.changed',
        direction: 'published',
        subscription: null,
        occurred_at: expect.stringMatching(/Z$/),
        handled_at: expect.stringMatching(/Z$/),
        outcome: 'published',
        reason: null,
      },
    ]);
    expect(Date.parse(items[1]!['handled_at'] as string)).toBeGreaterThanOrEqual(Date.parse(items[0]!['handled_at'] as string));
  });

  it('records the correlation id of a message handled alone too', async () => {
    const cart = randomUUID();
    const message = orderRequested(cart);
    await inventory.consumer.deliver(SUBSCRIPTION, [message]);
    expect((await events(cart)).items.map((i) => [i['direction'], i['topic'], i['outcome']])).toEqual([
      ['consumed', 'order-requested', 'handled'],
      ['published', 'stock.changed', expect.stringMatching(/^(published|pending)$/)],
    ]);
  });

  it('shows a dead-lettered message as consumed, dead_lettered, with its reason, and nothing published after it', async () => {
    const cart = randomUUID();
    poison.add(cart);
    const message = orderRequested(cart);
    expect(await inventory.consumer.deliver(SUBSCRIPTION, [message])).toEqual([{ status: 'dead-letter', reason: 'handler_failed' }]);
    expect((await events(cart)).items).toEqual([
      {
        event_id: message.attributes['event_id'],
        topic: 'order-requested',
        direction: 'consumed',
        subscription: SUBSCRIPTION,
        occurred_at: message.attributes['occurred_at'],
        handled_at: expect.stringMatching(/Z$/),
        outcome: 'dead_lettered',
        reason: 'handler_failed',
      },
    ]);
  });

  it('shows an outbox row no relay took yet as pending, without a handled time', async () => {
    // The product service's relay is not running in this test: its outbox row stays unpublished.
    const product = app();
    registerJourneyRoutes(product.app, createJourneyEvents(db.pool, 'product'));
    const sku = `SKU-${randomUUID()}`;
    const envelope = buildEnvelope('product.upserted', { sku, name: 'A', description: '', price_cents: 1, currency: 'EUR', active: true }, { producer: 'product', correlationId: sku });
    await inTransaction(db.prisma, (tx) => writeOutbox(tx, 'product', [envelope]));
    expect((await events(sku, '', adminHeaders, product.app)).items).toEqual([
      expect.objectContaining({ event_id: envelope.attributes.event_id, direction: 'published', outcome: 'pending', handled_at: null, occurred_at: envelope.attributes.occurred_at }),
    ]);
  });

  it('pages with limit and cursor, in the same order as one page', async () => {
    const cart = randomUUID();
    for (let i = 0; i < 3; i++) await inventory.consumer.deliver(SUBSCRIPTION, [orderRequested(cart)]);
    await untilPublished(cart);
    const whole = (await events(cart)).items;
    expect(whole).toHaveLength(6);
    const paged: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await events(cart, `&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      paged.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(whole);
  });

  it.each([
    ['without correlation_id', '/admin/events'],
    ['with an empty correlation_id', '/admin/events?correlation_id='],
    ['with limit 0', '/admin/events?correlation_id=x&limit=0'],
    ['with a cursor not of this list', '/admin/events?correlation_id=x&cursor=bm90LWEtY3Vyc29y'],
  ])('answers 422 with a problem document %s', async (_name, path) => {
    const res = await http.app.request(path, { headers: supportHeaders });
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
  });

  it('answers 401 without a staff token (a customer id is none) or with a wrong one; support and admin may read', async () => {
    const path = '/admin/events?correlation_id=x';
    expect((await http.app.request(path)).status).toBe(401);
    expect((await http.app.request(path, { headers: { Authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await http.app.request(path, { headers: { 'X-Customer-Id': randomUUID() } })).status).toBe(401);
    expect((await http.app.request(path, { headers: supportHeaders })).status).toBe(200);
    expect((await http.app.request(path, { headers: adminHeaders })).status).toBe(200);
  });

  it('is in the OpenAPI document, with correlation_id among its parameters', async () => {
    const doc = (await (await http.app.request('/openapi.json')).json()) as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> };
    expect(doc.paths['/admin/events']?.get?.parameters?.map((p) => p.name)).toContain('correlation_id');
  });
});
