import type pg from 'pg';
import type { PrismaClient } from './client';
import { enclosingTransaction } from './transaction';

/** One SQL statement of a hot path: named, so each connection parses and plans it once. */
export interface Statement {
  /** Unique per text: PostgreSQL keeps the prepared statement per connection under this name. */
  name: string;
  text: string;
}

/** Runs one statement and resolves with its rows (node-postgres' shapes: `json` parsed, `int4` a number). */
export type RunStatement = <Row>(statement: Statement, values: readonly unknown[]) => Promise<Row[]>;

/**
 * A hot path's way to the database: ONE round trip per statement. On the pool, a statement is its own
 * transaction (autocommit), with no BEGIN/COMMIT around it and none of an ORM's per-query work. Inside
 * `joiningTransactions` of `prisma` (a request with an Idempotency-Key, whose stored answer must commit with
 * what the request wrote) it runs in that transaction instead, through Prisma.
 */
export function statementRunner(prisma: PrismaClient, pool: pg.Pool): RunStatement {
  return async function runStatement<Row>(statement: Statement, values: readonly unknown[]): Promise<Row[]> {
    const tx = enclosingTransaction(prisma);
    if (tx) return tx.$queryRawUnsafe<Row[]>(statement.text, ...values);
    const result = await pool.query({ name: statement.name, text: statement.text, values: values as unknown[] });
    return result.rows as Row[];
  };
}
