import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, dropDatabase, ensureDatabase, withDatabase } from '@shop/db';
import { startEmbeddedPostgres } from '@shop/testing/embedded-postgres';
import { STATEMENT_STATISTICS_SETTINGS, statementProfileWanted } from './statement-profile';

/** A fresh, migrated database for one benchmark run, and how to get rid of it. */
export interface BenchDatabase {
  url: string;
  server: string;
  /** The embedded server's data folder (to find its processes); undefined for a server given by DATABASE_URL. */
  dataDir: string | undefined;
  drop(): Promise<void>;
}

/**
 * Benchmarks run on a durable PostgreSQL (fsync on, as in production): embedded PostgreSQL 18 in a temporary
 * folder, or the server in DATABASE_URL, in a database of their own.
 */
export async function benchDatabase(name: string): Promise<BenchDatabase> {
  const external = process.env['DATABASE_URL'];
  const dataDir = external ? undefined : join(tmpdir(), `shop-bench-${randomBytes(4).toString('hex')}`);
  const server = !dataDir
    ? { url: external!, stop: async () => undefined, label: 'DATABASE_URL' }
    : await startEmbeddedPostgres({ dataDir, persistent: false, durable: true, ...(statementProfileWanted() ? { settings: STATEMENT_STATISTICS_SETTINGS } : {}) }).then(
        (s) => ({ ...s, label: 'embedded PostgreSQL 18 (fsync on)' }),
      );
  const database = `bench_${name}_${Date.now().toString(36)}`;
  await ensureDatabase(server.url, database);
  const url = withDatabase(server.url, database);
  await applyMigrations(url);
  return {
    url,
    server: server.label,
    dataDir,
    async drop() {
      await dropDatabase(server.url, database);
      await server.stop();
    },
  };
}

/** The q-quantile of `values` (0 ≤ q ≤ 1), nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
