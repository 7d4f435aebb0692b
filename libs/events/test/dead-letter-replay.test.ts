import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope, SUBSCRIPTIONS } from '@shop/contracts';
import { inTransaction, type Tx } from '@shop/db';
import { createHttpApp } from '@shop/http';
import { adminHeaders, testLogger, testServiceConfig, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createEventRuntime, createPgBossTransport, defineHandler, type EventRuntime, type Transport } from '../src';
import { createEffectsTable, effects } from './fixtures';

// The order service's product.upserted and product.deleted consumers on the embedded transport (pg-boss),
// failing for the SKUs in `poison`: dead letters of two topics, replayed in bulk by topic and by time.
const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
await createEffectsTable(db);
const poison = new Set<string>();
const running: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const r of running.reverse()) await r.stop();
});

function pgBoss(): Transport {
  return createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger: testLogger() });
}

async function record(tx: Tx, eventId: string, sku: string): Promise<void> {
  if (poison.has(sku)) throw new Error(`poison ${sku}`);
  await tx.$executeRawUnsafe('INSERT INTO product.test_effects (event_id, sku, version) VALUES ($1::uuid, $2, 0)', eventId, sku);
}

const handlers = [
  defineHandler({ topic: 'product.upserted', handle: (tx, e) => record(tx, e.attributes.event_id, e.payload.sku) }),
  defineHandler({ topic: 'product.deleted', handle: (tx, e) => record(tx, e.attributes.event_id, e.payload.sku) }),
];

let producer: EventRuntime;
let order: EventRuntime;
let app: ReturnType<typeof createHttpApp>['app'];
let publisherTransport: Transport;

beforeAll(async () => {
  producer = createEventRuntime({ service: 'product', db, databaseUrl: db.url, transport: pgBoss(), logger: testLogger(), handlers: [], relay: { pollIntervalMs: 100 } });
  order = createEventRuntime({ service: 'order', db, databaseUrl: db.url, transport: pgBoss(), logger: testLogger(), handlers, maxDeliveryAttempts: 3 });
  publisherTransport = pgBoss();
  running.push(producer, order, { stop: () => publisherTransport.close() });
  await producer.start();
  await order.start();
  ({ app } = createHttpApp({
    service: 'order',
    version: 'test',
    logger: testLogger(),
    identity: { adminToken: testServiceConfig.ADMIN_API_TOKEN, supportToken: testServiceConfig.SUPPORT_API_TOKEN, isKnownCustomer: async () => false },
    readiness: {},
  }));
  order.registerRoutes(app);
}, 60_000);

