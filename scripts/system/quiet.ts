// "The system is quiet": no outbox row waits to be relayed and no message waits or runs in any queue. Shared
// by the in-process harness and the benchmarks that run the services as processes.
import type pg from 'pg';
import { SERVICE_NAMES, SUBSCRIPTIONS, TOPICS } from '@shop/contracts';

/**
 * With the outbox log engine: rows of each subscription's topic past its position in each producer's outbox,
 * plus the messages parked for a retry (what pg-boss's queued and running jobs are to the other engine).
 */
function outboxLogBacklogSql(): string {
  const unread = SUBSCRIPTIONS.flatMap((s) =>
    TOPICS[s.topic].producers.map(
      (producer) =>
        `SELECT count(*) FROM "${producer}".outbox o WHERE o.topic = '${s.topic}' AND o.id > coalesce((SELECT position FROM "${producer}".log_positions WHERE subscription = '${s.name}'), 0)`,
    ),
  );
  const parked = SERVICE_NAMES.map((s) => `SELECT count(*) FROM "${s}".log_retries`);
  return `SELECT sum(count)::text AS n FROM (${[...unread, ...parked].join(' UNION ALL ')}) q`;
}

export interface QuietOptions {
  /** Whether the embedded transport's queues count (false with in-memory delivery). */
  queues: boolean;
  /** The embedded transport's engine; by default EVENT_EMBEDDED_ENGINE's, as the services choose it. */
  engine?: 'pg-boss' | 'outbox-log';
}

/**
 * Messages still on their way: unrelayed outbox rows plus queued or running pg-boss jobs (dead letters aside),
 * or, when the services run the outbox log engine (EVENT_EMBEDDED_ENGINE), what its readers have not passed.
 */
export async function messagesInFlight(pool: pg.Pool, options: QuietOptions): Promise<number> {
  const outboxes = SERVICE_NAMES.map((s) => `SELECT count(*) FROM "${s}".outbox WHERE published_at IS NULL`).join(' UNION ALL ');
  const { rows } = await pool.query<{ n: string }>(`SELECT sum(count)::text AS n FROM (${outboxes}) o`);
  let queued = 0;
  const engine = options.engine ?? (process.env['EVENT_EMBEDDED_ENGINE'] === 'outbox-log' ? 'outbox-log' : 'pg-boss');
  if (options.queues && engine === 'outbox-log') {
    const backlog = await pool.query<{ n: string }>(outboxLogBacklogSql());
    queued = Number(backlog.rows[0]?.n ?? 0);
  } else if (options.queues) {
    const jobs = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pgboss.job WHERE state IN ('created', 'retry', 'active') AND name NOT LIKE '%.dead-letter'`,
    );
    queued = Number(jobs.rows[0]?.n ?? 0);
  }
  return Number(rows[0]?.n ?? 0) + queued;
}

/** Resolves once nothing is in flight twice in a row, 50 ms apart; `beforeCheck` may drain an in-memory transport. */
export async function untilQuiet(pool: pg.Pool, options: QuietOptions & { timeoutMs: number; beforeCheck?: () => Promise<void> }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let quietChecks = 0;
  while (quietChecks < 2) {
    if (Date.now() > deadline) {
      throw new Error(`the system did not quiesce within ${options.timeoutMs} ms (${await messagesInFlight(pool, options)} messages pending)`);
    }
    await options.beforeCheck?.();
    if ((await messagesInFlight(pool, options)) === 0) quietChecks++;
    else quietChecks = 0;
    await new Promise((r) => setTimeout(r, 50));
  }
}
