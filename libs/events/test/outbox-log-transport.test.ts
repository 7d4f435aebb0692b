import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { createHttpApp } from '@shop/http';
import { adminHeaders, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import {
  createConsumer,
  createEventRuntime,
  createOutboxLogTransport,
  createPublisher,
  startRetention,
  type DeliverFn,
  type EventRuntime,
  type IncomingMessage,
  type SubscriptionSpec,
  type Transport,
} from '../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedHandler } from './fixtures';

const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
await createEffectsTable(db);
const publish = createPublisher({ schema: 'inventory', producer: 'inventory' });
// Each test's transports and jobs stop after it: a reader left running would hold the subscription.
const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0).reverse()) await stop();
});

function transport(options: { pollIntervalMs?: number; name?: string } = {}): Transport {
  const t = createOutboxLogTransport({
    databaseUrl: db.url,
    topology: SUBSCRIPTIONS,
    logger: testLogger(),
    pollIntervalMs: options.pollIntervalMs ?? 200,
    retryMinMs: 20,
    retryMaxMs: 200,
    ...(options.name ? { applicationName: options.name } : {}),
  });
  stoppers.push(() => t.close());
  return t;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Publishes `versions` stock.changed events per SKU from inventory's outbox, in one transaction. */
async function publishChanges(skus: string[], versions: number, from = 1): Promise<void> {
  await inTransaction(db.prisma, async (tx) => {
    for (let v = from; v < from + versions; v++) {
      for (const sku of skus) await publish(tx, 'stock.changed', { sku, available: v, version: v });
    }
  });
}

/** product's consumer of stock.changed, failing for SKUs in `poison`, with deliveries counted per event. */
function productConsumer(poison = new Set<string>(), spec: SubscriptionSpec = PRODUCT_STOCK_CHANGED) {
  const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger: testLogger() });
  consumer.register(spec, stockChangedHandler(poison, { batch: Boolean(spec.batch) }));
  const deliveries: IncomingMessage[][] = [];
  const deliver: DeliverFn = (messages) => {
    deliveries.push(messages);
    return consumer.deliver(spec.name, messages);
  };
  return { consumer, deliver, deliveries };
}

const versionsOf = async (sku: string) => (await effects(db)).filter((e) => e.sku === sku).map((e) => e.version);

beforeEach(async () => {
  await db.pool.query('TRUNCATE product.test_effects, product.processed_messages, product.dead_letters, product.log_retries, inventory.outbox');
  await db.pool.query('UPDATE inventory.log_positions SET position = 0');
});

