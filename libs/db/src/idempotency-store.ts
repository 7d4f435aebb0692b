import type pg from 'pg';
import { quoteIdent } from './database-url';

/** A stored answer to a request made with an `Idempotency-Key`. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'replay'; requestHash: string; response: StoredResponse }
  | { kind: 'in_progress'; requestHash: string };

/** Storage for idempotency keys; `libs/http`'s middleware speaks to this shape. */
export interface IdempotencyStore {
  /** Claims `key` for a new request, or reports what an earlier request with it left behind. */
  claim(scope: string, key: string, requestHash: string): Promise<ClaimResult>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Frees a claim whose request failed, so that a retry may run it again. */
  release(scope: string, key: string): Promise<void>;
}

// A claim older than this belongs to a request whose process died; a retry may take it over.
const STALE_CLAIM_SECONDS = 60;

/** The `idempotency_keys` table in a service's own schema. */
export function createIdempotencyStore(pool: pg.Pool, schema: string): IdempotencyStore {
  const table = `${quoteIdent(schema)}.idempotency_keys`;
  return {
    async claim(scope, key, requestHash) {
      const inserted = await pool.query(
        `INSERT INTO ${table} (scope, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
           WHERE ${table}.status_code IS NULL
             AND ${table}.created_at < now() - make_interval(secs => ${STALE_CLAIM_SECONDS})
         RETURNING 1`,
        [scope, key, requestHash],
      );
      if (inserted.rowCount) return { kind: 'claimed' };
      const { rows } = await pool.query<{ request_hash: string; status_code: number | null; headers: Record<string, string> | null; body: string | null }>(
        `SELECT request_hash, status_code, headers, body FROM ${table} WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      const row = rows[0];
      // Released between our insert and this read: claim again.
      if (!row) return this.claim(scope, key, requestHash);
      if (row.status_code === null) return { kind: 'in_progress', requestHash: row.request_hash };
      return {
        kind: 'replay',
        requestHash: row.request_hash,
        response: { status: row.status_code, headers: row.headers ?? {}, body: row.body ?? '' },
      };
    },
    async complete(scope, key, response) {
      await pool.query(
        `UPDATE ${table} SET status_code = $3, headers = $4, body = $5 WHERE scope = $1 AND key = $2`,
        [scope, key, response.status, JSON.stringify(response.headers), response.body],
      );
    },
    async release(scope, key) {
      await pool.query(`DELETE FROM ${table} WHERE scope = $1 AND key = $2 AND status_code IS NULL`, [scope, key]);
    },
  };
}
