import type { PrismaClient } from './client';
import { quoteIdent } from './database-url';
import type { Tx } from './transaction';

type Client = PrismaClient | Tx;

/**
 * A table of work attempted under leases. Its rows have a uuid key, a `status` that is `'pending'` until the
 * work is finished, `next_attempt_at` (when it is due), `locked_until` (the lease of the worker attempting
 * it), `attempts` (counted at each claim: the worker finishing an attempt writes only while it still equals
 * the count it claimed) and `updated_at`.
 */
export interface LeasedTable {
  schema: string;
  table: string;
  /** The uuid key column. */
  key: string;
}

/** The claims of a leased table's rows (see `leasedRows`). */
export interface LeasedRows<Row> {
  /**
   * Claims up to `limit` due rows for one attempt each: counts the attempt and leases the row for `leaseMs`.
   * SKIP LOCKED lets several workers claim side by side; an unexpired lease keeps a row in flight elsewhere
   * from being attempted twice, and an expired one (its worker died) makes it due again.
   */
  claimDue(db: Client, options: { limit: number; leaseMs: number }): Promise<Row[]>;
  /** Claims one pending row now, whatever its schedule, unless another worker holds its lease. */
  claim(db: Client, key: string, leaseMs: number): Promise<Row | undefined>;
  /**
   * Milliseconds until the next pending row falls due (its retry time, or the end of an unexpired lease), by
   * the database's clock, which is the one claims compare with; null when nothing is pending.
   */
  nextDueInMs(db: Client): Promise<number | null>;
}

/**
 * The claims of one leased table. Rows come back as the table's Prisma model reads them: each snake_case
 * column under its name in camelCase (`next_attempt_at` as `nextAttemptAt`), the fields its `@map`s name.
 */
export function leasedRows<Row>(spec: LeasedTable): LeasedRows<Row> {
  const table = `${quoteIdent(spec.schema)}.${quoteIdent(spec.table)}`;
  const key = quoteIdent(spec.key);
  const claimed = `attempts = t.attempts + 1, locked_until = now() + make_interval(secs => $2), updated_at = now()`;
  const isFree = `(locked_until IS NULL OR locked_until <= now())`;

  return {
    async claimDue(db, options) {
      const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(
        `UPDATE ${table} t SET ${claimed}
         FROM (SELECT ${key} FROM ${table}
               WHERE status = 'pending' AND next_attempt_at <= now() AND ${isFree}
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE t.${key} = due.${key}
         RETURNING t.*`,
        options.limit,
        options.leaseMs / 1000,
      );
      return rows.map((row) => camelCased<Row>(row));
    },
    async claim(db, id, leaseMs) {
      const rows = await db.$queryRawUnsafe<Record<string, unknown>[]>(
        `UPDATE ${table} t SET ${claimed}
         WHERE t.${key} = $1::uuid AND t.status = 'pending' AND ${isFree}
         RETURNING t.*`,
        id,
        leaseMs / 1000,
      );
      return rows[0] && camelCased<Row>(rows[0]);
    },
    async nextDueInMs(db) {
      const rows = await db.$queryRawUnsafe<{ ms: number | null }[]>(
        `SELECT (EXTRACT(EPOCH FROM min(GREATEST(next_attempt_at, COALESCE(locked_until, next_attempt_at))) - now()) * 1000)::float8 AS ms
         FROM ${table} WHERE status = 'pending'`,
      );
      return rows[0]?.ms ?? null;
    },
  };
}

/** The row under its model's field names: mapped here, once, so callers never see a column name. */
function camelCased<Row>(row: Record<string, unknown>): Row {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), value])) as Row;
}