describe('outbox log transport end to end', () => {
  const running: EventRuntime[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  it('carries events from one service outbox to another service handler once each, in order per key', async () => {
    const inventory = createEventRuntime({
      service: 'inventory',
      db,
      databaseUrl: db.url,
      transport: transport(),
      logger: testLogger(),
      handlers: SUBSCRIPTIONS.filter((s) => s.service === 'inventory').map((s) => ({ topic: s.topic, handle: async () => undefined })),
      relay: { pollIntervalMs: 100 },
    });
    const product = createEventRuntime({ service: 'product', db, databaseUrl: db.url, transport: transport(), logger: testLogger(), handlers: [stockChangedHandler()], maxDeliveryAttempts: 3 });
    running.push(inventory, product);
    await inventory.start();
    await product.start();
    const skus = ['A', 'B', 'C', 'D'];
    await publishChanges(skus, 25);
    await until(async () => (await effects(db)).length >= 100);
    const seen = await effects(db);
    expect(seen).toHaveLength(100);
    for (const sku of skus) expect(await versionsOf(sku)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    // The relay still marks the rows: the transport acknowledged them at once (the rows are the log).
    await until(async () => (await db.pool.query('SELECT 1 FROM inventory.outbox WHERE published_at IS NULL')).rowCount === 0);
  });

  it('dead-letters a poison message after its attempts, lists it for admins and replays it once fixed', async () => {
    const poison = new Set(['POISON']);
    const product = createEventRuntime({ service: 'product', db, databaseUrl: db.url, transport: transport(), logger: testLogger(), handlers: [stockChangedHandler(poison)], maxDeliveryAttempts: 3 });
    running.push(product);
    await product.start();
    await publishChanges(['POISON', 'FINE'], 1);
    await until(async () => (await product.consumer.deadLetters.list({ limit: 5 })).length === 1);
    expect((await effects(db)).map((e) => e.sku)).toEqual(['FINE']);
    // Dead-lettered: no longer parked, so its key flows again.
    await until(async () => (await db.pool.query('SELECT 1 FROM product.log_retries')).rowCount === 0);

    const { app } = createHttpApp({ service: 'product', version: 't', logger: testLogger(), identity: { adminToken: adminHeaders.Authorization.slice(7), supportToken: 'support-token-for-tests', isKnownCustomer: async () => false }, readiness: {} });
    product.registerRoutes(app);
    const list = await app.request('/admin/dead-letters', { headers: adminHeaders });
    const body = (await list.json()) as { items: { id: string; reason: string; attempts: number }[] };
    expect(body.items).toEqual([expect.objectContaining({ reason: 'handler_failed', attempts: 3 })]);
    poison.clear();
    const replay = await app.request(`/admin/dead-letters/${body.items[0]!.id}/replay`, { method: 'POST', headers: adminHeaders });
    expect(await replay.json()).toMatchObject({ outcome: 'processed' });
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(['FINE', 'POISON']);
  });
});

describe('outbox log transport guarantees', () => {
  it('holds back only the failing key: its later messages wait parked, other keys flow, then it resumes in order', async () => {
    const poison = new Set(['BAD']);
    const { deliver } = productConsumer(poison);
    await transport().subscribe(PRODUCT_STOCK_CHANGED, deliver);
    await publishChanges(['BAD', 'GOOD'], 3);
    await until(async () => (await versionsOf('GOOD')).length === 3);
    await until(async () => {
      const { rows } = await db.pool.query<{ attempts: number }>("SELECT attempts FROM product.log_retries WHERE ordering_key = 'BAD' AND attempts >= 2");
      return rows.length === 1;
    });
    expect(await versionsOf('BAD')).toEqual([]);
    const { rows: parked } = await db.pool.query<{ attempts: number; last_error: string | null }>(
      "SELECT attempts, last_error FROM product.log_retries WHERE ordering_key = 'BAD' ORDER BY outbox_id",
    );
    expect(parked).toHaveLength(3);
    expect(parked[0]!.last_error).toBe('poison BAD');
    // The later two were never tried: they wait behind the first with no attempt counted.
    expect(parked.slice(1).map((p) => p.attempts)).toEqual([0, 0]);

    poison.clear();
    await until(async () => (await versionsOf('BAD')).length === 3);
    expect(await versionsOf('BAD')).toEqual([1, 2, 3]);
    expect(await versionsOf('GOOD')).toEqual([1, 2, 3]);
    await until(async () => (await db.pool.query('SELECT 1 FROM product.log_retries')).rowCount === 0);
  });

  it('tells the consumer each delivery attempt, so the message is dead-lettered after maxDeliveryAttempts', async () => {
    const { deliver, deliveries, consumer } = productConsumer(new Set(['BAD']));
    await transport().subscribe(PRODUCT_STOCK_CHANGED, deliver);
    await publishChanges(['BAD'], 1);
    await until(async () => (await consumer.deadLetters.list({ limit: 5 })).length === 1);
    const attempts = deliveries.flat().map((m) => m.deliveryAttempt);
    expect(attempts).toEqual([1, 2, 3]);
    const [letter] = await consumer.deadLetters.list({ limit: 5 });
    expect(letter).toMatchObject({ reason: 'handler_failed', attempts: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts });
  });

  it('loses nothing and redoes nothing when the reader dies between the consumer commit and the position move', async () => {
    const real = productConsumer();
    let crashes = 1;
    const deliver: DeliverFn = async (messages) => {
      const outcomes = await real.deliver(messages);
      // As if the process died here: the handlers committed, the position did not move.
      if (crashes-- > 0) throw new Error('killed after the consumer committed');
      return outcomes;
    };
    await transport().subscribe(PRODUCT_STOCK_CHANGED, deliver);
    await publishChanges(['A', 'B'], 5);
    await until(async () => {
      const { rows } = await db.pool.query<{ position: string }>("SELECT position::text FROM inventory.log_positions WHERE subscription = 'product.stock.changed'");
      const { rows: last } = await db.pool.query<{ id: string }>('SELECT max(id)::text AS id FROM inventory.outbox');
      return rows[0]?.position === last[0]?.id;
    });
    // The first delivery ran again, and the consumer took every message of it as a duplicate.
    expect(real.deliveries.flat()).toHaveLength(20);
    expect(await effects(db)).toHaveLength(10);
    expect(await versionsOf('A')).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives batching subscriptions batches of at most maxMessages', async () => {
    const spec = { ...PRODUCT_STOCK_CHANGED, batch: { maxMessages: 7, maxWaitMs: 5 } };
    const { deliver, deliveries } = productConsumer(new Set(), spec);
    await publishChanges(['A', 'B', 'C'], 10);
    await transport().subscribe(spec, deliver);
    await until(async () => (await effects(db)).length === 30);
    expect(Math.max(...deliveries.map((d) => d.length))).toBe(7);
    expect(await versionsOf('C')).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('lets one instance read a subscription at a time, and another take over at once when the first one is killed', async () => {
    const first = productConsumer();
    const second = productConsumer();
    await transport({ name: 'outbox-log-first' }).subscribe(PRODUCT_STOCK_CHANGED, first.deliver);
    await publishChanges(['A', 'B'], 10);
    await until(async () => (await effects(db)).length === 20);
    const secondTransport = transport({ name: 'outbox-log-second' });
    await secondTransport.subscribe(PRODUCT_STOCK_CHANGED, second.deliver);
    await publishChanges(['A', 'B'], 10, 11);
    await until(async () => (await effects(db)).length === 40);
    expect(second.deliveries).toEqual([]);

    // Killed: its connections end, and with them its hold.
    await db.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'outbox-log-first%'");
    const firstDeliveries = first.deliveries.length;
    await publishChanges(['A', 'B'], 10, 21);
    await until(async () => (await effects(db)).length === 60);
    const all = [...first.deliveries, ...second.deliveries].flat().map((m) => m.attributes['event_id']);
    expect(new Set(all).size).toBe(all.length);
    expect(await versionsOf('A')).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Which instance took the last messages depends on who asked first once the hold was free; both were allowed.
    expect(first.deliveries.length + second.deliveries.length).toBeGreaterThan(firstDeliveries);
  });

  it('reports each subscription\'s delivery lag: the oldest unread row of its topic, or its oldest parked message, and 0 once all are dealt with', async () => {
    const name = PRODUCT_STOCK_CHANGED.name;
    const other = SUBSCRIPTIONS.find((s) => s.topic === 'order.created')!.name;
    const t = transport();
    await db.pool.query(`INSERT INTO inventory.log_positions (subscription) VALUES ($1) ON CONFLICT DO NOTHING`, [name]);
    expect(await t.deliveryLag!([name, other])).toEqual(new Map([[name, 0], [other, 0]]));
    await publishChanges(['LAG-A', 'LAG-B'], 1);
    // Written a minute ago and unread: the subscription lags by about that; a subscription of another topic does not.
    await db.pool.query(`UPDATE inventory.outbox SET created_at = now() - interval '60 seconds'`);
    const unread = await t.deliveryLag!([name, other]);
    expect(unread.get(name)).toBeGreaterThanOrEqual(59);
    expect(unread.get(other)).toBe(0);

    const poison = new Set(['LAG-A']);
    const { deliver } = productConsumer(poison);
    await t.subscribe(PRODUCT_STOCK_CHANGED, deliver);
    await until(async () => (await versionsOf('LAG-B')).length === 1 && (await db.pool.query('SELECT 1 FROM product.log_retries')).rowCount === 1);
    // Read past, but LAG-A waits parked: its event's age still counts.
    await db.pool.query(`UPDATE product.log_retries SET attributes = jsonb_set(attributes, '{occurred_at}', to_jsonb(to_char(now() - interval '30 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))`);
    const parked = (await t.deliveryLag!([name])).get(name)!;
    expect(parked).toBeGreaterThanOrEqual(29);
    expect(parked).toBeLessThan(59);
    poison.clear();
    await until(async () => (await versionsOf('LAG-A')).length === 1);
    await until(async () => (await t.deliveryLag!([name])).get(name) === 0);
  });

  it('gives every subscription of the topology a position in its producers outboxes, and retention keeps what they have not read', async () => {
    const t = transport();
    const { deliver } = productConsumer();
    await t.subscribe(PRODUCT_STOCK_CHANGED, deliver);
    await publishChanges(['A'], 1);
    await until(async () => (await effects(db)).length === 1);
    const { rows } = await db.pool.query<{ subscription: string }>('SELECT subscription FROM inventory.log_positions ORDER BY subscription');
    const readers = SUBSCRIPTIONS.filter((s) => ['stock-available', 'stock.rejected', 'stock.changed', 'reservation.expired'].includes(s.topic)).map((s) => s.name);
    expect(rows.map((r) => r.subscription)).toEqual([...readers].sort());

    // Everything published long ago; only product's position has passed the first row.
    await publishChanges(['A'], 1, 2);
    await db.pool.query("UPDATE inventory.outbox SET published_at = now() - interval '2 days'");
    await db.pool.query("UPDATE inventory.log_positions SET position = (SELECT min(id) FROM inventory.outbox) WHERE subscription <> 'product.stock.changed'");
    const retention = startRetention({ pool: db.pool, schema: 'inventory', logger: testLogger(), intervalMs: 3_600_000 });
    stoppers.push(() => retention.stop());
    const round = await retention.runOnce();
    expect(round['outbox']?.deleted).toBe(1);
    const { rows: left } = await db.pool.query<{ version: number }>("SELECT (payload->>'version')::int AS version FROM inventory.outbox");
    expect(left).toEqual([{ version: 2 }]);
  });
});
