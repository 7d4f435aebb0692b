import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { startRetention, type Retention } from '../src';

const db: TestDatabase = await useTestDatabase();
let retention: Retention | undefined;

function retentionOf(options: { batchSize?: number; timeBudgetMs?: number } = {}): Retention {
  retention = startRetention({ pool: db.pool, schema: 'customer', logger: testLogger(), intervalMs: 3_600_000, ...options });
  return retention;
}

const count = async (sql: string) => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n;

/** Rows on both sides of every age: `old` ones past it, `young` ones not yet. */
async function seed(): Promise<void> {
  await db.pool.query(`
    INSERT INTO customer.processed_messages (subscriber, event_id, topic, processed_at)
      SELECT 'old', gen_random_uuid(), 't', now() - interval '8 days 1 hour' FROM generate_series(1, 2500);
    INSERT INTO customer.processed_messages (subscriber, event_id, topic, processed_at)
      SELECT 'young', gen_random_uuid(), 't', now() - interval '7 days 23 hours' FROM generate_series(1, 5);
    INSERT INTO customer.idempotency_keys (scope, key, request_hash, created_at)
      SELECT 's', 'old-' || n, 'h', now() - interval '25 hours' FROM generate_series(1, 3) n;
    INSERT INTO customer.idempotency_keys (scope, key, request_hash, created_at)
      SELECT 's', 'young-' || n, 'h', now() - interval '23 hours' FROM generate_series(1, 2) n;
    INSERT INTO customer.outbox (event_id, topic, ordering_key, attributes, payload, created_at, published_at, leased_until, set_aside_at)
      VALUES (gen_random_uuid(), 'old', 'k', '{}', '{}', now() - interval '3 days', now() - interval '25 hours', NULL, NULL),
             (gen_random_uuid(), 'young', 'k', '{}', '{}', now() - interval '3 days', now() - interval '23 hours', NULL, NULL),
             (gen_random_uuid(), 'unpublished', 'k', '{}', '{}', now() - interval '40 days', NULL, NULL, NULL),
             (gen_random_uuid(), 'set-aside', 'k', '{}', '{}', now() - interval '40 days', NULL, now() - interval '39 days', now() - interval '39 days');
    INSERT INTO customer.dead_letters (subscription, event_id, attributes, data, reason, last_error, attempts, dead_lettered_at, replayed_at)
      VALUES ('old', '1', '{}', '', 'r', 'e', 1, now() - interval '40 days', now() - interval '31 days'),
             ('young', '2', '{}', '', 'r', 'e', 1, now() - interval '40 days', now() - interval '29 days'),
             ('open', '3', '{}', '', 'r', 'e', 1, now() - interval '90 days', NULL);
  `);
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE customer.processed_messages, customer.idempotency_keys, customer.outbox, customer.dead_letters');
});
afterEach(async () => {
  await retention?.stop();
  retention = undefined;
});

describe('retention', () => {
  it('deletes the rows past each age in statements of at most the batch size, and keeps the younger, unpublished, set-aside and open ones', async () => {
    await seed();
    const round = await retentionOf({ batchSize: 1_000 }).runOnce();
    expect(round).toEqual({
      processed_messages: { deleted: 2500, statements: 3 },
      idempotency_keys: { deleted: 3, statements: 1 },
      outbox: { deleted: 1, statements: 1 },
      dead_letters: { deleted: 1, statements: 1 },
    });
    expect(await count(`customer.processed_messages WHERE subscriber = 'young'`)).toBe(5);
    expect(await count('customer.processed_messages')).toBe(5);
    expect((await db.pool.query(`SELECT key FROM customer.idempotency_keys ORDER BY key`)).rows.map((r) => r.key)).toEqual(['young-1', 'young-2']);
    expect((await db.pool.query(`SELECT topic FROM customer.outbox ORDER BY topic`)).rows.map((r) => r.topic)).toEqual(['set-aside', 'unpublished', 'young']);
    expect((await db.pool.query(`SELECT subscription FROM customer.dead_letters ORDER BY subscription`)).rows.map((r) => r.subscription)).toEqual(['open', 'young']);
  });

  it('skips the tables a service does not have', async () => {
    retention = startRetention({ pool: db.pool, schema: 'inventory', logger: testLogger(), intervalMs: 3_600_000 });
    const round = await retention.runOnce();
    expect(Object.keys(round).sort()).toEqual(['dead_letters', 'outbox', 'processed_messages']);
  });

  it('neither waits for nor blocks a transaction inserting into the same tables', async () => {
    await seed();
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`INSERT INTO customer.processed_messages (subscriber, event_id, topic) VALUES ('new', gen_random_uuid(), 't')`);
      await writer.query(`INSERT INTO customer.idempotency_keys (scope, key, request_hash) VALUES ('s', 'new', 'h')`);
      await writer.query(`INSERT INTO customer.outbox (event_id, topic, ordering_key, attributes, payload) VALUES (gen_random_uuid(), 'new', 'k', '{}', '{}')`);
      await writer.query(`INSERT INTO customer.dead_letters (subscription, attributes, data, reason, last_error, attempts) VALUES ('new', '{}', '', 'r', 'e', 1)`);
      let timer: NodeJS.Timeout | undefined;
      const round = await Promise.race([
        retentionOf({ batchSize: 1_000 }).runOnce(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the retention round waited for the open insert')), 3_000))),
      ]).finally(() => clearTimeout(timer));
      expect(round.processed_messages).toEqual({ deleted: 2500, statements: 3 });
      // The writer is not held up either: its next insert and its commit go through at once.
      await writer.query(`SET LOCAL lock_timeout = '500ms'`);
      await writer.query(`INSERT INTO customer.processed_messages (subscriber, event_id, topic) VALUES ('new', gen_random_uuid(), 't')`);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    expect(await count(`customer.processed_messages WHERE subscriber = 'new'`)).toBe(2);
  });

  it('runs one round at a time per service: while another instance holds the round, it deletes nothing', async () => {
    await seed();
    const other = await db.pool.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('retention:customer'))`);
      expect(await retentionOf().runOnce()).toEqual({});
      expect(await count('customer.processed_messages')).toBe(2505);
      await other.query(`SELECT pg_advisory_unlock(hashtext('retention:customer'))`);
    } finally {
      other.release();
    }
    expect((await retention!.runOnce()).processed_messages?.deleted).toBe(2500);
  });

  it('starts no statement once its time budget is spent', async () => {
    await seed();
    expect(await retentionOf({ timeBudgetMs: 0 }).runOnce()).toEqual({
      processed_messages: { deleted: 0, statements: 0 },
      idempotency_keys: { deleted: 0, statements: 0 },
      outbox: { deleted: 0, statements: 0 },
      dead_letters: { deleted: 0, statements: 0 },
    });
    expect(await count('customer.processed_messages')).toBe(2505);
  });
});
