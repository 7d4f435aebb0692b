import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase, type TestDatabase } from '@shop/testing';
import { createOutboxHorizon, fullTransactionId, parseSnapshot } from '../src/transports/outbox-log/horizon';

const db: TestDatabase = await useTestDatabase({ poolMax: 20 });
const clients: pg.Client[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  clients.push(client);
  return client;
}

/** Inserts one outbox row on `client` (inside whatever transaction it has open) and returns its id. */
async function insertRow(client: pg.Client | pg.Pool, key = 'K'): Promise<bigint> {
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO inventory.outbox (event_id, topic, ordering_key, attributes, payload) VALUES ($1, 'stock.changed', $2, '{}', '{}') RETURNING id::text`,
    [randomUUID(), key],
  );
  return BigInt(rows[0]!.id);
}

beforeEach(async () => {
  await db.pool.query('TRUNCATE inventory.outbox');
});

describe('parseSnapshot', () => {
  it('reads xmin, xmax and the running transactions of pg_current_snapshot()', () => {
    expect(parseSnapshot('10:20:12,15')).toEqual({ xmin: 10n, xmax: 20n, running: new Set([12n, 15n]) });
    expect(parseSnapshot('7:7:')).toEqual({ xmin: 7n, xmax: 7n, running: new Set() });
  });
});

describe('fullTransactionId', () => {
  it('restores the epoch pg_locks leaves out, also across a wraparound of the low 32 bits', () => {
    const epoch = 3n * 0x1_0000_0000n;
    expect(fullTransactionId(500n, parseSnapshot(`${epoch + 400n}:${epoch + 600n}:`))).toBe(epoch + 500n);
    expect(fullTransactionId(0xffff_fff0n, parseSnapshot(`${epoch + 5n}:${epoch + 10n}:`))).toBe(epoch - 16n);
    expect(fullTransactionId(3n, parseSnapshot(`${epoch - 20n}:${epoch - 10n}:`))).toBe(epoch + 3n);
  });
});

describe('outbox horizon', () => {
  it('stays below a row whose transaction is still open while a later-numbered row has committed', async () => {
    const horizon = createOutboxHorizon(db.pool, 'inventory');
    const early = await connect();
    await early.query('BEGIN');
    const earlyId = await insertRow(early);
    const lateId = await insertRow(db.pool);
    expect(lateId).toBeGreaterThan(earlyId);

    await horizon.advance();
    await horizon.advance();
    expect(horizon.safe).toBeLessThan(earlyId);
    expect(horizon.isWaiting).toBe(true);

    await early.query('COMMIT');
    await horizon.advance();
    expect(horizon.safe).toBeGreaterThanOrEqual(lateId);
    expect(horizon.isWaiting).toBe(false);
  });

  it('gives an inserting transaction its transaction id before its rows are produced, so before they take ids', async () => {
    const client = await connect();
    await client.query('BEGIN');
    // The SELECT that produces the row (and evaluates its id default) runs after the statement trigger.
    const { rowCount } = await client.query(
      `INSERT INTO inventory.outbox (event_id, topic, ordering_key, attributes, payload)
       SELECT $1, 'stock.changed', 'K', '{}', '{}' WHERE pg_current_xact_id_if_assigned() IS NOT NULL`,
      [randomUUID()],
    );
    await client.query('ROLLBACK');
    expect(rowCount).toBe(1);
  });

  it('waits for a transaction whose only write is its outbox row', async () => {
    const horizon = createOutboxHorizon(db.pool, 'inventory');
    const open = await connect();
    // No write before the insert: the statement trigger assigns the transaction id before the row takes its id.
    await open.query('BEGIN');
    const openId = await insertRow(open);
    await insertRow(db.pool);
    await horizon.advance();
    expect(horizon.safe).toBeLessThan(openId);
    await open.query('ROLLBACK');
    await horizon.advance();
    expect(horizon.safe).toBeGreaterThan(openId);
  });

  it('waits for a transaction that writes elsewhere only until the fence has waited narrowAfterMs, then only for writers of this outbox', async () => {
    const horizon = createOutboxHorizon(db.pool, 'inventory', { narrowAfterMs: 200 });
    const elsewhere = await connect();
    await elsewhere.query('BEGIN');
    await elsewhere.query(`INSERT INTO product.outbox (event_id, topic, ordering_key, attributes, payload) VALUES ($1, 'product.upserted', 'K', '{}', '{}')`, [randomUUID()]);
    const writer = await connect();
    await writer.query('BEGIN');
    const openId = await insertRow(writer);
    const id = await insertRow(db.pool);
    // A fence waits for every transaction running when it was taken, at first.
    await horizon.advance();
    expect(horizon.safe).toBeLessThan(id);
    expect(horizon.isWaiting).toBe(true);
    await new Promise((r) => setTimeout(r, 250));
    // Kept waiting, it asks who writes this outbox: still the open writer, so it still waits.
    await horizon.advance();
    expect(horizon.safe).toBeLessThan(openId);
    await writer.query('COMMIT');
    // The writer gone, nothing holds it any more although the other transaction is still open.
    await horizon.advance();
    expect(horizon.safe).toBeGreaterThanOrEqual(id);
    expect(horizon.isWaiting).toBe(false);
    await elsewhere.query('ROLLBACK');
  });

  it('passes a fence as soon as the transactions running when it was taken have ended, without asking who writes this outbox', async () => {
    const horizon = createOutboxHorizon(db.pool, 'inventory', { narrowAfterMs: 60_000 });
    const other = await connect();
    await other.query('BEGIN');
    await other.query('SELECT pg_current_xact_id()');
    const id = await insertRow(db.pool);
    await horizon.advance();
    expect(horizon.safe).toBeLessThan(id);
    await other.query('COMMIT');
    await horizon.advance();
    expect(horizon.safe).toBeGreaterThanOrEqual(id);
    expect(horizon.isWaiting).toBe(false);
  });

  it.each([
    ['every fence narrowed to the writers at once', 0],
    ['no fence narrowed', 60_000],
  ])('never passes a row that commits later, while transactions commit out of id order and a reader reads meanwhile (%s)', async (_how, narrowAfterMs) => {
    const horizon = createOutboxHorizon(db.pool, 'inventory', { narrowAfterMs });
    const writers = await Promise.all(Array.from({ length: 8 }, () => connect()));
    const committed = new Set<bigint>();
    const seen = new Set<bigint>();
    let position = 0n;
    let writing = true;
    const reader = (async () => {
      for (;;) {
        // A fence taken after the last writer finished covers every row; stop once it passed and read nothing new.
        const wasWriting = writing;
        await horizon.advance();
        const { rows } = await db.pool.query<{ id: string }>('SELECT id::text FROM inventory.outbox WHERE id > $1 AND id <= $2 ORDER BY id', [
          position.toString(),
          horizon.safe.toString(),
        ]);
        for (const row of rows) seen.add(BigInt(row.id));
        if (horizon.safe > position) position = horizon.safe;
        if (!wasWriting && !horizon.isWaiting && rows.length === 0) break;
      }
    })();
    // Each writer takes an id, then holds its transaction open for a random while: commits overtake ids.
    await Promise.all(
      writers.map(async (client, w) => {
        for (let i = 0; i < 40; i++) {
          await client.query('BEGIN');
          const id = await insertRow(client, `K${w}`);
          await new Promise((r) => setTimeout(r, Math.random() * 6));
          if (i % 10 === 9) {
            await client.query('ROLLBACK');
          } else {
            await client.query('COMMIT');
            committed.add(id);
          }
        }
      }),
    );
    writing = false;
    await reader;
    // Every committed row was read by a reader that only moves forward: none was passed while still invisible.
    expect([...committed].filter((id) => !seen.has(id))).toEqual([]);
    expect(seen.size).toBe(committed.size);
  });
});
