import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction } from '@shop/db';
import { createHttpApp } from '@shop/http';
import { adminHeaders, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  createConsumer,
  createMemoryTransport,
  createOutboxDeadLetters,
  createPublisher,
  registerDeadLetterRoutes,
  startRelay,
  type MemoryTransport,
  type OutgoingMessage,
  type Relay,
  type RelayOptions,
  type Transport,
} from '../src';

const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
const publish = createPublisher({ schema: 'inventory', producer: 'inventory' });
let relays: Relay[] = [];
let releases: (() => void)[] = [];

/**
 * The in-memory transport with a script: publishes may be held (until released), hang (until the test
 * ends), or refuse the messages a predicate picks, as a broker answering with an error would; the
 * messages before the refused one are acknowledged, as the transports report.
 */
interface ScriptedTransport extends MemoryTransport {
  calls: number;
  /** Publishes wait until the returned function is called. */
  hold(): () => void;
  /** The next `count` publishes never answer (until the test ends). */
  hangNext(count: number): void;
  refuse(predicate: (m: OutgoingMessage) => boolean): void;
  /** Waits this long in every publish. */
  delayMs: number;
  /** Sends every message but the refused ones, as a client publishing in parallel does, and reports the prefix. */
  parallel: boolean;
}

function scriptedTransport(): ScriptedTransport {
  const inner = createMemoryTransport();
  let gate: Promise<void> | undefined;
  let hangs = 0;
  let refuses: (m: OutgoingMessage) => boolean = () => false;
  const scripted: ScriptedTransport = {
    ...inner,
    calls: 0,
    delayMs: 0,
    parallel: false,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      releases.push(release);
      return () => {
        gate = undefined;
        release();
      };
    },
    hangNext(count) {
      hangs = count;
    },
    refuse(predicate) {
      refuses = predicate;
    },
    async publish(messages) {
      scripted.calls++;
      if (hangs > 0) {
        hangs--;
        await new Promise<void>((resolve) => releases.push(resolve));
      }
      if (gate) await gate;
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      const refused = messages.findIndex(refuses);
      if (refused === -1) return inner.publish(messages);
      await inner.publish(scripted.parallel ? messages.filter((m) => !refuses(m)) : messages.slice(0, refused));
      throw Object.assign(new Error(`refused event ${messages[refused]!.eventId}`), { published: refused });
    },
  };
  return scripted;
}

function relay(transport: Transport, options: Partial<RelayOptions> = {}): Relay {
  const r = startRelay({ databaseUrl: db.url, pool: db.pool, schema: 'inventory', transport, logger: testLogger(), pollIntervalMs: 20, minBackoffMs: 5, maxBackoffMs: 20, retryMinMs: 10, retryMaxMs: 20, ...options });
  relays.push(r);
  return r;
}

async function publishVersions(changes: [sku: string, version: number][]): Promise<void> {
  await inTransaction(db.prisma, async (tx) => {
    for (const [sku, version] of changes) await publish(tx, 'stock.changed', { sku, available: version, version });
  });
}

const sent = (t: MemoryTransport) => t.published.map((m) => `${m.orderingKey}:${JSON.parse(m.data).version}`);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function row(sku: string, version: number) {
  const { rows } = await db.pool.query<{ id: string; attempts: number; last_error: string | null; published: boolean; set_aside: boolean }>(
    `SELECT id::text, attempts, last_error, published_at IS NOT NULL AS published, set_aside_at IS NOT NULL AS set_aside
     FROM inventory.outbox WHERE ordering_key = $1 AND (payload->>'version')::int = $2`,
    [sku, version],
  );
  return rows[0]!;
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE inventory.outbox');
});
afterEach(async () => {
  for (const release of releases) release();
  releases = [];
  await Promise.all(relays.map((r) => r.stop()));
  relays = [];
});

