import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, createIdempotencyStore, inTransaction, type Database, type IdempotencyStore, type StoredResponse } from '../src';
import { useScratchDatabase } from './scratch-database';

const scratch = await useScratchDatabase({ migrated: true });
let db: Database;
let store: IdempotencyStore;

beforeAll(async () => {
  db = createDatabase(scratch.url, { poolMax: 6 });
  store = createIdempotencyStore(db.prisma, 'customer');
  await db.pool.query('CREATE TABLE public.effects (id serial PRIMARY KEY, name text NOT NULL)');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.pool.query('TRUNCATE public.effects, customer.idempotency_keys');
});

const ANSWER: StoredResponse = { status: 201, headers: { 'content-type': 'application/json', location: '/effects/1' }, body: '{"ok":true}' };

/** A request's work as a route's use case does it: its own `inTransaction`, then the answer to keep. */
function effect(name: string, options: { gate?: Promise<void>; keep?: StoredResponse | undefined } = {}) {
  return async () => {
    const xid = await inTransaction(db.prisma, async (tx) => {
      await tx.$executeRawUnsafe('INSERT INTO public.effects (name) VALUES ($1)', name);
      await options.gate;
      const [row] = await tx.$queryRawUnsafe<{ xid: string }[]>('SELECT pg_current_xact_id()::text AS xid');
      return row!.xid;
    });
    return { value: xid, keep: 'keep' in options ? options.keep : ANSWER };
  };
}

const effects = async () => (await db.pool.query<{ name: string }>('SELECT name FROM public.effects ORDER BY id')).rows.map((r) => r.name);
const keys = async () =>
  (await db.pool.query<{ key: string; status_code: number | null; xmin: string }>('SELECT key, status_code, xmin::text FROM customer.idempotency_keys ORDER BY key')).rows;

