import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContractViolation, decodeEnvelope } from '@shop/contracts';
import { inTransaction } from '@shop/db';
import { createPublisher, outboxChannel } from '@shop/events';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { publishAll, type PendingEvent } from '../src/db/outbox.queries';
import { outbox, outboxMark } from './inventory-test-kit';

let db: TestDatabase;

beforeAll(async () => {
  db = await useTestDatabase();
});

const REQUEST_ID = randomUUID();
const CART_ID = randomUUID();
const EVENTS: PendingEvent[] = [
  {
    topic: 'stock.rejected',
    payload: {
      request_id: REQUEST_ID,
      source: 'cart',
      cart_id: CART_ID,
      customer_id: randomUUID(),
      reason: 'insufficient_stock',
      details: [{ product_sku: 'A', requested: 2, available: 1 }],
    },
    correlationId: CART_ID,
  },
  { topic: 'stock.changed', payload: { sku: 'B', available: 3, version: 9 }, correlationId: 'B' },
  { topic: 'stock.changed', payload: { sku: 'A', available: 0, version: 4 }, correlationId: 'A' },
];

describe('publishAll', () => {
  it('writes the rows publish from @shop/events writes, in order, decodable by every consumer', async () => {
    const publish = createPublisher({ schema: 'inventory', producer: 'inventory' });
    const mark = await outboxMark(db);
    await inTransaction(db.prisma, (tx) => publishAll(tx, EVENTS));
    const middle = await outboxMark(db);
    await inTransaction(db.prisma, async (tx) => {
      for (const e of EVENTS) await publish(tx, e.topic, e.payload, { correlationId: e.correlationId });
    });
    const bulk = (await outbox(db, mark)).filter((row) => BigInt(row.id) <= BigInt(middle));
    const single = await outbox(db, middle);
    expect(bulk).toHaveLength(3);
    const comparable = (rows: typeof bulk) =>
      rows.map(({ topic, payload, attributes: { event_id: _id, occurred_at: _at, ...attributes } }) => ({ topic, payload, attributes }));
    expect(comparable(bulk)).toEqual(comparable(single));
    const { rows } = await db.pool.query<{ ordering_key: string }>('SELECT ordering_key FROM inventory.outbox WHERE id > $1 AND id <= $2 ORDER BY id', [
      mark,
      middle,
    ]);
    expect(rows.map((r) => r.ordering_key)).toEqual([CART_ID, 'B', 'A']);
    for (const row of bulk) {
      const decoded = decodeEnvelope(row.attributes, JSON.stringify(row.payload));
      expect(decoded.ok).toBe(true);
    }
  });

  it('wakes the relay with one NOTIFY on its channel at commit', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const notified: string[] = [];
      listener.on('notification', (n) => notified.push(n.channel));
      await listener.query(`LISTEN ${outboxChannel('inventory')}`);
      await inTransaction(db.prisma, (tx) => publishAll(tx, EVENTS));
      await new Promise((r) => setTimeout(r, 100));
      expect(notified).toEqual([outboxChannel('inventory')]);
    } finally {
      await listener.end();
    }
  });

  it('refuses a payload that breaks the contract before anything reaches the outbox', async () => {
    const mark = await outboxMark(db);
    const bad = { topic: 'stock.changed', payload: { sku: 'A', available: -1, version: 1 }, correlationId: 'A' } as PendingEvent;
    await expect(inTransaction(db.prisma, (tx) => publishAll(tx, [EVENTS[1]!, bad]))).rejects.toBeInstanceOf(ContractViolation);
    expect(await outbox(db, mark)).toEqual([]);
  });
});
