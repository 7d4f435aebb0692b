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
export interface Snapshot {
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
 * A transaction id as `pg_locks` names it (its low 32 bits) made whole again, beside a snapshot taken after:
 * a transaction still running then lies within 2^31 of the snapshot's `xmax` (wraparound protection).
 */
export function fullTransactionId(low: bigint, snapshot: Snapshot): bigint {
  const span = 0x1_0000_0000n;
  let full = (snapshot.xmax / span) * span + low;
  if (full > snapshot.xmax + span / 2n) full -= span;
  else if (full < snapshot.xmax - span / 2n) full += span;
  return full;
}

/**
 * The visibility horizon of one outbox, the reason a reader never skips a row whose id is lower than one it
 * already read but whose transaction committed later (ids are taken at insert, rows appear at commit).
 *
 * The outbox's statement trigger (`outbox_log_xid_first`, see the migration) gives every inserting
 * transaction its transaction id and then a shared advisory lock, held until it ends, all before its rows
 * take their ids from the sequence. A fence is one round trip of three read-only statements, in this order:
 * 1. `L` = the sequence's last value: every id up to `L` has been handed out;
 * 2. the writers: the transactions holding that lock now (`pg_locks`), with their transaction ids;
 * 3. a snapshot.
 * A transaction that took an id up to `L` held the lock from before step 1 until it ends: if it has not
 * ended by step 2, it is among the writers. So once every writer of step 2 has ended (committed: its rows
 * are visible to every later statement; or rolled back: they never will be), no row with an id up to `L`
 * can still appear, and `safe` moves to `L`. Fences pass in the order they were taken (a writer one fence
 * waits for, if still running, is a writer of every later fence too), so `safe` only grows. Each writer
 * NOTIFYs at commit, so a waiting fence is usually released by the notification of the writer it waits for.
 *
 * A horizon of `pg_snapshot_xmin` over a transaction id stored per row would not do here: ordering rows by
 * transaction id breaks per-key order (a transaction can take its id before another that commits the same
 * key first), and ordering by row id needs exactly the "which ids can still appear" answer above.
 * The cost: a reader waits for the transactions writing this outbox when it looked, so one that inserts
 * early and commits late delays deliveries until it ends (never loses or reorders them); transactions that
 * do not write this outbox are not waited for.
 */
export function createOutboxHorizon(pool: pg.Pool, schema: string): OutboxHorizon {
  const table = `${quoteIdent(schema)}.${quoteIdent('outbox')}`.replaceAll("'", "''");
  // The key the outbox's insert trigger holds, shared, until the inserting transaction ends.
  const writerKey = `insert:${schema}`.replaceAll("'", "''");
  // Simple protocol (no parameters): several statements in one round trip, run in this order.
  const fenceSql = `
    SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('${table}', 'id')::regclass), 0)::text AS last;
    WITH locks AS MATERIALIZED (SELECT locktype, mode, classid, objid, objsubid, virtualtransaction, transactionid FROM pg_locks)
    SELECT t.transactionid::text AS xid
    FROM locks w JOIN locks t ON t.virtualtransaction = w.virtualtransaction AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock'
    WHERE w.locktype = 'advisory' AND w.objsubid = 2
      AND w.classid = hashtext('outbox-log')::oid AND w.objid = hashtext('${writerKey}')::oid;
    SELECT pg_current_snapshot()::text AS snapshot;`;
  let safe = 0n;
  let pending: Fence[] = [];
  let running: Promise<bigint> | undefined;
  let queued: Promise<bigint> | undefined;

  async function takeFence(): Promise<bigint> {
    const results = (await pool.query(fenceSql)) as unknown as pg.QueryResult[];
    const last = BigInt((results[0]!.rows[0] as { last: string }).last);
    const snapshot = parseSnapshot((results[2]!.rows[0] as { snapshot: string }).snapshot);
    const writers = (results[1]!.rows as { xid: string }[]).map((r) => fullTransactionId(BigInt(r.xid), snapshot)).filter((x) => !hasEnded(x, snapshot));
    // A fence that would not take `safe` beyond where it, or a fence already waiting, goes is not kept: an
    // outbox with no new ids has nothing to wait for, and its readers sleep instead of rechecking.
    const newest = pending.length ? pending[pending.length - 1]!.last : safe;
    if (last > newest) pending.push({ last, waitFor: writers });
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
