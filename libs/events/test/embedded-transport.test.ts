import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { adminHeaders, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createHttpApp } from '@shop/http';
import { createEventRuntime, createPgBossTransport, type EventRuntime } from '../src';
import { createEffectsTable, effects, stockChangedHandler } from './fixtures';

const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
await createEffectsTable(db);
const running: EventRuntime[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
});

function transport() {
  return createPgBossTransport({ databaseUrl: db.url, topology: SUBSCRIPTIONS, logger: testLogger() });
}

async function inventory(): Promise<EventRuntime> {
  const runtime = createEventRuntime({ service: 'inventory', db, databaseUrl: db.url, transport: transport(), logger: testLogger(), handlers: noopHandlers('inventory'), relay: { pollIntervalMs: 100 } });
  running.push(runtime);
  await runtime.start();
  return runtime;
}

async function product(poison = new Set<string>()): Promise<EventRuntime> {
  const runtime = createEventRuntime({ service: 'product', db, databaseUrl: db.url, transport: transport(), logger: testLogger(), handlers: [stockChangedHandler(poison)], maxDeliveryAttempts: 3 });
  running.push(runtime);
  await runtime.start();
  return runtime;
}

/** Inventory consumes topics this test does not exercise; its handlers do nothing. */
function noopHandlers(service: 'inventory') {
  return SUBSCRIPTIONS.filter((s) => s.service === service).map((s) => ({ topic: s.topic, handle: async () => undefined }));
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function publishChanges(runtime: EventRuntime, skus: string[], versions: number): Promise<void> {
  await inTransaction(db.prisma, async (tx) => {
    for (let v = 1; v <= versions; v++) {
      for (const sku of skus) await runtime.publish(tx, 'stock.changed', { sku, available: v, version: v });
    }
  });
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE product.test_effects, product.processed_messages, product.dead_letters');
});

describe('embedded transport (pg-boss) end to end', () => {
  it('carries events from one service outbox to another service handler once each, in order per key', async () => {
    const producer = await inventory();
    await product();
    const skus = ['A', 'B', 'C', 'D'];
    await publishChanges(producer, skus, 25);
    await until(async () => (await effects(db)).length >= 100);
    const seen = await effects(db);
    expect(seen).toHaveLength(100);
    for (const sku of skus) {
      expect(seen.filter((e) => e.sku === sku).map((e) => e.version)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    }
  });

  it('dead-letters a poison message after its attempts, lists it for admins and replays it once fixed', async () => {
    const poison = new Set(['POISON']);
    const producer = running.find((r) => r.consumer.subscriptions().length > 1) ?? (await inventory());
    const consumer = running.find((r) => r.consumer.subscriptions().some((s) => s.name === 'product.stock.changed'))!;
    await consumer.stop();
    running.splice(running.indexOf(consumer), 1);
    const productRuntime = await product(poison);
    await publishChanges(producer, ['POISON', 'FINE'], 1);
    await until(async () => (await productRuntime.consumer.deadLetters.list({ limit: 5 })).length === 1, 30_000);
    expect((await effects(db)).map((e) => e.sku)).toEqual(['FINE']);

    const { app } = createHttpApp({ service: 'product', version: 't', logger: testLogger(), identity: { adminToken: adminHeaders.Authorization.slice(7), supportToken: 'support-token-for-tests', isKnownCustomer: async () => false }, readiness: {} });
    productRuntime.registerRoutes(app);
    const list = await app.request('/admin/dead-letters', { headers: adminHeaders });
    const body = (await list.json()) as { items: { id: string; reason: string; attempts: number }[] };
    expect(body.items).toEqual([expect.objectContaining({ reason: 'handler_failed', attempts: 3 })]);

    expect((await app.request(`/admin/dead-letters/${body.items[0]!.id}/replay`, { method: 'POST', headers: adminHeaders })).status).toBe(409);
    poison.clear();
    const replay = await app.request(`/admin/dead-letters/${body.items[0]!.id}/replay`, { method: 'POST', headers: adminHeaders });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ outcome: 'processed', replayed_at: expect.any(String) });
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(['FINE', 'POISON']);
    const again = await app.request(`/admin/dead-letters/${body.items[0]!.id}/replay`, { method: 'POST', headers: adminHeaders });
    expect(await again.json()).toMatchObject({ outcome: 'duplicate' });
    expect(await effects(db)).toHaveLength(2);
  }, 90_000);
});
