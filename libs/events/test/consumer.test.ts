import { createServer, type Socket } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '@shop/db';
import { freePort, testLogger, useTestDatabase, type TestDatabase } from '@shop/testing';
import { createConsumer, createPublisher, type Consumer } from '../src';
import { createEffectsTable, effects, PRODUCT_STOCK_CHANGED, stockChangedHandler, stockChangedMessage } from './fixtures';

const db: TestDatabase = await useTestDatabase();
await createEffectsTable(db);

function consumerWith(poison = new Set<string>(), batch = false, minGroupSize?: number): Consumer {
  const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger: testLogger(), minGroupSize });
  consumer.register({ ...PRODUCT_STOCK_CHANGED, ...(batch ? { batch: { maxMessages: 50, maxWaitMs: 5 } } : {}) }, stockChangedHandler(poison, { batch }));
  return consumer;
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE product.test_effects, product.processed_messages, product.dead_letters');
});

describe('idempotent consumer', () => {
  it('has one effect when the same message is delivered twice', async () => {
    const consumer = consumerWith();
    const message = stockChangedMessage('SKU-1', 1);
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [message])).toEqual([{ status: 'ack' }]);
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [message])).toEqual([{ status: 'ack', duplicate: true }]);
    expect(await effects(db)).toHaveLength(1);
  });

  it('has one effect when ten copies are delivered at the same moment', async () => {
    const consumer = consumerWith();
    const message = stockChangedMessage('SKU-1', 1);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => consumer.deliver(PRODUCT_STOCK_CHANGED.name, [message])));
    expect(outcomes.flat().every((o) => o.status === 'ack')).toBe(true);
    expect(outcomes.flat().filter((o) => o.status === 'ack' && !o.duplicate)).toHaveLength(1);
    expect(await effects(db)).toHaveLength(1);
  });

  it("acknowledges a message its handler ignores without a transaction: no processed row, no effect, the others of the delivery handled", async () => {
    const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger: testLogger() });
    const handler = stockChangedHandler(new Set(), { batch: false });
    consumer.register(PRODUCT_STOCK_CHANGED, { ...handler, ignores: (event) => event.payload.sku.startsWith('OTHER-') });
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [stockChangedMessage('OTHER-1', 1), stockChangedMessage('SKU-1', 1)]);
    expect(outcomes).toEqual([{ status: 'ack' }, { status: 'ack' }]);
    expect((await effects(db)).map((e) => e.sku)).toEqual(['SKU-1']);
    expect((await db.pool.query('SELECT 1 FROM product.processed_messages')).rowCount).toBe(1);
  });

  it('rolls back the processed row and the effects when the handler fails, and asks for a retry', async () => {
    const poison = new Set(['BAD']);
    const consumer = consumerWith(poison);
    const message = stockChangedMessage('BAD', 1);
    const [outcome] = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [message]);
    expect(outcome).toMatchObject({ status: 'retry', error: 'poison BAD' });
    const { rowCount } = await db.pool.query('SELECT 1 FROM product.processed_messages');
    expect(rowCount).toBe(0);
    poison.clear();
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [{ ...message, deliveryAttempt: 2 }])).toEqual([{ status: 'ack' }]);
    expect(await effects(db)).toHaveLength(1);
  });

  it('dead-letters a message that fails on its last allowed attempt, with its last error', async () => {
    const consumer = consumerWith(new Set(['BAD']));
    const message = stockChangedMessage('BAD', 1, { deliveryAttempt: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts });
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [message])).toEqual([{ status: 'dead-letter', reason: 'handler_failed' }]);
    const [letter] = await consumer.deadLetters.list({ limit: 10 });
    expect(letter).toMatchObject({ subscription: PRODUCT_STOCK_CHANGED.name, reason: 'handler_failed', last_error: 'poison BAD', attempts: 3, event_id: message.attributes['event_id'] });
  });

  it.each([
    ['an invalid payload', { data: JSON.stringify({ sku: 'X', available: -1, version: 1 }) }, 'invalid_payload'],
    ['data that is not JSON', { data: Buffer.from([0xff, 0x00, 0x7b]) }, 'undecodable'],
  ])('dead-letters %s at once, on the first delivery', async (_name, overrides, reason) => {
    const consumer = consumerWith();
    const [outcome] = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [stockChangedMessage('X', 1, overrides)]);
    expect(outcome).toEqual({ status: 'dead-letter', reason });
    expect(await consumer.deadLetters.list({ limit: 10 })).toHaveLength(1);
    expect(await effects(db)).toHaveLength(0);
  });

  it('retries an unknown event_version without recording it as processed or dead-lettered, and handles it once it is a known version', async () => {
    const consumer = consumerWith();
    const v1 = stockChangedMessage('NEXT', 1);
    const v2 = { ...v1, attributes: { ...v1.attributes, event_version: '2' } };
    for (const attempt of [1, PRODUCT_STOCK_CHANGED.maxDeliveryAttempts - 1]) {
      const [outcome] = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [{ ...v2, deliveryAttempt: attempt }]);
      expect(outcome).toMatchObject({ status: 'retry', error: expect.stringContaining('event_version "2"') });
    }
    expect(await consumer.deadLetters.list({ limit: 10 })).toEqual([]);
    expect((await db.pool.query('SELECT 1 FROM product.processed_messages')).rowCount).toBe(0);
    expect(await effects(db)).toHaveLength(0);
    // Not recorded as processed: the same event id, once readable, is handled.
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [v1])).toEqual([{ status: 'ack' }]);
    expect(await effects(db)).toHaveLength(1);
  });

  it('keeps an unknown event_version as a dead letter on its last attempt instead of dropping it', async () => {
    const consumer = consumerWith();
    const message = stockChangedMessage('NEXT', 1, { deliveryAttempt: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts });
    const v2 = { ...message, attributes: { ...message.attributes, event_version: '2' } };
    expect(await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [v2])).toEqual([{ status: 'dead-letter', reason: 'unknown_version' }]);
    expect(await consumer.deadLetters.list({ limit: 10 })).toMatchObject([{ reason: 'unknown_version', attempts: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts }]);
  });

  it('dead-letters a message of another topic delivered to this subscription', async () => {
    const consumer = consumerWith();
    const message = stockChangedMessage('X', 1);
    const [outcome] = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [{ ...message, attributes: { ...message.attributes, event_type: 'product.deleted' }, data: JSON.stringify({ sku: 'X' }) }]);
    expect(outcome).toEqual({ status: 'dead-letter', reason: 'wrong_topic' });
  });

  it('keeps per-key order: after a failure, later messages of the same key are not handled', async () => {
    const poison = new Set(['A']);
    const consumer = consumerWith(poison);
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [stockChangedMessage('A', 1), stockChangedMessage('A', 2), stockChangedMessage('B', 1)]);
    expect(outcomes.map((o) => o.status)).toEqual(['retry', 'retry', 'ack']);
    expect((await effects(db)).map((e) => e.sku)).toEqual(['B']);
  });
});

