export { createDatabase, Prisma, type Database, type DatabaseOptions, type PrismaClient } from './client';
export { statementRunner, type RunStatement, type Statement } from './statement';
export { enclosingTransaction, inTransaction, onBeforeCommit, isRetryable, isUniqueViolation, sqlState, type Tx, type TransactionOptions } from './transaction';
export { applyMigrations, readMigrations, MigrationError, MIGRATIONS_DIR, type Migration } from './migrate';
export { quoteIdent, withDatabase } from './database-url';
export { dropDatabase, ensureDatabase, withClient } from './database-admin';
export { leasedRows, type LeasedRows, type LeasedTable } from './leased-rows';
export {
  createIdempotencyStore,
  type IdempotencyStore,
  type IdempotentAttempt,
  type IdempotentOutcome,
  type StoredResponse,
} from './idempotency-store';
export {
  customerReadModel,
  type CustomerFacts,
  type CustomerReadModel,
  type CustomerReadModelOptions,
} from './customer-read-model';
export { productReadModel, type ProductFacts, type ProductReadModel, type ProductReadModelOptions } from './product-read-model';
export { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable';
