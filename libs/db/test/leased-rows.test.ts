import { randomUUID } from 'node:crypto';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/client';
import { leasedRows } from '../src/leased-rows';
import { useScratchDatabase } from './scratch-database';

interface ItemRow {
  itemId: string;
  label: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  updatedAt: Date;
}

const scratch = await useScratchDatabase({ migrated: false });
const db = createDatabase(scratch.url, { poolMax: 4 });
afterAll(() => db.close());

await db.pool.query(`
  CREATE SCHEMA work;
  CREATE TABLE work.items (
    item_id uuid PRIMARY KEY, label text NOT NULL, status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz, updated_at timestamptz NOT NULL DEFAULT now())`);

const items = leasedRows<ItemRow>({
  schema: 'work',
  table: 'items',
  key: 'item_id',
});

/** Inserts an item; `dueInMs` and `leasedForMs` are relative to the database's clock. */
async function insert(label: string, options: { dueInMs?: number; leasedForMs?: number; status?: string } = {}): Promise<string> {
  const id = randomUUID();
  await db.pool.query(
    `INSERT INTO work.items (item_id, label, status, next_attempt_at, locked_until)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), CASE WHEN $5::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $5) END)`,
    [id, label, options.status ?? 'pending', (options.dueInMs ?? 0) / 1000, options.leasedForMs === undefined ? null : options.leasedForMs / 1000],
  );
  return id;
}

const labels = (rows: ItemRow[]) => rows.map((r) => r.label).sort();

beforeEach(async () => {
  await db.pool.query('TRUNCATE work.items');
});

describe('leasedRows', () => {
  it('claims the due pending rows nobody holds, counting the attempt and leasing each, read back under their field names', async () => {
    await insert('due');
    await insert('later', { dueInMs: 60_000 });
    await insert('held', { leasedForMs: 60_000 });
    await insert('finished', { status: 'sent' });

    const claimed = await items.claimDue(db.prisma, { limit: 10, leaseMs: 30_000 });
    expect(claimed).toEqual([
      { itemId: expect.any(String), label: 'due', status: 'pending', attempts: 1, nextAttemptAt: expect.any(Date), lockedUntil: expect.any(Date), updatedAt: expect.any(Date) },
    ]);
    expect(claimed[0]!.lockedUntil!.getTime() - Date.now()).toBeGreaterThan(20_000);
    expect(await items.claimDue(db.prisma, { limit: 10, leaseMs: 30_000 })).toEqual([]);
  });

  it('claims the earliest due first, at most `limit`, and never the same row for two claimers at once', async () => {
    for (let i = 0; i < 6; i++) await insert(`item-${i}`, { dueInMs: -1_000 * (i + 1) });
    expect(labels(await items.claimDue(db.prisma, { limit: 2, leaseMs: 30_000 }))).toEqual(['item-4', 'item-5']);

    const [a, b] = await Promise.all([items.claimDue(db.prisma, { limit: 2, leaseMs: 30_000 }), items.claimDue(db.prisma, { limit: 2, leaseMs: 30_000 })]);
    expect(labels([...a!, ...b!])).toEqual(['item-0', 'item-1', 'item-2', 'item-3']);
  });

  it('makes a row due again once its lease ran out (its worker died)', async () => {
    await insert('abandoned');
    expect(await items.claimDue(db.prisma, { limit: 1, leaseMs: 1 })).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await items.claimDue(db.prisma, { limit: 1, leaseMs: 30_000 })).toMatchObject([{ label: 'abandoned', attempts: 2 }]);
  });

  it('claims one pending row whatever its schedule, but not one another worker holds or one finished', async () => {
    const later = await insert('later', { dueInMs: 60_000 });
    const held = await insert('held', { leasedForMs: 60_000 });
    const finished = await insert('finished', { status: 'failed' });
    expect(await items.claim(db.prisma, later, 30_000)).toMatchObject({ itemId: later, attempts: 1 });
    expect(await items.claim(db.prisma, later, 30_000)).toBeUndefined();
    expect(await items.claim(db.prisma, held, 30_000)).toBeUndefined();
    expect(await items.claim(db.prisma, finished, 30_000)).toBeUndefined();
    expect(await items.claim(db.prisma, randomUUID(), 30_000)).toBeUndefined();
  });

  it('tells how long until the next pending row falls due: its retry time, or the end of its lease', async () => {
    expect(await items.nextDueInMs(db.prisma)).toBeNull();
    await insert('finished', { status: 'sent', dueInMs: 1_000 });
    expect(await items.nextDueInMs(db.prisma)).toBeNull();
    await insert('retry', { dueInMs: 40_000 });
    expect(await items.nextDueInMs(db.prisma)).toBeCloseTo(40_000, -3);
    await insert('held', { dueInMs: 5_000, leasedForMs: 20_000 });
    expect(await items.nextDueInMs(db.prisma)).toBeCloseTo(20_000, -3);
    await insert('overdue', { dueInMs: -3_000 });
    expect(await items.nextDueInMs(db.prisma)).toBeLessThan(0);
  });
});
