import type pg from 'pg';
import { quoteIdent } from '@shop/db';

/** One outbox row a relay leased for one publish attempt. */
export interface LeasedOutboxRow {
  rowId: string;
  eventId: string;
  topic: string;
  orderingKey: string;
  attributes: Record<string, string>;
  payload: unknown;
  /** Refusals counted so far (the transport answered, and refused this row). */
  attempts: number;
  /** The lease's end as the claim wrote it: later writes about this attempt match on it. */
  lease: string;
}

/** The lease-based claims on one service's outbox (see `outboxLeases`). */
export interface OutboxLeases {
  /** Leases up to `limit` rows that may be published now, in id order, for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<LeasedOutboxRow[]>;
  /** The transport acknowledged these rows: published, and no longer leased (a row set unpublished by hand is free at once). */
  markPublished(rowIds: readonly string[]): Promise<void>;
  /**
   * The transport, reachable, refused this row: counts the refusal, holds the row (and so its key) back
   * for `retryInMs`, and sets it aside at the `maxAttempts`-th refusal. Returns whether it was set aside.
   */
  markRefused(row: LeasedOutboxRow, options: { error: string; retryInMs: number; maxAttempts: number }): Promise<boolean>;
  /** Gives the rows back at once, uncounted (an outage, or rows after a refused one); `error` goes on the first. */
  release(rows: readonly LeasedOutboxRow[], error?: string): Promise<void>;
}

/**
 * Leases on a service's outbox rows, so a relay publishes with no transaction open. A row may be claimed
 * when it is unpublished, not set aside, its lease (or backoff) is over, and no earlier row of its ordering
 * key is held (leased elsewhere, backing off, or set aside): per-key order holds across relays, while a
 * held key holds back only its own rows. Claims are serialised by a transaction-scoped advisory lock, and
 * the claiming UPDATE runs after it with a snapshot of its own, so it sees every lease committed before it;
 * the claim is one round trip and the lock ends with it (never `idle in transaction`).
 */
export function outboxLeases(pool: pg.Pool, schema: string): OutboxLeases {
  const table = `${quoteIdent(schema)}.outbox`;
  const lockKey = `outbox-claim:${schema}`.replaceAll("'", "''");

  return {
    async claim(limit, leaseMs) {
      const rowLimit = Math.max(1, Math.trunc(limit));
      const leaseSeconds = Math.max(0.001, leaseMs / 1000);
      // One simple-protocol query holding two statements: PostgreSQL runs them in one implicit transaction
      // (the lock lasts until the UPDATE commits), and each statement takes its own snapshot.
      const results = (await pool.query(
        `SELECT pg_advisory_xact_lock(hashtext('${lockKey}'));
         WITH lease AS MATERIALIZED (SELECT clock_timestamp() + make_interval(secs => ${leaseSeconds}) AS until)
         UPDATE ${table} t SET leased_until = lease.until
         FROM lease, (
           SELECT o.id FROM ${table} o
           WHERE o.published_at IS NULL AND o.set_aside_at IS NULL AND (o.leased_until IS NULL OR o.leased_until <= now())
             AND NOT EXISTS (
               SELECT 1 FROM ${table} e
               WHERE e.published_at IS NULL AND e.leased_until IS NOT NULL
                 AND e.ordering_key = o.ordering_key AND e.id < o.id
                 AND (e.leased_until > now() OR e.set_aside_at IS NOT NULL))
           ORDER BY o.id LIMIT ${rowLimit}) due
         WHERE t.id = due.id
         RETURNING t.id::text AS row_id, t.event_id::text AS event_id, t.topic, t.ordering_key, t.attributes, t.payload,
                   t.attempts, t.leased_until::text AS lease`,
      )) as unknown as pg.QueryResult[];
      const rows = results[1]!.rows as {
        row_id: string;
        event_id: string;
        topic: string;
        ordering_key: string;
        attributes: Record<string, string>;
        payload: unknown;
        attempts: number;
        lease: string;
      }[];
      return rows
        .map((r) => ({
          rowId: r.row_id,
          eventId: r.event_id,
          topic: r.topic,
          orderingKey: r.ordering_key,
          attributes: r.attributes,
          payload: r.payload,
          attempts: r.attempts,
          lease: r.lease,
        }))
        .sort((a, b) => (BigInt(a.rowId) < BigInt(b.rowId) ? -1 : 1));
    },
    async markPublished(rowIds) {
      if (rowIds.length === 0) return;
      await pool.query(`UPDATE ${table} SET published_at = now(), leased_until = NULL WHERE id = ANY($1::bigint[]) AND published_at IS NULL`, [rowIds]);
    },
    async markRefused(row, { error, retryInMs, maxAttempts }) {
      // Only while the lease is still this attempt's: after it expired, another relay may own the row.
      const { rows } = await pool.query<{ set_aside: boolean }>(
        `UPDATE ${table} SET attempts = attempts + 1, last_error = $3,
           leased_until = clock_timestamp() + make_interval(secs => $4),
           set_aside_at = CASE WHEN attempts + 1 >= $5 THEN now() END
         WHERE id = $1::bigint AND leased_until = $2::timestamptz AND published_at IS NULL
         RETURNING set_aside_at IS NOT NULL AS set_aside`,
        [row.rowId, row.lease, error.slice(0, 2_000), retryInMs / 1000, maxAttempts],
      );
      return rows[0]?.set_aside === true;
    },
    async release(rows, error) {
      if (rows.length === 0) return;
      await pool.query(
        `UPDATE ${table} t SET leased_until = NULL, last_error = CASE WHEN t.id = $3::bigint AND $4::text IS NOT NULL THEN $4 ELSE t.last_error END
         FROM unnest($1::bigint[], $2::timestamptz[]) AS r(id, lease)
         WHERE t.id = r.id AND t.leased_until = r.lease AND t.published_at IS NULL`,
        [rows.map((r) => r.rowId), rows.map((r) => r.lease), rows[0]!.rowId, error?.slice(0, 2_000) ?? null],
      );
    },
  };
}