describe('outbox relay leases', () => {
  it('publishes with no transaction open: while a publish blocks, the rows are not locked, no session is idle in transaction, and another relay publishes other keys', async () => {
    const blocked = scriptedTransport();
    const release = blocked.hold();
    relay(blocked);
    await publishVersions([['A', 1], ['A', 2]]);
    await until(() => blocked.calls === 1);

    const { rows: idle } = await db.pool.query(
      `SELECT application_name, state FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(idle).toEqual([]);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('SELECT 1 FROM inventory.outbox FOR UPDATE NOWAIT');
      expect(rowCount).toBe(2);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }

    const other = createMemoryTransport();
    relay(other);
    await publishVersions([['B', 1]]);
    await until(() => other.published.length === 1);
    expect(sent(other)).toEqual(['B:1']);
    release();
    await until(() => blocked.published.length === 2);
    expect(sent(blocked)).toEqual(['A:1', 'A:2']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent(other)).toEqual(['B:1']);
  });

  it('abandons a publish that hangs after the publish timeout and publishes the row again', async () => {
    const transport = scriptedTransport();
    transport.hangNext(1);
    relay(transport, { publishTimeoutMs: 300 });
    const started = Date.now();
    await publishVersions([['H', 1]]);
    await until(async () => (await row('H', 1)).published);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(transport.calls).toBe(2);
    expect(sent(transport)).toEqual(['H:1']);
    expect(await row('H', 1)).toMatchObject({ attempts: 1, last_error: 'the transport did not answer within 300 ms' });
  });

  it('sets aside a row the transport keeps refusing, lists it, holds back the later rows of its key only, and publishes them in order once replayed', async () => {
    const transport = scriptedTransport();
    transport.refuse((m) => m.orderingKey === 'BAD');
    relay(transport, { maxAttempts: 3 });
    await publishVersions([['BAD', 1], ['OK1', 1], ['BAD', 2], ['OK2', 1]]);
    await until(async () => (await row('BAD', 1)).set_aside);
    await publishVersions([['OK1', 2], ['BAD', 3]]);
    await until(() => transport.published.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(sent(transport)).toEqual(['OK1:1', 'OK2:1', 'OK1:2']);
    expect(await row('BAD', 1)).toMatchObject({ attempts: 3, set_aside: true, published: false, last_error: expect.stringMatching(/^refused event /) });
    // The later rows of the key wait untried: they were never handed to the transport.
    expect(await row('BAD', 2)).toMatchObject({ attempts: 0, set_aside: false, published: false });
    expect(await row('BAD', 3)).toMatchObject({ attempts: 0, set_aside: false, published: false });

    const { app } = createHttpApp({
      service: 'inventory',
      version: 't',
      logger: testLogger(),
      identity: { adminToken: adminHeaders.Authorization.slice(7), supportToken: 'support-token-for-tests', isKnownCustomer: async () => false },
      readiness: {},
    });
    const consumer = createConsumer({ db, schema: 'inventory', publish, logger: testLogger() });
    registerDeadLetterRoutes(app, consumer, { outbox: createOutboxDeadLetters(db.pool, 'inventory') });
    const listed = await app.request('/admin/dead-letters', { headers: adminHeaders });
    expect(listed.status).toBe(200);
    const { id } = await row('BAD', 1);
    expect(((await listed.json()) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ id: `outbox-${id}`, subscription: 'outbox', reason: 'publish_refused', topic: 'stock.changed', attempts: 3, replayed_at: null }),
    ]);
    expect((await app.request(`/admin/dead-letters/outbox-${id}`, { headers: adminHeaders })).status).toBe(200);

    transport.refuse(() => false);
    const replay = await app.request(`/admin/dead-letters/outbox-${id}/replay`, { method: 'POST', headers: adminHeaders });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id: `outbox-${id}`, outcome: 'requeued', replayed_at: expect.any(String) });
    await until(() => transport.published.length === 6);
    expect(sent(transport)).toEqual(['OK1:1', 'OK2:1', 'OK1:2', 'BAD:1', 'BAD:2', 'BAD:3']);
    expect(((await (await app.request('/admin/dead-letters', { headers: adminHeaders })).json()) as { items: unknown[] }).items).toEqual([]);
    expect((await app.request(`/admin/dead-letters/outbox-${id}/replay`, { method: 'POST', headers: adminHeaders })).status).toBe(404);
  });

  it('publishes a row refused before on its own, so the rows after it are not sent again while it is retried', async () => {
    await publishVersions([['BAD', 1], ['A', 1], ['B', 1]]);
    await db.pool.query(`UPDATE inventory.outbox SET attempts = 1 WHERE ordering_key = 'BAD'`);
    const transport = scriptedTransport();
    transport.parallel = true;
    transport.refuse((m) => m.orderingKey === 'BAD');
    relay(transport, { maxAttempts: 5, retryMinMs: 60_000, retryMaxMs: 60_000 });
    await until(async () => (await row('BAD', 1)).attempts === 2);
    await until(() => transport.published.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sent(transport)).toEqual(['A:1', 'B:1']);
  });

  it('never publishes a row twice while its lease holds when relays race, and keeps per-key order', async () => {
    const transport = scriptedTransport();
    transport.delayMs = 3;
    for (let i = 0; i < 4; i++) relay(transport, { batchSize: 5 });
    await Promise.all(
      Array.from({ length: 8 }, (_, w) => publishVersions(Array.from({ length: 30 }, (_, i) => [`W${w}-${i % 3}`, i + 1] as [string, number]))),
    );
    await until(() => transport.published.length >= 240, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(transport.published).toHaveLength(240);
    expect(new Set(transport.published.map((m) => m.eventId)).size).toBe(240);
    const byKey = new Map<string, number[]>();
    for (const m of transport.published) byKey.set(m.orderingKey, [...(byKey.get(m.orderingKey) ?? []), JSON.parse(m.data).version]);
    for (const versions of byKey.values()) expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('lets another relay publish the rows of a relay that died mid-publish once their lease expired, not before', async () => {
    const dead = scriptedTransport();
    dead.hangNext(1);
    relay(dead, { leaseMs: 600, publishTimeoutMs: 60_000 });
    await publishVersions([['K', 1], ['K', 2]]);
    await until(() => dead.calls === 1);
    const leasedAt = Date.now();
    const live = createMemoryTransport();
    relay(live);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(live.published).toEqual([]);
    await until(() => live.published.length === 2);
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(300);
    expect(sent(live)).toEqual(['K:1', 'K:2']);
  });
});

describe('dead-letter routes with set-aside outbox rows', () => {
  it('pages through the set-aside outbox rows first, then the consumer dead letters, and filters by subscription', async () => {
    await db.pool.query('TRUNCATE inventory.dead_letters');
    await publishVersions([['S1', 1], ['S2', 1], ['FINE', 1]]);
    await db.pool.query(`UPDATE inventory.outbox SET attempts = 10, leased_until = now(), set_aside_at = now(), last_error = 'refused' WHERE ordering_key <> 'FINE'`);
    const consumer = createConsumer({ db, schema: 'inventory', publish, logger: testLogger() });
    for (const n of [1, 2]) {
      await consumer.deadLetters.record({ subscription: 'inventory.order-requested', message: { attributes: { event_id: `e${n}` }, data: '{}', deliveryAttempt: 1 }, reason: 'undecodable', error: 'x', attempts: 1 });
    }
    const { app } = createHttpApp({
      service: 'inventory',
      version: 't',
      logger: testLogger(),
      identity: { adminToken: adminHeaders.Authorization.slice(7), supportToken: 'support-token-for-tests', isKnownCustomer: async () => false },
      readiness: {},
    });
    registerDeadLetterRoutes(app, consumer, { outbox: createOutboxDeadLetters(db.pool, 'inventory') });
    const list = async (query: string) => (await (await app.request(`/admin/dead-letters?${query}`, { headers: adminHeaders })).json()) as { items: { id: string; subscription: string }[]; next_cursor: string | null };

    const ids: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page = await list(`limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    }
    const { rows } = await db.pool.query<{ id: string }>(`SELECT id::text FROM inventory.outbox WHERE set_aside_at IS NOT NULL ORDER BY id`);
    const { rows: letters } = await db.pool.query<{ id: string }>(`SELECT id::text FROM inventory.dead_letters ORDER BY id`);
    expect(ids).toEqual([...rows.map((r) => `outbox-${r.id}`), ...letters.map((r) => r.id)]);
    expect((await list('subscription=outbox')).items.map((i) => i.subscription)).toEqual(['outbox', 'outbox']);
    expect((await list('subscription=inventory.order-requested')).items.map((i) => i.id)).toEqual(letters.map((r) => r.id));
    expect((await app.request('/admin/dead-letters/outbox-x/replay', { method: 'POST', headers: adminHeaders })).status).toBe(404);
    expect((await app.request(`/admin/dead-letters/outbox-${rows[0]!.id}99`, { headers: adminHeaders })).status).toBe(404);
  });
});
