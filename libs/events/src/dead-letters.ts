import type pg from 'pg';
import { quoteIdent } from '@shop/db';
import type { IncomingMessage } from './types';

/** A message that could not be handled, as an admin sees it. */
export interface DeadLetter {
  id: string;
  subscription: string;
  event_id: string | null;
  topic: string | null;
  attributes: Record<string, string>;
  data: string;
  reason: string;
  last_error: string;
  attempts: number;
  dead_lettered_at: string;
  replayed_at: string | null;
}

/** Which dead letters a bulk replay takes: those of a topic, those dead-lettered since a moment, or both. */
export interface ReplayFilter {
  topic?: string | undefined;
  /** RFC 3339; dead letters recorded at or after it. */
  since?: string | undefined;
}

export interface DeadLetterStore {
  /** Keeps a message this service gave up on; recording it again updates its row (and makes it replayable again). */
  record(entry: { subscription: string; message: IncomingMessage; reason: string; error: string; attempts: number }): Promise<void>;
  /**
   * Keeps a message that reached the service from outside its consumer (Pub/Sub's dead-letter topic). The
   * same message arriving again, or one the consumer already recorded (replayed or not), changes nothing:
   * Pub/Sub delivers at least once, and a copy must not bring back a dead letter already replayed.
   */
  recordOnce(entry: { subscription: string; message: IncomingMessage; reason: string; error: string; attempts: number }): Promise<void>;
  list(options: { limit: number; afterId?: string; subscription?: string; includeReplayed?: boolean }): Promise<DeadLetter[]>;
  /** Not yet replayed dead letters matching `filter`, oldest first, a page of `limit` after `afterId`. */
  listReplayable(filter: ReplayFilter & { limit: number; afterId?: string }): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  markReplayed(id: string): Promise<void>;
}

const COLUMNS = `id::text, subscription, event_id, topic, attributes, data, reason, last_error, attempts,
  to_char(dead_lettered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS dead_lettered_at,
  to_char(replayed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS replayed_at`;

/** The `dead_letters` table of one service. Recording the same message again updates its row. */
export function createDeadLetterStore(pool: pg.Pool, schema: string): DeadLetterStore {
  const table = `${quoteIdent(schema)}.dead_letters`;
  return {
    async record({ subscription, message, reason, error, attempts }) {
      await pool.query(
        `INSERT INTO ${table} (subscription, event_id, topic, attributes, data, reason, last_error, attempts)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
         ON CONFLICT (subscription, event_id) DO UPDATE SET
           reason = EXCLUDED.reason, last_error = EXCLUDED.last_error, attempts = EXCLUDED.attempts,
           data = EXCLUDED.data, attributes = EXCLUDED.attributes, dead_lettered_at = now(), replayed_at = NULL`,
        rowOf(subscription, message, reason, error, attempts),
      );
    },
    async recordOnce({ subscription, message, reason, error, attempts }) {
      // The unique (subscription, event_id) index cannot tell two copies apart without an event id (NULLs
      // are distinct): then the same attributes and data are the same message. Two such copies arriving at
      // the same instant could both be kept; a message without an event id is a broken one anyway.
      await pool.query(
        `INSERT INTO ${table} (subscription, event_id, topic, attributes, data, reason, last_error, attempts)
         SELECT $1, $2, $3, $4::jsonb, $5, $6, $7, $8
         WHERE $2::text IS NOT NULL OR NOT EXISTS (
           SELECT 1 FROM ${table} WHERE subscription = $1 AND event_id IS NULL AND attributes = $4::jsonb AND data = $5)
         ON CONFLICT (subscription, event_id) DO NOTHING`,
        rowOf(subscription, message, reason, error, attempts),
      );
    },
    async list({ limit, afterId, subscription, includeReplayed }) {
      const { rows } = await pool.query<DeadLetter>(
        `SELECT ${COLUMNS} FROM ${table}
         WHERE ($2::bigint IS NULL OR id > $2::bigint) AND ($3::text IS NULL OR subscription = $3)
           AND ($4 OR replayed_at IS NULL)
         ORDER BY id LIMIT $1`,
        [limit, afterId ?? null, subscription ?? null, includeReplayed ?? false],
      );
      return rows;
    },
    async listReplayable({ topic, since, limit, afterId }) {
      const { rows } = await pool.query<DeadLetter>(
        `SELECT ${COLUMNS} FROM ${table}
         WHERE replayed_at IS NULL AND ($2::bigint IS NULL OR id > $2::bigint)
           AND ($3::text IS NULL OR topic = $3) AND ($4::timestamptz IS NULL OR dead_lettered_at >= $4::timestamptz)
         ORDER BY id LIMIT $1`,
        [limit, afterId ?? null, topic ?? null, since ?? null],
      );
      return rows;
    },
    async get(id) {
      const { rows } = await pool.query<DeadLetter>(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1::bigint`, [id]);
      return rows[0];
    },
    async markReplayed(id) {
      await pool.query(`UPDATE ${table} SET replayed_at = now() WHERE id = $1::bigint`, [id]);
    },
  };
}

/** The parameters $1–$8 of a `dead_letters` insert. */
function rowOf(subscription: string, message: IncomingMessage, reason: string, error: string, attempts: number): unknown[] {
  const data = typeof message.data === 'string' ? message.data : message.data.toString('utf8');
  return [
    subscription,
    message.attributes['event_id'] ?? null,
    message.attributes['event_type'] ?? null,
    JSON.stringify(message.attributes ?? {}),
    // A NUL byte cannot be stored in text; keep the rest of an undecodable message readable.
    data.replaceAll('\u0000', '\\u0000'),
    reason,
    error.slice(0, 4_000),
    attempts,
  ];
}
