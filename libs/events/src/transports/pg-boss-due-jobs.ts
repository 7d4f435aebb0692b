import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Logger } from '@shop/observability';
import { createWakeup } from '../wakeup';

/** The due-job watcher's pace (see `watchDueJobs`). */
export interface DueJobTiming {
  /** Longest time between two looks for due jobs when none is scheduled (see `watchDueJobs`); 5 s by default. */
  idleLookMs?: number;
  /** The same once this instance has neither sent nor handled a job for `quietAfterMs`; 30 s by default. */
  quietLookMs?: number;
  /** How long without a job sent or handled makes an instance quiet; a minute by default. */
  quietAfterMs?: number;
  /** How often pg-boss maintains its tables while jobs come and go, plus up to a quarter; 5 min by default. */
  maintenanceIntervalMs?: number;
  /** How often it does while none has come or gone since the last time; an hour by default. */
  idleMaintenanceIntervalMs?: number;
}

export interface DueJobWatcherDeps {
  /** pg-boss's schema. */
  schema: string;
  logger: Logger;
  /** pg-boss, once started (the watcher is started after it). */
  boss(): PgBoss;
  /** Runs one statement on pg-boss's pool. */
  executeSql<R = unknown>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
  /** The transport's workers by queue, which it wakes. */
  workers: ReadonlyMap<string, string>;
  timing: DueJobTiming;
}

export interface DueJobWatcher {
  start(): void;
  /** Looks now. */
  wake(): void;
  /** This instance sent or handled jobs: it is busy (see `quietAfterMs`), and its next maintenance pass is due. */
  jobsCameOrWent(): void;
  stop(): Promise<void>;
}

/** How long without a job sent or handled makes an instance quiet (see `quietLookMs`). */
const QUIET_AFTER_MS = 60_000;
/** The due-job watcher's pause while jobs are ready: the workers are fetching them already. */
const BUSY_LOOK_MS = 2_000;
/** The look after failing overrun jobs: their first retry's delay. */
const RETRY_LOOK_MS = 1_000;
/** How often each instance has pg-boss maintain its tables (retention, queue counters), plus up to a quarter. */
const MAINTENANCE_INTERVAL_MS = 300_000;
/**
 * How often it does while this instance has neither sent nor handled a job since its last pass. A pass runs
 * statements over every queue (its counters, partitions, warnings, index checks), and seven idle services each
 * ran one every five minutes: a burst of PostgreSQL work that bench:footprint's 20 s windows mostly missed and
 * its 5-minute ones did not. An idle queue's tables do not change.
 */
const IDLE_MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * A statement prepared once per connection of pg-boss's pool (pg's named statements). For the watcher's look,
 * which PostgreSQL otherwise planned every few seconds in every idle service: planning it cost more than
 * running it (pg_stat_statements).
 */
function executePrepared<R extends pg.QueryResultRow>(boss: PgBoss, name: string, text: string, values: unknown[]) {
  return (boss.getDb() as unknown as { pool: pg.Pool }).pool.query<R>({ name, text, values });
}

/**
 * Wakes this transport's workers when a job of their queues falls due, and fails the jobs in flight that
 * overran, so that neither needs a short timer: new jobs come with a NOTIFY; a retry's backoff ends at its
 * `start_after`; a job whose worker died (kill -9, OOM) is failed once its heartbeat (or its time) has run
 * out, exactly as pg-boss's supervision would, and comes back after its retry delay. One query per look,
 * over the live jobs' index; with nothing live it looks again after `idleLookMs` (`quietLookMs` once the
 * instance has been quiet for `quietAfterMs`), and a failure handled here wakes it at once. pg-boss's routine
 * maintenance (retention, queue counters) runs every `maintenanceIntervalMs` or so while jobs come and go,
 * instead of its own timer every few seconds in every instance.
 */