describe('batched consumer', () => {
  it('handles a batch in one transaction with one processed row per message', async () => {
    const consumer = consumerWith(new Set(), true);
    const messages = Array.from({ length: 20 }, (_, i) => stockChangedMessage(`SKU-${i}`, 1));
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [...messages, messages[0]!]);
    expect(outcomes.slice(0, 20).every((o) => o.status === 'ack' && !o.duplicate)).toBe(true);
    expect(outcomes[20]).toEqual({ status: 'ack', duplicate: true });
    expect(await effects(db)).toHaveLength(20);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM product.processed_messages');
    expect(rows[0].n).toBe(20);
  });

  it('commits the good messages of a batch that holds one poison message', async () => {
    const consumer = consumerWith(new Set(['POISON']), true);
    const messages = [stockChangedMessage('A', 1), stockChangedMessage('POISON', 1), stockChangedMessage('C', 1)];
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, messages);
    expect(outcomes.map((o) => o.status)).toEqual(['ack', 'retry', 'ack']);
    expect((await effects(db)).map((e) => e.sku).sort()).toEqual(['A', 'C']);
  });

  it('skips messages of a batch that were already processed', async () => {
    const consumer = consumerWith(new Set(), true);
    const first = stockChangedMessage('A', 1);
    await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [first]);
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, [first, stockChangedMessage('B', 1)]);
    expect(outcomes).toEqual([{ status: 'ack', duplicate: true }, { status: 'ack' }]);
    expect(await effects(db)).toHaveLength(2);
  });
});

