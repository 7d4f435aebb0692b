import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, inTransaction, onBeforeCommit, type Database } from '../src';
import { joiningTransactions } from '../src/transaction';
import { useScratchDatabase } from './scratch-database';

const scratch = await useScratchDatabase({ migrated: false });
let db: Database;

beforeAll(async () => {
  db = createDatabase(scratch.url, { poolMax: 2 });
  await db.pool.query('CREATE TABLE IF NOT EXISTS public.hook_log (id serial PRIMARY KEY, entry text NOT NULL)');
});
afterAll(async () => {
  await db.close();
});

const entries = async () => (await db.pool.query<{ entry: string }>('SELECT entry FROM public.hook_log ORDER BY id')).rows.map((r) => r.entry);
const log = (tx: Parameters<Parameters<typeof inTransaction>[1]>[0], entry: string) => tx.$executeRawUnsafe('INSERT INTO public.hook_log (entry) VALUES ($1)', entry);

describe('onBeforeCommit', () => {
  it('runs hooks inside the transaction after its callback, in order, including hooks a hook registers', async () => {
    await db.pool.query('TRUNCATE public.hook_log');
    const xids = await inTransaction(db.prisma, async (tx) => {
      expect(onBeforeCommit(tx, () => log(tx, 'first hook').then(() => void onBeforeCommit(tx, () => log(tx, 'hook of a hook').then(() => undefined))))).toBe(true);
      expect(onBeforeCommit(tx, () => log(tx, 'second hook').then(() => undefined))).toBe(true);
      await log(tx, 'callback');
      return tx.$queryRawUnsafe<{ xid: string }[]>('SELECT pg_current_xact_id()::text AS xid');
    });
    expect(await entries()).toEqual(['callback', 'first hook', 'second hook', 'hook of a hook']);
    const { rows } = await db.pool.query<{ tx: string }>('SELECT DISTINCT xmin::text AS tx FROM public.hook_log');
    expect(rows.map((r) => r.tx)).toEqual([xids[0]!.xid]);
  });

  it('runs no hook when the callback fails, and a failing hook rolls the whole transaction back', async () => {
    await db.pool.query('TRUNCATE public.hook_log');
    await expect(
      inTransaction(db.prisma, async (tx) => {
        onBeforeCommit(tx, () => log(tx, 'hook').then(() => undefined));
        await log(tx, 'callback');
        throw new Error('callback failed');
      }),
    ).rejects.toThrow('callback failed');
    await expect(
      inTransaction(db.prisma, async (tx) => {
        onBeforeCommit(tx, async () => {
          throw new Error('hook failed');
        });
        await log(tx, 'callback');
      }),
    ).rejects.toThrow('hook failed');
    expect(await entries()).toEqual([]);
  });

  it('says false for a transaction that did not come from inTransaction, and for one that has committed', async () => {
    const outside = await db.prisma.$transaction(async (tx) => onBeforeCommit(tx, async () => undefined));
    expect(outside).toBe(false);
    let finished: Parameters<Parameters<typeof inTransaction>[1]>[0] | undefined;
    await inTransaction(db.prisma, async (tx) => void (finished = tx));
    expect(onBeforeCommit(finished!, async () => undefined)).toBe(false);
  });
});

describe('joiningTransactions', () => {
  const xidOf = async (tx: Parameters<Parameters<typeof inTransaction>[1]>[0]) =>
    (await tx.$queryRawUnsafe<{ xid: string }[]>('SELECT pg_current_xact_id()::text AS xid'))[0]!.xid;

  it('runs the inTransaction calls of the same client inside the enclosing transaction, and none once it settled', async () => {
    let afterwards: (() => Promise<string>) | undefined;
    const seen = await inTransaction(db.prisma, (tx) =>
      joiningTransactions(db.prisma, tx, async () => {
        const inner = await inTransaction(db.prisma, () => inTransaction(db.prisma, xidOf));
        afterwards = () => inTransaction(db.prisma, xidOf);
        return { inner, enclosing: await xidOf(tx) };
      }),
    );
    expect(seen.inner).toBe(seen.enclosing);
    // Work started inside and run later (not awaited) must not use a transaction that has ended.
    expect(await afterwards!()).not.toBe(seen.enclosing);
  });
});
