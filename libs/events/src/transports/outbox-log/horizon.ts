import type pg from 'pg';
import { quoteIdent } from '@shop/db';

/**
 * How far one producer's outbox can be read without skipping a row: every row with an id up to `safe` has
 * either committed (and is visible to any statement started from now on) or will never exist.
 */
export interface OutboxHorizon {
  /** The highest id known final; 0 before the first fence passed. */
  readonly safe: bigint;
  /** Whether a fence still waits for transactions that were running when it was taken. */
  readonly isWaiting: boolean;
  /**
   * Takes a new fence (one round trip) and moves `safe` past every fence whose transactions have all ended.
   * Callers that ask while a fence is being taken share the next one, so each caller's fence starts after
   * its call.
   */
  advance(): Promise<bigint>;
}

const MAX_PENDING_FENCES = 32;

/** A fence: once no transaction of `waitFor` runs any more, every id up to `last` is final. */
interface Fence {
  last: bigint;
  waitFor: bigint[];
}

/** A `pg_snapshot` as text, `xmin:xmax:xip,…`: the transactions running when it was taken. */
interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  running: Set<bigint>;
}

/** Parses `pg_current_snapshot()::text`. */
export function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, xip = ''] = text.split(':');
  return { xmin: BigInt(xmin!), xmax: BigInt(xmax!), running: new Set(xip ? xip.split(',').map((x) => BigInt(x)) : []) };
}

/** Whether transaction `xid` had ended when `snapshot` was taken (committed or aborted). */
function hasEnded(xid: bigint, snapshot: Snapshot): boolean {
  return xid < snapshot.xmin || (xid < snapshot.xmax && !snapshot.running.has(xid));
}

/**
 * The visibility horizon of one outbox, the reason a reader never skips a row whose id is lower than one it
 * already read but whose transaction committed later (ids are taken at insert, rows appear at commit).
 *
 * A fence is one round trip of four steps, in this order:
 * 1. `L` = the outbox sequence's last value: every id up to `L` has been handed out.
 * 2. `X` = a transaction id taken now (and rolled back at once: nothing is written, nothing is flushed).
 * 3. a snapshot `S`, taken after `X` ended.
 * 4. the writers: transactions holding the outbox's insert lock (from `pg_locks`).
 * The outbox's statement trigger (`outbox_log_xid_first`, see the migration) gives every inserting
 * transaction its id, and a shared advisory lock it holds until it ends, before its rows take theirs from the
 * sequence. So a transaction that took an id up to `L` got its transaction id before step 1, hence below
 * `X` (transaction ids are handed out in order); since `X` ended before `S`, `S.xmax > X`, so such a
 * transaction, if it still runs at `S`, is listed in `S`'s running set; and if it still runs at step 4 it
 * holds the lock there (one that ended in between has committed or rolled back: nothing to wait for). The
 * fence waits for the running transactions below `X` that are writers; once none of them runs, no row with
 * an id up to `L` can still appear. Fences pass in the order they were taken (a transaction one fence waits
 * for, if still running, is also in every later fence), so `safe` only grows. As every writer NOTIFYs at
 * commit, a waiting fence is usually released by the very notification of the writer it waits for.
 *
 * Rows of a `pg_snapshot_xmin` horizon alone would not do: `xmax` is the latest *completed* id plus one, so a
 * running transaction with a newer id is in no list, and ordering by transaction id instead of row id would
 * break per-key order (a transaction can take its id before another that commits the same key first).
 * The cost: a read waits for every transaction that was writing this outbox at its fence, so a long
 * transaction that inserts early and commits late delays deliveries until it ends (never loses or reorders
 * them); transactions elsewhere do not.
 */
export function createOutboxHorizon(pool: pg.Pool, schema: string): OutboxHorizon {
  const table = `${quoteIdent(schema)}.${quoteIdent('outbox')}`.replaceAll("'", "''");
  // The key the outbox's insert trigger holds, shared, until the inserting transaction ends.
  const writerKey = `insert:${schema}`.replaceAll("'", "''");
  // Simple protocol (no parameters): several statements in one round trip, each with its own snapshot.
  const fenceSql = `BEGIN;
    SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('${table}', 'id')::regclass), 0)::text AS last;
    SELECT pg_current_xact_id()::text AS xid;
    ROLLBACK;
    SELECT pg_current_snapshot()::text AS snapshot;
    WITH locks AS MATERIALIZED (SELECT locktype, classid, objid, objsubid, virtualtransaction, transactionid FROM pg_locks)
    SELECT t.transactionid::text AS xid
    FROM locks w JOIN locks t ON t.virtualtransaction = w.virtualtransaction AND t.locktype = 'transactionid'
    WHERE w.locktype = 'advisory' AND w.objsubid = 2
      AND w.classid = hashtext('outbox-log')::oid AND w.objid = hashtext('${writerKey}')::oid;`;
  let safe = 0n;
  let pending: Fence[] = [];
  let running: Promise<bigint> | undefined;
  let queued: Promise<bigint> | undefined;

  async function takeFence(): Promise<bigint> {
    const client = await pool.connect();
    let results: pg.QueryResult[];
    try {
      results = (await client.query(fenceSql)) as unknown as pg.QueryResult[];
      client.release();
    } catch (err) {
      // A failure between BEGIN and ROLLBACK would leave the connection in an aborted transaction.
      client.release(err as Error);
      throw err;
    }
    const last = BigInt((results[1]!.rows[0] as { last: string }).last);
    const xid = BigInt((results[2]!.rows[0] as { xid: string }).xid);
    const snapshot = parseSnapshot((results[4]!.rows[0] as { snapshot: string }).snapshot);
    // pg_locks names transaction ids by their low 32 bits.
    const writers = new Set((results[5]!.rows as { xid: string }[]).map((r) => BigInt(r.xid)));
    // A fence that would not take `safe` beyond where it, or a fence already waiting, goes is not kept: an
    // outbox with no new ids has nothing to wait for, and its readers sleep instead of rechecking.
    const newest = pending.length ? pending[pending.length - 1]!.last : safe;
    if (last > newest) pending.push({ last, waitFor: [...snapshot.running].filter((x) => x < xid && writers.has(x & 0xffffffffn)) });
    // Behind a long transaction fences pile up; dropping one only delays `safe` (a later fence covers its
    // rows and waits for its transactions too), so keep the oldest, the closest to passing, and the newest.
    if (pending.length > MAX_PENDING_FENCES) pending.splice(1, 1);
    let passed = -1;
    pending.forEach((fence, i) => {
      if (fence.waitFor.every((x) => hasEnded(x, snapshot))) passed = i;
    });
    if (passed >= 0) {
      const fence = pending[passed]!;
      if (fence.last > safe) safe = fence.last;
      pending = pending.slice(passed + 1);
    }
    return safe;
  }

  function advance(): Promise<bigint> {
    if (!running) {
      running = takeFence().finally(() => (running = undefined));
      return running;
    }
    // A fence already under way may have read the sequence before the caller's rows were written.
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return advance();
      });
    return queued;
  }

  return {
    get safe() {
      return safe;
    },
    get isWaiting() {
      return pending.length > 0;
    },
    advance,
  };
}
