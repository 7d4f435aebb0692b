import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';

export type { PrismaClient };
export { Prisma } from './generated/prisma/client';

/** A service's database handle: one pg pool, shared by Prisma and by the raw SQL of the shared libs. */
export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** Resolves when the database answers a trivial query, on a connection of its own (not queued behind the pool's work); used by `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Connections in the pool; Cloud Run instances keep this small so Cloud SQL's limit holds. */
  poolMax?: number;
  applicationName?: string;
  onError?: (err: Error) => void;
  /** How long a query waits for a connection, queue included (default 5 s). */
  connectTimeoutMs?: number;
  /** A connection beyond the one the pool keeps is closed after this long unused (default 10 s, pg's own). */
  idleTimeoutMs?: number;
}

/** Opens a pool and a Prisma client over it (Prisma 7's pg driver adapter: no native engine). */
export function createDatabase(url: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    application_name: options.applicationName,
    // Fail fast when the server is gone instead of queueing forever: readiness must be able to say no.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
    // One connection stays open while idle. The relay's and the due-work loops' safety-net looks come every
    // 30 s, longer than the idle timeout: without a kept connection each look started a PostgreSQL backend
    // (fork, authentication, catalog caches) that was closed again 10 s later, about a third of the idle
    // system's CPU (bench:footprint). The connections a burst opens above this one still close when idle.
    min: 1,
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, it would kill the process.
  pool.on('error', (err) => options.onError?.(err));
  // A checked-out client has no listener of the pool's: if its server goes away between two statements (a
  // transaction waiting on our code while PostgreSQL shuts down), it emits 'error' itself, and unhandled that
  // kills the process. Its caller still sees the failure on its next query; the process must live on.
  pool.on('connect', (client) => client.on('error', (err) => options.onError?.(err)));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { onPoolError: options.onError }) });
  let closed = false;
  // Readiness asks the database itself, not the pool's queue: under a burst the pool's connections are all
  // busy and hundreds of queries wait their turn, and a ping behind them would time out and call a healthy
  // instance unready (found when a service restarted mid-sale could not report ready within a minute).
  let pingPool: pg.Pool | undefined;
  const pingPoolOf = () => {
    if (!pingPool) {
      pingPool = new pg.Pool({ connectionString: url, max: 1, application_name: options.applicationName, connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000 });
      pingPool.on('error', (err) => options.onError?.(err));
    }
    return pingPool;
  };
  return {
    prisma,
    pool,
    async ping() {
      await pingPoolOf().query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await Promise.all([pool.end(), pingPool?.end()]);
    },
  };
}