describe('group commit', () => {
  const transactionsOf = async () => (await db.pool.query<{ n: number }>('SELECT count(DISTINCT xmin::text)::int AS n FROM product.test_effects')).rows[0]!.n;

  it('commits messages of different keys together: 40 messages in at most 8 transactions, one processed row each', async () => {
    const consumer = consumerWith();
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, Array.from({ length: 40 }, (_, i) => stockChangedMessage(`SKU-${i}`, 1)));
    expect(outcomes.every((o) => o.status === 'ack' && !o.duplicate)).toBe(true);
    expect(await effects(db)).toHaveLength(40);
    expect(await transactionsOf()).toBeLessThanOrEqual(8);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM product.processed_messages');
    expect(rows[0].n).toBe(40);
  });

  it('with minGroupSize 16, commits a small delivery in one transaction and splits a large one over `concurrency` transactions', async () => {
    const consumer = consumerWith(new Set(), false, 16);
    await consumer.deliver(PRODUCT_STOCK_CHANGED.name, Array.from({ length: 12 }, (_, i) => stockChangedMessage(`SMALL-${i}`, 1)));
    expect(await transactionsOf()).toBe(1);
    await db.pool.query('TRUNCATE product.test_effects');
    await consumer.deliver(PRODUCT_STOCK_CHANGED.name, Array.from({ length: 200 }, (_, i) => stockChangedMessage(`LARGE-${i}`, 1)));
    expect(await effects(db)).toHaveLength(200);
    expect(await transactionsOf()).toBe(8);
  });

  it('handles a key’s messages in order, one per round, each round after the one before', async () => {
    const consumer = consumerWith();
    const messages = [1, 2, 3].flatMap((version) => ['A', 'B'].map((sku) => stockChangedMessage(sku, version)));
    await consumer.deliver(PRODUCT_STOCK_CHANGED.name, messages);
    const { rows } = await db.pool.query<{ sku: string; version: number; tx: string }>('SELECT sku, version, xmin::text AS tx FROM product.test_effects');
    const txOf = (sku: string, version: number) => Number(rows.find((r) => r.sku === sku && r.version === version)!.tx);
    // Round n (version n of every key) committed before round n + 1 began: its transactions are all older.
    for (const version of [1, 2]) {
      expect(Math.max(txOf('A', version), txOf('B', version))).toBeLessThan(Math.min(txOf('A', version + 1), txOf('B', version + 1)));
    }
  });

  it('falls back to one transaction per message when a group fails, so only the poison message is retried', async () => {
    const consumer = consumerWith(new Set(['POISON']));
    const messages = Array.from({ length: 16 }, (_, i) => stockChangedMessage(i === 5 ? 'POISON' : `SKU-${i}`, 1));
    const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, messages);
    expect(outcomes.map((o) => o.status)).toEqual(messages.map((_, i) => (i === 5 ? 'retry' : 'ack')));
    expect(await effects(db)).toHaveLength(15);
  });

  it('never groups the messages of a handler that must run alone', async () => {
    const consumer = createConsumer({ db, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger: testLogger() });
    consumer.register(PRODUCT_STOCK_CHANGED, { ...stockChangedHandler(), alone: true });
    await consumer.deliver(PRODUCT_STOCK_CHANGED.name, Array.from({ length: 12 }, (_, i) => stockChangedMessage(`SKU-${i}`, 1)));
    expect(await transactionsOf()).toBe(12);
  });
});

describe('a consumer whose database is away', () => {
  it('retries the whole delivery after the first failed connection, dead-lettering nothing, even on the last attempt', async () => {
    // A server that accepts connections and never answers: each attempt waits out the connection timeout.
    const attempts: Socket[] = [];
    const blackhole = createServer((socket) => void attempts.push(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => blackhole.listen(port, '127.0.0.1', resolve));
    const away = createDatabase(`postgresql://postgres@127.0.0.1:${port}/shop`, { poolMax: 50, connectTimeoutMs: 300 });
    try {
      const consumer = createConsumer({ db: away, schema: 'product', publish: createPublisher({ schema: 'product', producer: 'product' }), logger: testLogger() });
      consumer.register(PRODUCT_STOCK_CHANGED, stockChangedHandler(new Set()));
      // Forty keys, one message each: without the short cut, each would be tried alone after its group failed.
      const messages = Array.from({ length: 40 }, (_, i) => ({ ...stockChangedMessage(`AWAY-${i}`, 1), deliveryAttempt: PRODUCT_STOCK_CHANGED.maxDeliveryAttempts }));
      const outcomes = await consumer.deliver(PRODUCT_STOCK_CHANGED.name, messages);
      expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set(['retry']));
      expect(outcomes[0]).toMatchObject({ error: expect.stringMatching(/^database unavailable/) });
      // A try or two per parallel share (its group, then its first message alone), not one or more per message
      // (48 connection attempts without the short cut, 16 with it).
      expect(attempts.length).toBeLessThan(messages.length);
    } finally {
      await away.close();
      for (const socket of attempts) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM product.dead_letters')).rows[0].n).toBe(0);
  });
});
