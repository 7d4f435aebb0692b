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
  /** When it was taken (ms): one kept waiting this long stops waiting for transactions that write elsewhere. */
  takenAt: number;
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
 * A transaction id as `pg_locks` and `pg_stat_get_activity` name it (its low 32 bits) made whole again,
 * beside a snapshot taken after: a transaction still running then lies within 2^31 of the snapshot's `xmax`
 * (wraparound protection).
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
 * 2. the transactions that have a transaction id now, the database's and all others' (`pg_stat_get_activity`);
 * 3. a snapshot.
 * A transaction that took an id up to `L` had its transaction id before step 1, so if it has not ended by
 * step 2 it is among them. Once every one of those has ended (committed: its rows are visible to every later
 * statement; or rolled back: they never will be), no row with an id up to `L` can still appear, and `safe`
 * moves to `L`. Fences pass in the order they were taken (a transaction one fence waits for, if still
 * running, is running for every later fence too), so `safe` only grows. Writers NOTIFY at commit, so a
 * waiting fence is usually released by the notification of a writer it waits for.
 *
 * The snapshot of step 3 alone would not do: its running list stops at `xmax`, which is one past the newest
 * transaction that has ENDED, so a younger one still running is in no list at all.
 *
 * Step 2 waits for transactions that write elsewhere too. Most end within milliseconds; for one that does
 * not, a fence that has waited `narrowAfterMs` asks who writes this outbox (`pg_locks`: the transactions
 * holding the trigger's lock) and stops waiting for the others. That is safe: a transaction that took an id
 * up to a fence's `L` took the lock before, and holds it until it ends, so one running without it took none.
 * Asking `pg_locks` at every fence, as this did before, cost PostgreSQL more than the reads and position
 * moves together in bench:flash-sale: it gathers every lock of every backend, about ten times the work of
 * step 2 with a hundred busy connections. Now only a fence kept waiting pays it.
 *
 * A horizon of `pg_snapshot_xmin` over a transaction id stored per row would not do here: ordering rows by
 * transaction id breaks per-key order (a transaction can take its id before another that commits the same
 * key first), and ordering by row id needs exactly the "which ids can still appear" answer above.
 * The cost: a reader waits for the transactions writing this outbox when it looked, so one that inserts
 * early and commits late delays deliveries until it ends (never loses or reorders them); other transactions
 * delay it by about `narrowAfterMs` at most.
 */
export function createOutboxHorizon(pool: pg.Pool, schema: string, options: { narrowAfterMs?: number } = {}): OutboxHorizon {
  const narrowAfterMs = options.narrowAfterMs ?? 100;
  const table = `${quoteIdent(schema)}.${quoteIdent('outbox')}`.replaceAll("'", "''");
  // The key the outbox's insert trigger holds, shared, until the inserting transaction ends.
  const writerKey = `insert:${schema}`.replaceAll("'", "''");
  // Simple protocol (no parameters): several statements in one round trip, run in this order, each with a
  // snapshot of its own (read committed).
  const fenceSql = `
    SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('${table}', 'id')::regclass), 0)::text AS last;
    SELECT a.backend_xid::text AS xid FROM pg_stat_get_activity(NULL) a WHERE a.backend_xid IS NOT NULL;
    SELECT pg_current_snapshot()::text AS snapshot;`;
  // The writers of this outbox now, then a snapshot taken after.
  const writersSql = `
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
  let narrowedAt = 0;

  /** Drops from every pending fence the transactions that are running but do not write this outbox. */
  async function narrow(): Promise<void> {
    const results = (await pool.query(writersSql)) as unknown as pg.QueryResult[];
    const snapshot = parseSnapshot((results[1]!.rows[0] as { snapshot: string }).snapshot);
    const writers = new Set((results[0]!.rows as { xid: string }[]).map((r) => fullTransactionId(BigInt(r.xid), snapshot)));
    for (const fence of pending) fence.waitFor = fence.waitFor.filter((x) => writers.has(x) || hasEnded(x, snapshot));
  }

  /** Moves `safe` past the newest fence whose transactions have all ended by `snapshot`. */
  function pass(snapshot: Snapshot): void {
    let passed = -1;
    pending.forEach((fence, i) => {
      if (fence.waitFor.every((x) => hasEnded(x, snapshot))) passed = i;
    });
    if (passed >= 0) {
      const fence = pending[passed]!;
      if (fence.last > safe) safe = fence.last;
      pending = pending.slice(passed + 1);
    }
  }

  async function takeFence(): Promise<bigint> {
    const results = (await pool.query(fenceSql)) as unknown as pg.QueryResult[];
    const last = BigInt((results[0]!.rows[0] as { last: string }).last);
    const snapshot = parseSnapshot((results[2]!.rows[0] as { snapshot: string }).snapshot);
    const running = (results[1]!.rows as { xid: string }[]).map((r) => fullTransactionId(BigInt(r.xid), snapshot)).filter((x) => !hasEnded(x, snapshot));
    // A fence that would not take `safe` beyond where it, or a fence already waiting, goes is not kept: an
    // outbox with no new ids has nothing to wait for, and its readers sleep instead of rechecking.
    const newest = pending.length ? pending[pending.length - 1]!.last : safe;
    if (last > newest) pending.push({ last, waitFor: running, takenAt: Date.now() });
    // Behind a long transaction fences pile up; dropping one only delays `safe` (a later fence covers its
    // rows and waits for its transactions too), so keep the oldest, the closest to passing, and the newest.
    if (pending.length > MAX_PENDING_FENCES) pending.splice(1, 1);
    pass(snapshot);
    const oldest = pending[0];
    const now = Date.now();
    // At most once per `narrowAfterMs`: behind a long transaction, every recheck would scan pg_locks again.
    if (oldest && now - oldest.takenAt >= narrowAfterMs && now - narrowedAt >= narrowAfterMs) {
      narrowedAt = now;
      await narrow();
      pass(snapshot);
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
