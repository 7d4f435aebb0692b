import type pg from 'pg';
import { quoteIdent } from '@shop/db';
import type { DeadLetter } from './dead-letters';
import { outboxChannel } from './outbox';

/** Ids of set-aside outbox rows in the dead-letter list: `outbox-<row id>`, never a consumer dead letter's number. */
export const OUTBOX_DEAD_LETTER_PREFIX = 'outbox-';
/** The `subscription` a set-aside outbox row is listed under (no subscription name is a bare word). */
export const OUTBOX_DEAD_LETTER_SUBSCRIPTION = 'outbox';

/** The outbox rows the transport kept refusing, as the dead-letter routes show and replay them. */
export interface OutboxDeadLetters {
  /** Set-aside rows in id order, after `afterRowId` (a bare row id). */
  list(options: { limit: number; afterRowId?: string }): Promise<DeadLetter[]>;
  get(rowId: string): Promise<DeadLetter | undefined>;
  /**
   * Puts a set-aside row back to pending with its refusals forgotten, and wakes the relay; its key's later
   * rows follow it in order. Returns the row as it was set aside, with `replayed_at`; undefined when no
   * such row is set aside.
   */
  replay(rowId: string): Promise<DeadLetter | undefined>;
}

/** The row id inside an `outbox-<id>` dead-letter id, or undefined for a consumer dead letter's id. */
export function outboxRowIdOf(deadLetterId: string): string | undefined {
  return deadLetterId.startsWith(OUTBOX_DEAD_LETTER_PREFIX) ? deadLetterId.slice(OUTBOX_DEAD_LETTER_PREFIX.length) : undefined;
}

const AT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const COLUMNS = `'${OUTBOX_DEAD_LETTER_PREFIX}' || id AS id, '${OUTBOX_DEAD_LETTER_SUBSCRIPTION}' AS subscription,
  event_id::text AS event_id, topic, attributes, payload::text AS data, 'publish_refused' AS reason,
  COALESCE(last_error, '') AS last_error, attempts, ${AT('set_aside_at')} AS dead_lettered_at`;

/** The set-aside rows of one service's outbox (see `startRelay`). */
export function createOutboxDeadLetters(pool: pg.Pool, schema: string): OutboxDeadLetters {
  const table = `${quoteIdent(schema)}.outbox`;
  // The predicate of outbox_held_idx is part of the filter, so the few held rows are all that is read.
  const setAside = `published_at IS NULL AND leased_until IS NOT NULL AND set_aside_at IS NOT NULL`;
  return {
    async list({ limit, afterRowId }) {
      const { rows } = await pool.query<DeadLetter>(
        `SELECT ${COLUMNS}, NULL AS replayed_at FROM ${table}
         WHERE ${setAside} AND ($2::bigint IS NULL OR id > $2::bigint) ORDER BY id LIMIT $1`,
        [limit, afterRowId ?? null],
      );
      return rows;
    },
    async get(rowId) {
      const { rows } = await pool.query<DeadLetter>(`SELECT ${COLUMNS}, NULL AS replayed_at FROM ${table} WHERE ${setAside} AND id = $1::bigint`, [rowId]);
      return rows[0];
    },
    async replay(rowId) {
      const { rows } = await pool.query<DeadLetter>(
        `WITH replayed AS (
           UPDATE ${table} t SET set_aside_at = NULL, leased_until = NULL, attempts = 0
           FROM (SELECT * FROM ${table} WHERE ${setAside} AND id = $1::bigint FOR UPDATE) before
           WHERE t.id = before.id
           RETURNING before.*
         ), woken AS (SELECT pg_notify($2, '') FROM replayed)
         SELECT ${COLUMNS}, ${AT('now()')} AS replayed_at FROM replayed, (SELECT count(*) FROM woken) w`,
        [rowId, outboxChannel(schema)],
      );
      return rows[0];
    },
  };
}
