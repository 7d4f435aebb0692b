import type { PrismaClient } from './client';
import { quoteIdent } from './database-url';
import { inTransaction, joiningTransactions, sqlState, type Tx } from './transaction';

/** A stored answer to a request made with an `Idempotency-Key`. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a request's work produced: its value, and the answer to keep for repeats (none: undo everything). */
export interface IdempotentAttempt<T> {
  value: T;
  keep: StoredResponse | undefined;
}

export type IdempotentOutcome<T> =
  | { kind: 'ran'; value: T }
  | { kind: 'replay'; requestHash: string; response: StoredResponse }
  | { kind: 'in_progress' };

/** Storage for idempotency keys; `libs/http`'s middleware speaks to this shape. */
export interface IdempotencyStore {
  /**
   * Runs `work` for a key no request has answered yet, at most one at a time. The answer `work` keeps is
   * written in the same transaction as everything `work` writes through `inTransaction`: after a crash either
   * both exist (a repeat replays the answer) or neither does (a repeat runs the request). A repeat waits up to a
   * second for a request that holds the key, then is `in_progress`; a request whose process died holds nothing
   * (its transaction is gone), so a repeat runs at once.
   */
  runOnce<T>(scope: string, key: string, requestHash: string, work: () => Promise<IdempotentAttempt<T>>): Promise<IdempotentOutcome<T>>;
}

// Rows without an answer are claims committed by the previous version of this store (during a rolling
// deploy). Such a claim older than this belongs to a request whose process died; a request may take it over.
const LEGACY_CLAIM_SECONDS = 60;

// How long a repeat waits for the request that holds its key before it is told to retry (409).
const KEY_WAIT_MS = 1_000;

// Thrown out of a transaction the lock wait aborted.
class KeyBusy extends Error {}

// Thrown out of the transaction to roll it back, carrying what the work answered.
class Undone {
  constructor(readonly value: unknown) {}
}

/** The `idempotency_keys` table in a service's own schema, written in the transactions of `prisma`. */
export function createIdempotencyStore(prisma: PrismaClient, schema: string): IdempotencyStore {
  const table = `${quoteIdent(schema)}.idempotency_keys`;
  return {
    async runOnce<T>(scope: string, key: string, requestHash: string, work: () => Promise<IdempotentAttempt<T>>): Promise<IdempotentOutcome<T>> {
      try {
        return await inTransaction(prisma, async (tx) => {
          // The lock is the claim: it lives exactly as long as the transaction that runs the request, so a crash
          // frees it at once and a slow request keeps it however long it takes. Read committed: the row read
          // after taking it shows what the previous holder committed (a replay, or a 422 for another body).
          if (!(await lockKey(tx, schema, scope, key))) throw new KeyBusy();
          const rows = await tx.$queryRawUnsafe<{ request_hash: string; status_code: number | null; headers: Record<string, string> | null; body: string | null; is_stale: boolean }[]>(
            `SELECT request_hash, status_code, headers, body, created_at < now() - make_interval(secs => ${LEGACY_CLAIM_SECONDS}) AS is_stale
               FROM ${table} WHERE scope = $1 AND key = $2`,
            scope,
            key,
          );
          const row = rows[0];
          if (row && row.status_code !== null) {
            return {
              kind: 'replay' as const,
              requestHash: row.request_hash,
              response: { status: row.status_code, headers: row.headers ?? {}, body: row.body ?? '' },
            };
          }
          if (row && !row.is_stale) return { kind: 'in_progress' as const };
          // The claim row, uncommitted until the answer is in it: the previous version, still serving during a
          // rolling deploy, waits on it instead of running the request beside this one.
          await tx.$executeRawUnsafe(
            `INSERT INTO ${table} (scope, key, request_hash) VALUES ($1, $2, $3)
             ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()`,
            scope,
            key,
            requestHash,
          );
          const attempt = await joiningTransactions(prisma, tx, work);
          if (!attempt.keep) throw new Undone(attempt.value);
          const { status, headers, body } = attempt.keep;
          await tx.$executeRawUnsafe(
            `UPDATE ${table} SET status_code = $3, headers = $4::jsonb, body = $5 WHERE scope = $1 AND key = $2`,
            scope,
            key,
            status,
            JSON.stringify(headers),
            body,
          );
          return { kind: 'ran' as const, value: attempt.value };
        });
      } catch (err) {
        // The value of work that must leave nothing behind (a refusal): the transaction was rolled back.
        if (err instanceof Undone) return { kind: 'ran', value: err.value as T };
        if (err instanceof KeyBusy) return { kind: 'in_progress' };
        throw err;
      }
    },
  };
}

/**
 * Takes a transaction-scoped advisory lock on the key, waiting at most `KEY_WAIT_MS` for the request that holds
 * it (usually done in milliseconds, after which its answer is there to replay); false when it is still held.
 */
async function lockKey(tx: Tx, schema: string, scope: string, key: string): Promise<boolean> {
  const [{ previous } = { previous: '0' }] = await tx.$queryRawUnsafe<{ previous: string }[]>(`SELECT current_setting('lock_timeout') AS previous`);
  await tx.$queryRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, `${KEY_WAIT_MS}ms`);
  try {
    await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text`, `idempotency_keys\n${schema}\n${scope}\n${key}`);
  } catch (err) {
    // 55P03 lock_not_available: the wait ran out. The transaction is aborted; the caller leaves it.
    if (sqlState(err) === '55P03') return false;
    throw err;
  }
  // The request's own statements wait for locks as long as they always did.
  await tx.$queryRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, previous);
  return true;
}
