import { Prisma } from './client';
import { quoteIdent } from './database-url';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * `schema.table` of a read model, quoted, for raw SQL. Only code constants reach it; the check makes a
 * misuse fail when the service starts rather than become part of a statement.
 */
export function readModelTable(schema: string, table: string): Prisma.Sql {
  if (!IDENTIFIER.test(schema) || !IDENTIFIER.test(table)) throw new Error(`Not a plain identifier: ${schema}.${table}`);
  return Prisma.raw(`${quoteIdent(schema)}.${quoteIdent(table)}`);
}