async function until(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function deadLetters(): Promise<{ topic: string; sku: string; replayed: boolean }[]> {
  const { rows } = await db.pool.query<{ topic: string; sku: string; replayed: boolean }>(
    `SELECT topic, data::jsonb->>'sku' AS sku, replayed_at IS NOT NULL AS replayed FROM "order".dead_letters ORDER BY topic DESC, sku`,
  );
  return rows;
}

async function replay(body: unknown): Promise<Response> {
  return app.request('/admin/dead-letters/replay', { method: 'POST', headers: { ...adminHeaders, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

describe('POST /admin/dead-letters/replay on the embedded transport', () => {
  let beforeDeleted: string;

  it('dead-letters the poison messages of both topics after their attempts', async () => {
    for (const sku of ['UP-1', 'UP-2', 'DEL-1']) poison.add(sku);
    await inTransaction(db.prisma, async (tx) => {
      for (const sku of ['UP-1', 'UP-2', 'UP-OK']) await producer.publish(tx, 'product.upserted', { sku, name: sku, description: '', price_cents: 100, currency: 'EUR', active: true });
    });
    await until(async () => (await deadLetters()).length === 2);
    beforeDeleted = new Date().toISOString();
    await inTransaction(db.prisma, (tx) => producer.publish(tx, 'product.deleted', { sku: 'DEL-1' }));
    await until(async () => (await deadLetters()).length === 3);
    expect(await deadLetters()).toEqual([
      { topic: 'product.upserted', sku: 'UP-1', replayed: false },
      { topic: 'product.upserted', sku: 'UP-2', replayed: false },
      { topic: 'product.deleted', sku: 'DEL-1', replayed: false },
    ]);
    expect((await effects(db)).map((e) => e.sku)).toEqual(['UP-OK']);
  }, 60_000);

  it.each([
    ['an empty filter', {}],
    ['an unknown field', { topic: 'product.upserted', status: 'all' }],
    ['a topic outside the contracts', { topic: 'product.exploded' }],
    ['a since that is not RFC 3339', { since: '5 December 2026' }],
    ['a since without its time zone', { since: '2026-12-05T10:00:00' }],
    ['a topic that is not a string', { topic: 42 }],
  ])('answers 422 for %s and replays nothing', async (_name, body) => {
    const res = await replay(body);
    expect(res.status).toBe(422);
    expect(res.headers.get('Content-Type')).toBe('application/problem+json');
    expect((await deadLetters()).every((d) => !d.replayed)).toBe(true);
  });

  it('answers 401 without the admin token and 403 with the support token', async () => {
    const post = (headers: Record<string, string>) =>
      app.request('/admin/dead-letters/replay', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ topic: 'product.upserted' }) });
    expect((await post({})).status).toBe(401);
    expect((await post({ Authorization: `Bearer ${testServiceConfig.SUPPORT_API_TOKEN}` })).status).toBe(403);
    expect((await deadLetters()).every((d) => !d.replayed)).toBe(true);
  });

  it('counts what fails again and leaves it listed', async () => {
    const res = await replay({ topic: 'product.upserted' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ replayed: 0, failed: 2 });
    expect((await deadLetters()).every((d) => !d.replayed)).toBe(true);
  });

  it('replays every dead letter of a topic through its handler once fixed, and only that topic', async () => {
    poison.clear();
    expect(await (await replay({ topic: 'product.upserted' })).json()).toEqual({ replayed: 2, failed: 0 });
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(['UP-1', 'UP-2', 'UP-OK']);
    expect(await deadLetters()).toEqual([
      { topic: 'product.upserted', sku: 'UP-1', replayed: true },
      { topic: 'product.upserted', sku: 'UP-2', replayed: true },
      { topic: 'product.deleted', sku: 'DEL-1', replayed: false },
    ]);
  });

  it('replays nothing new when called again', async () => {
    expect(await (await replay({ topic: 'product.upserted' })).json()).toEqual({ replayed: 0, failed: 0 });
    expect(await effects(db)).toHaveLength(3);
  });

  it('replays by since: none dead-lettered after a later moment, then those dead-lettered since an earlier one', async () => {
    expect(await (await replay({ since: new Date(Date.now() + 60_000).toISOString() })).json()).toEqual({ replayed: 0, failed: 0 });
    expect(await (await replay({ topic: 'product.deleted', since: beforeDeleted })).json()).toEqual({ replayed: 1, failed: 0 });
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(['DEL-1', 'UP-1', 'UP-2', 'UP-OK']);
    expect((await deadLetters()).every((d) => d.replayed)).toBe(true);
    expect(await (await replay({ since: '2000-01-01T00:00:00Z' })).json()).toEqual({ replayed: 0, failed: 0 });
  });
});

describe('an unknown event_version on the embedded transport', () => {
  it('is retried by pg-boss, not dead-lettered and not recorded as processed', async () => {
    const envelope = buildEnvelope('product.deleted', { sku: 'V2' }, { producer: 'product', correlationId: 'V2', eventId: randomUUID() });
    const eventId = envelope.attributes.event_id;
    await publisherTransport.publish([
      { id: '1', topic: 'product.deleted', eventId, orderingKey: 'V2', attributes: { ...envelope.attributes, event_version: '2' }, data: JSON.stringify(envelope.payload) },
    ]);
    const retries = async () => {
      const { rows } = await db.pool.query<{ retry_count: number }>(`SELECT retry_count FROM pgboss.job WHERE name = 'order.product.deleted' AND data->'attributes'->>'event_id' = $1`, [eventId]);
      return rows[0]?.retry_count ?? 0;
    };
    // Its first redelivery comes about a second after the first attempt (pg-boss's retry delay).
    await until(async () => (await retries()) >= 1, 15_000);
    const { rows } = await db.pool.query(`SELECT 1 FROM "order".dead_letters WHERE event_id = $1 UNION ALL SELECT 1 FROM "order".processed_messages WHERE event_id = $1::uuid`, [eventId]);
    expect(rows).toEqual([]);
    expect((await effects(db)).map((e) => e.sku)).not.toContain('V2');
  }, 30_000);
});
