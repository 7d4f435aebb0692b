import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '@shop/db';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createMemoryTransport, createPublisher, startRelay, type Relay, type RelayOptions, type Transport } from '../src';

const db: TestDatabase = await useTestDatabase();
const publish = createPublisher({ schema: 'inventory', producer: 'inventory' });
let relays: Relay[] = [];

function relay(transport: Transport, options: Partial<RelayOptions> = {}): Relay {
  const r = startRelay({ databaseUrl: db.url, pool: db.pool, schema: 'inventory', transport, logger: testLogger(), pollIntervalMs: 50, minBackoffMs: 20, maxBackoffMs: 100, ...options });
  relays.push(r);
  return r;
}

async function publishChanges(count: number, prefix = 'SKU', keys = 5): Promise<void> {
  await inTransaction(db.prisma, async (tx) => {
    for (let i = 0; i < count; i++) await publish(tx, 'stock.changed', { sku: `${prefix}-${i % keys}`, available: i, version: i + 1 });
  });
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE inventory.outbox');
});
afterEach(async () => {
  await Promise.all(relays.map((r) => r.stop()));
  relays = [];
});

describe('transactional outbox', () => {
  it('leaves no event when the transaction rolls back', async () => {
    await expect(
      inTransaction(db.prisma, async (tx) => {
        await publish(tx, 'stock.changed', { sku: 'A', available: 1, version: 1 });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rowCount } = await db.pool.query('SELECT 1 FROM inventory.outbox');
    expect(rowCount).toBe(0);
  });

  it('holds the events of an inTransaction transaction until its callback ends, then writes them in publish order', async () => {
    const seenInside = await inTransaction(db.prisma, async (tx) => {
      for (const sku of ['C', 'A', 'B']) await publish(tx, 'stock.changed', { sku, available: 1, version: 1 });
      return tx.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM inventory.outbox');
    });
    expect(seenInside[0]!.n).toBe(0);
    const { rows } = await db.pool.query<{ key: string; tx: string }>('SELECT ordering_key AS key, xmin::text AS tx FROM inventory.outbox ORDER BY id');
    expect(rows.map((r) => r.key)).toEqual(['C', 'A', 'B']);
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
  });

  it('writes at once in a transaction that did not come from inTransaction', async () => {
    const seenInside = await db.prisma.$transaction(async (tx) => {
      await publish(tx, 'stock.changed', { sku: 'A', available: 1, version: 1 });
      return tx.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM inventory.outbox');
    });
    expect(seenInside[0]!.n).toBe(1);
    const { rowCount } = await db.pool.query('SELECT 1 FROM inventory.outbox');
    expect(rowCount).toBe(1);
  });

  it('refuses a payload of the wrong shape and writes nothing', async () => {
    await expect(
      inTransaction(db.prisma, (tx) => publish(tx, 'stock.changed', { sku: 'A', available: -5, version: 1 })),
    ).rejects.toThrow(/stock\.changed/);
    const { rowCount } = await db.pool.query('SELECT 1 FROM inventory.outbox');
    expect(rowCount).toBe(0);
  });
});

describe('outbox relay', () => {
  it('publishes committed events in order, woken by NOTIFY without waiting for a poll', async () => {
    const transport = createMemoryTransport();
    const r = startRelay({ databaseUrl: db.url, pool: db.pool, schema: 'inventory', transport, logger: testLogger(), pollIntervalMs: 60_000 });
    relays.push(r);
    await new Promise((resolve) => setTimeout(resolve, 200)); // let it LISTEN
    await publishChanges(30);
    await until(() => transport.published.length === 30, 3_000);
    expect(transport.published.map((m) => JSON.parse(m.data).version)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // The relay marks rows published once the transport acknowledged them, in a commit of its own.
    await until(async () => (await db.pool.query('SELECT 1 FROM inventory.outbox WHERE published_at IS NULL')).rowCount === 0, 3_000);
  });

  it('keeps events through a transport outage and publishes each once when it returns', async () => {
    const transport = createMemoryTransport();
    transport.setAvailable(false);
    relay(transport, { maxAttempts: 2, retryMinMs: 10, retryMaxMs: 20 });
    await publishChanges(20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n, max(attempts) AS attempts, max(last_error) AS error, count(set_aside_at)::int AS set_aside FROM inventory.outbox WHERE published_at IS NULL',
    );
    // An outage is nobody's fault: no row counts a refusal, none is set aside, however long it lasts.
    expect(rows[0]).toMatchObject({ n: 20, error: 'memory transport unavailable', attempts: 0, set_aside: 0 });
    transport.setAvailable(true);
    await until(() => transport.published.length >= 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(transport.published.map((m) => m.eventId)).size).toBe(20);
    expect(transport.published).toHaveLength(20);
  });

  it('survives a restart: a new relay publishes what the stopped one left', async () => {
    const transport = createMemoryTransport();
    transport.setAvailable(false);
    const first = relay(transport);
    await publishChanges(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.stop();
    transport.setAvailable(true);
    relay(transport);
    await until(() => transport.published.length === 10);
  });

  it('never publishes a row twice when several relays run at once', async () => {
    const transport = createMemoryTransport();
    for (let i = 0; i < 4; i++) relay(transport, { batchSize: 7 });
    // Each writer owns its keys, as a writer that locks its aggregate does: per-key order is commit order.
    await Promise.all(Array.from({ length: 10 }, (_, w) => publishChanges(25, `W${w}`)));
    await until(() => transport.published.length >= 250, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(transport.published).toHaveLength(250);
    expect(new Set(transport.published.map((m) => m.eventId)).size).toBe(250);
    const byKey = new Map<string, number[]>();
    for (const m of transport.published) byKey.set(m.orderingKey, [...(byKey.get(m.orderingKey) ?? []), JSON.parse(m.data).version]);
    for (const versions of byKey.values()) expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });
});
