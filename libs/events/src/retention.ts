import type pg from 'pg';
import { quoteIdent } from '@shop/db';
import type { Logger } from '@shop/observability';

/** How long each kind of row is kept (DESIGN.md "Retention"), in milliseconds. */
export interface RetentionAges {
  /** `processed_messages`: longer than Pub/Sub keeps a message, so a late redelivery is still recognised. */
  processedMessagesMs: number;
  idempotencyKeysMs: number;
  /** Published outbox rows; unpublished and set-aside rows are never deleted. */
  publishedOutboxMs: number;
  /** Dead letters once replayed; open ones are kept until someone acts. */
  settledDeadLettersMs: number;
}

/** DESIGN.md: 8 days, 24 hours, 24 hours, 30 days. */
export const DEFAULT_RETENTION: RetentionAges = {
  processedMessagesMs: 8 * 24 * 3600_000,
  idempotencyKeysMs: 24 * 3600_000,
  publishedOutboxMs: 24 * 3600_000,
  settledDeadLettersMs: 30 * 24 * 3600_000,
};

export interface RetentionOptions {
  pool: pg.Pool;
  /** The service's schema. */
  schema: string;
  logger: Logger;
  ages?: Partial<RetentionAges>;
  /** Rows per DELETE statement (each its own short transaction). */
  batchSize?: number;
  /** A round stops starting statements after this long; the next round goes on. */
  timeBudgetMs?: number;
  /** Time between rounds, plus up to a quarter of it at random (instances do not wake together). */
  intervalMs?: number;
}

/** What one round deleted, per table, and in how many statements. */
export type RetentionRound = Record<string, { deleted: number; statements: number }>;

export interface Retention {
  /** Runs one round now (tests); resolves with nothing done when another instance holds the round. */
  runOnce(): Promise<RetentionRound>;
  stop(): Promise<void>;
}

interface Target {
  table: string;
  /** Rows older than the age; `$1` is the age in seconds. */
  expired: string;
  age: (ages: RetentionAges) => number;
}

// A dead letter is settled once replayed: only those age out.
const TARGETS: Target[] = [
  { table: 'processed_messages', expired: 'processed_at < now() - make_interval(secs => $1)', age: (a) => a.processedMessagesMs },
  { table: 'idempotency_keys', expired: 'created_at < now() - make_interval(secs => $1)', age: (a) => a.idempotencyKeysMs },
  { table: 'outbox', expired: 'published_at < now() - make_interval(secs => $1)', age: (a) => a.publishedOutboxMs },
  { table: 'dead_letters', expired: 'replayed_at < now() - make_interval(secs => $1)', age: (a) => a.settledDeadLettersMs },
];

/**
 * Deletes a service's expired bookkeeping rows (DESIGN.md "Retention") in small batches off the hot paths:
 * each DELETE takes at most `batchSize` rows by ctid in its own transaction, so it holds row locks on old
 * rows for milliseconds and no table lock beyond the ROW EXCLUSIVE every insert also takes; a round stops
 * after `timeBudgetMs`. One instance per service runs a round at a time: the others skip it while a
 * session advisory lock is held (on a connection that is never left inside a transaction).
 */
export function startRetention(options: RetentionOptions): Retention {
  const { pool, schema, logger } = options;
  const ages = { ...DEFAULT_RETENTION, ...options.ages };
  const batchSize = Math.max(1, Math.trunc(options.batchSize ?? 1_000));
  const timeBudgetMs = options.timeBudgetMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 600_000;
  const lockKey = `retention:${schema}`;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<RetentionRound> | undefined;

  async function round(): Promise<RetentionRound> {
    const client = await pool.connect();
    const done: RetentionRound = {};
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey]);
      if (!rows[0]?.locked) return done;
      try {
        const deadline = Date.now() + timeBudgetMs;
        for (const target of TARGETS) {
          const { rows: found } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [`${quoteIdent(schema)}.${quoteIdent(target.table)}`]);
          if (!found[0]?.present) continue;
          const table = `${quoteIdent(schema)}.${quoteIdent(target.table)}`;
          const tally = { deleted: 0, statements: 0 };
          done[target.table] = tally;
          while (!stopped && Date.now() < deadline) {
            const { rowCount } = await client.query(
              `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${target.expired} LIMIT ${batchSize})) AND ${target.expired}`,
              [target.age(ages) / 1000],
            );
            tally.statements++;
            tally.deleted += rowCount ?? 0;
            if ((rowCount ?? 0) < batchSize) break;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
      }
      return done;
    } finally {
      client.release();
    }
  }

  const runOnce = () =>
    (running ??= round().finally(() => {
      running = undefined;
    }));

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .then((result) => {
          const deleted = Object.values(result).reduce((sum, t) => sum + t.deleted, 0);
          if (deleted > 0) logger.info({ retention: result }, `retention deleted ${deleted} expired rows`);
        })
        .catch((err: unknown) => logger.warn({ err }, 'retention round failed; the next one will go on'))
        .finally(schedule);
    }, intervalMs + Math.random() * intervalMs * 0.25);
    timer.unref();
  }
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