// A connection of this database whose transaction wrote an effect and waits (for its gate).
const WRITER = `datname = current_database() AND query LIKE 'INSERT INTO public.effects%' AND state = 'idle in transaction'`;
const waitingWriters = async () => (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE ${WRITER}`)).rowCount;

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createIdempotencyStore', () => {
  it("stores the answer in the transaction of the work's own inTransaction, and replays it", async () => {
    const first = await store.runOnce('s', 'k-1', 'h', effect('a'));
    expect(first.kind).toBe('ran');
    const [row] = await keys();
    // One commit made both: the effect's transaction id is the stored answer's.
    expect(row).toEqual({ key: 'k-1', status_code: 201, xmin: first.kind === 'ran' ? first.value : '' });
    expect(await store.runOnce('s', 'k-1', 'h', effect('b'))).toEqual({ kind: 'replay', requestHash: 'h', response: ANSWER });
    expect(await effects()).toEqual(['a']);
  });

  it('keeps neither the effect nor a key when the work keeps no answer (a refusal)', async () => {
    expect((await store.runOnce('s', 'k-2', 'h', effect('refused', { keep: undefined }))).kind).toBe('ran');
    expect(await effects()).toEqual([]);
    expect(await keys()).toEqual([]);
    expect((await store.runOnce('s', 'k-2', 'h', effect('fixed'))).kind).toBe('ran');
    expect(await effects()).toEqual(['fixed']);
  });

  it('never runs a repeat while the first runs, however long: in progress, then the replay', async () => {
    const slow = gate();
    const first = store.runOnce('s', 'k-3', 'h', effect('slow', { gate: slow.promise }));
    await until('the first to write', async () => (await waitingWriters()) === 1);
    // Time passes for whatever the store keeps about a running request: an hour, past any stale window.
    await db.pool.query(`UPDATE customer.idempotency_keys SET created_at = now() - interval '1 hour'`);
    expect(await store.runOnce('s', 'k-3', 'h', effect('repeat'))).toEqual({ kind: 'in_progress' });
    slow.open();
    expect((await first).kind).toBe('ran');
    expect((await store.runOnce('s', 'k-3', 'h', effect('repeat'))).kind).toBe('replay');
    expect(await effects()).toEqual(['slow']);
  });

  it('lets a repeat run at once when the first died before its commit (its connection is gone)', async () => {
    const stuck = gate();
    const first = store.runOnce('s', 'k-4', 'h', effect('lost', { gate: stuck.promise }));
    await until('the first to write', async () => (await waitingWriters()) === 1);
    // What a crashed process leaves: PostgreSQL sees its connection end and rolls its transaction back.
    await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${WRITER}`);
    await until('the transaction to be gone', async () => (await waitingWriters()) === 0);
    expect((await store.runOnce('s', 'k-4', 'h', effect('retried'))).kind).toBe('ran');
    stuck.open();
    await expect(first).rejects.toThrow();
    expect(await effects()).toEqual(['retried']);
  });

  it('runs 20 concurrent requests with one key exactly once', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.runOnce('s', 'k-5', 'h', effect(`r${i}`))));
    expect(outcomes.filter((o) => o.kind === 'ran')).toHaveLength(1);
    expect(outcomes.every((o) => o.kind !== 'replay' || o.response.body === ANSWER.body)).toBe(true);
    expect(await effects()).toHaveLength(1);
  });

  it('treats a claim the previous version committed as running until it is a minute old, then takes it over', async () => {
    await db.pool.query(`INSERT INTO customer.idempotency_keys (scope, key, request_hash) VALUES ('s', 'k-6', 'h')`);
    expect(await store.runOnce('s', 'k-6', 'h', effect('early'))).toEqual({ kind: 'in_progress' });
    await db.pool.query(`UPDATE customer.idempotency_keys SET created_at = now() - interval '61 seconds'`);
    expect((await store.runOnce('s', 'k-6', 'h', effect('took over'))).kind).toBe('ran');
    expect(await effects()).toEqual(['took over']);
    expect((await keys()).map((k) => k.status_code)).toEqual([201]);
  });

  it("holds the previous version's claim of a running key until the answer is in (a rolling deploy): it never claims it", async () => {
    const slow = gate();
    const first = store.runOnce('s', 'k-10', 'h', effect('new version', { gate: slow.promise }));
    await until('the first to write', async () => (await waitingWriters()) === 1);
    // The claim statement of the previous version of this store, verbatim, from an instance still running it.
    const previousClaim = db.pool.query(
      `INSERT INTO customer.idempotency_keys (scope, key, request_hash) VALUES ('s', 'k-10', 'h')
       ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
         WHERE customer.idempotency_keys.status_code IS NULL
           AND customer.idempotency_keys.created_at < now() - make_interval(secs => 60)
       RETURNING 1`,
    );
    await new Promise((r) => setTimeout(r, 100));
    slow.open();
    await first;
    expect((await previousClaim).rowCount).toBe(0);
    expect((await keys()).map((k) => k.status_code)).toEqual([201]);
  });

  it('reruns the whole request when PostgreSQL asks for a retry inside it, keeping one effect and one answer', async () => {
    let attempts = 0;
    const outcome = await store.runOnce('s', 'k-9', 'h', async () => {
      attempts++;
      const name = `attempt ${attempts}`;
      await inTransaction(db.prisma, async (tx) => {
        await tx.$executeRawUnsafe('INSERT INTO public.effects (name) VALUES ($1)', name);
        // A serialization failure, as a concurrent writer would cause: PostgreSQL rolled the transaction back.
        if (attempts === 1) await tx.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`);
      });
      return { value: name, keep: ANSWER };
    });
    expect(outcome).toEqual({ kind: 'ran', value: 'attempt 2' });
    expect(await effects()).toEqual(['attempt 2']);
    expect((await keys()).map((k) => k.status_code)).toEqual([201]);
  });

  it('scopes the lock to the schema, the scope and the key: other keys run alongside', async () => {
    const slow = gate();
    const first = store.runOnce('s', 'k-7', 'h', effect('held', { gate: slow.promise }));
    await until('the first to write', async () => (await waitingWriters()) === 1);
    expect((await store.runOnce('s', 'k-8', 'h', effect('other key'))).kind).toBe('ran');
    expect((await store.runOnce('other scope', 'k-7', 'h', effect('other scope'))).kind).toBe('ran');
    expect((await createIdempotencyStore(db.prisma, 'product').runOnce('s', 'k-7', 'h', effect('other schema'))).kind).toBe('ran');
    slow.open();
    await first;
    expect((await effects()).sort()).toEqual(['held', 'other key', 'other schema', 'other scope']);
  });
});
