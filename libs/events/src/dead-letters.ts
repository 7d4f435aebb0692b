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

export interface DeadLetterStore {
  record(entry: { subscription: string; message: IncomingMessage; reason: string; error: string; attempts: number }): Promise<void>;
  list(options: { limit: number; afterId?: string; subscription?: string; includeReplayed?: boolean }): Promise<DeadLetter[]>;
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
      const data = typeof message.data === 'string' ? message.data : message.data.toString('utf8');
      await pool.query(
        `INSERT INTO ${table} (subscription, event_id, topic, attributes, data, reason, last_error, attempts)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
         ON CONFLICT (subscription, event_id) DO UPDATE SET
           reason = EXCLUDED.reason, last_error = EXCLUDED.last_error, attempts = EXCLUDED.attempts,
           data = EXCLUDED.data, attributes = EXCLUDED.attributes, dead_lettered_at = now(), replayed_at = NULL`,
        [
          subscription,
          message.attributes['event_id'] ?? null,
          message.attributes['event_type'] ?? null,
          JSON.stringify(message.attributes ?? {}),
          // A NUL byte cannot be stored in text; keep the rest of an undecodable message readable.
          data.replaceAll('\u0000', '\\u0000'),
          reason,
          error.slice(0, 4_000),
          attempts,
        ],
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
    async get(id) {
      const { rows } = await pool.query<DeadLetter>(`SELECT ${COLUMNS} FROM ${table} WHERE id = $1::bigint`, [id]);
      return rows[0];
    },
    async markReplayed(id) {
      await pool.query(`UPDATE ${table} SET replayed_at = now() WHERE id = $1::bigint`, [id]);
    },
  };
}