export function watchDueJobs(deps: DueJobWatcherDeps): DueJobWatcher {
  const { schema, logger, workers, timing: options, executeSql, boss: startedBoss } = deps;
  // Also the bound on a wake-up that went missing: the full suite found a job left waiting (1 in a race of 100
  // multi-line checkouts) until this look, which at a minute outlasted the test's patience. A look is one
  // small aggregate per transport.
  const busyIdleLookMs = options.idleLookMs ?? 5_000;
  // Once quiet, as seldom as the relays' and due-work loops' safety nets: a NOTIFY still brings a new job at
  // once, and at 5 s the looks of seven idle services were the largest part of their idle CPU. The first
  // job sent or handled makes the instance busy again.
  const quietLookMs = Math.max(busyIdleLookMs, options.quietLookMs ?? 30_000);
  const quietAfterMs = options.quietAfterMs ?? QUIET_AFTER_MS;
  /** Whether this instance sent or handled a job since its last maintenance (start-up counts). */
  let jobsChanged = true;
  /** When it last did (start-up counts). */
  let lastJobAt = Date.now();
  const idleLook = () => (Date.now() - lastJobAt < quietAfterMs ? busyIdleLookMs : quietLookMs);
  const wakeup = createWakeup();
  let stopped = false;
  const maintenanceIntervalMs = options.maintenanceIntervalMs ?? MAINTENANCE_INTERVAL_MS;
  const idleMaintenanceIntervalMs = options.idleMaintenanceIntervalMs ?? IDLE_MAINTENANCE_INTERVAL_MS;
  // Instances started together must not all maintain at once.
  const nextMaintenanceAt = () => Date.now() + maintenanceIntervalMs * (1 + Math.random() / 4);
  let maintainAt = nextMaintenanceAt();
  let lastMaintenanceAt = Date.now();
  // pg-boss's own conditions: timedOut and heartbeatLost in its supervision.
  const overrunAt = `LEAST(started_on + make_interval(secs => expire_seconds), heartbeat_on + make_interval(secs => heartbeat_seconds))`;
  const inMs = (at: string) => `(EXTRACT(EPOCH FROM ${at} - now()) * 1000)::float8`;
  // The earliest waiting job per queue and state is one probe of pg-boss's (name, state, blocked, start_after)
  // index; an aggregate over every live job instead read the whole backlog, 59 ms a look with a sale's
  // thousands waiting, from each of eight services every two seconds (pg_stat_statements, bench:flash-sale).
  // Jobs in flight are few (a batch or two per worker), so their aggregate stays cheap.
  // Each state a constant: the index is partial (live states), and only a constant proves a row is in it.
  const earliest = (state: string) =>
    `(SELECT j.start_after FROM ${schema}.job j WHERE j.name = q.name AND j.state = '${state}' AND NOT j.blocked ORDER BY j.start_after LIMIT 1)`;
  const dueSql = `SELECT
      (SELECT ${inMs('min(w.start_after)')} FROM unnest($1::text[]) AS q(name)
         CROSS JOIN LATERAL (${earliest('created')} UNION ALL ${earliest('retry')}) w) AS ready_in_ms,
      (SELECT ${inMs(`min(${overrunAt})`)} FROM ${schema}.job WHERE name = ANY($1::text[]) AND state = 'active') AS overrun_in_ms`;
  const overrunSql = `SELECT name, id::text, retry_count AS "retryCount" FROM ${schema}.job
    WHERE name = ANY($1::text[]) AND state = 'active' AND ${overrunAt} < now() LIMIT 1000`;
  let loop: Promise<void> | undefined;

  /** Fails the overrun jobs, each only in the attempt that overran (a job retried meanwhile is left alone). */
  async function failOverrun(queues: string[]): Promise<void> {
    const { rows } = await executeSql<{ name: string; id: string; retryCount: number }>(overrunSql, [queues]);
    const byQueue = new Map<string, { id: string; retryCount: number }[]>();
    for (const { name, ...attempt } of rows) byQueue.set(name, [...(byQueue.get(name) ?? []), attempt]);
    for (const [name, attempts] of byQueue) {
      logger.warn({ queue: name, jobs: attempts.length }, 'jobs whose worker stopped (heartbeat or time ran out) are failed, to be retried');
      await startedBoss().fail(name, attempts, { message: 'job heartbeat or time ran out' });
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      wakeup.rearm();
      try {
        const queues = [...workers.keys()];
        const { rows } = await executePrepared<{ ready_in_ms: number | null; overrun_in_ms: number | null }>(startedBoss(), `${schema}-due-jobs`, dueSql, [queues]);
        const readyInMs = rows[0]?.ready_in_ms ?? null;
        let overrunInMs = rows[0]?.overrun_in_ms ?? null;
        if (overrunInMs !== null && overrunInMs <= 0) {
          await failOverrun(queues);
          // Their retries fall due after the retry delay (a second at first): look again then.
          overrunInMs = RETRY_LOOK_MS;
        }
        if (readyInMs !== null && readyInMs <= 0) for (const id of workers.values()) startedBoss().notifyWorker(id);
        if (Date.now() >= maintainAt) {
          maintainAt = nextMaintenanceAt();
          if (jobsChanged || Date.now() - lastMaintenanceAt >= idleMaintenanceIntervalMs) {
            jobsChanged = false;
            lastMaintenanceAt = Date.now();
            logger.debug('pg-boss maintains its tables');
            await startedBoss().supervise();
          }
        }
        const idleLookMs = idleLook();
        logger.trace({ next_look_ms: idleLookMs }, 'looked for due jobs');
        const nextMs = Math.min(readyInMs ?? idleLookMs, overrunInMs ?? idleLookMs, idleLookMs, maintainAt - Date.now());
        // While jobs are ready the workers are fetching them already: no need to look more often than this.
        if (readyInMs !== null && readyInMs <= 0) await wakeup.pause(BUSY_LOOK_MS);
        else await wakeup.sleep(Math.max(10, nextMs));
      } catch (err) {
        if (!stopped) logger.warn({ err }, 'could not look for due jobs; trying again');
        await wakeup.pause(BUSY_LOOK_MS);
      }
    }
  }
  return {
    start: () => void (loop ??= run()),
    wake: wakeup.wake,
    jobsCameOrWent() {
      const wasQuiet = Date.now() - lastJobAt >= quietAfterMs;
      jobsChanged = true;
      lastJobAt = Date.now();
      // The watcher may be in a quiet look's long sleep: from here on it looks at the busy pace.
      if (wasQuiet) wakeup.wake();
    },
    async stop() {
      stopped = true;
      wakeup.close();
      await loop;
    },
  };
}
