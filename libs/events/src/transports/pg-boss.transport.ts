import type pg from 'pg';
import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { deadLetterTopicOf } from '@shop/contracts';
import type { Logger } from '@shop/observability';
import { monotonicUuid } from '../monotonic-uuid';
import { createWakeup } from '../wakeup';
import { keepJobTableStatistics, type JobTableStatistics } from './job-table-statistics';
import { clockWithoutWorkInProgressTimer } from './pg-boss-clock';
import type { DeliverFn, OutgoingMessage, SubscriptionSpec, Transport } from '../types';

/** The job body: the message exactly as Pub/Sub would carry it. */
interface JobData {
  attributes: Record<string, string>;
  data: string;
}

export interface PgBossTransportOptions {
  databaseUrl: string;
  /** Every subscription in the system: publishing fans a topic out to each subscriber's queue. */
  topology: readonly SubscriptionSpec[];
  logger: Logger;
  /** PostgreSQL schema of pg-boss's own tables. */
  schema?: string;
  poolMax?: number;
  /** Messages fetched per poll for subscriptions that do not batch; the consumer handles them key by key in parallel. */
  fetchSize?: number;
  /**
   * Fetch-and-handle loops per subscription. key_strict_fifo still hands a key to one loop at a time, so
   * order per key holds; a second loop fetches while the first handles, and keeps the queue moving while a
   * slow message holds the first loop's batch. Batching subscriptions too: their batches on a hot row queue
   * for its lock, one transaction after the other, but a batch waiting on one slow message no longer stops
   * all of them (a delay of 1–3 s on 5 % of deliveries in bench:chaos held nearly every batch of 50).
   */
  workersPerQueue?: number;
  /** How soon after jobs were sent or handled the job tables' statistics are checked (see keepJobTableStatistics). */
  statisticsIntervalMs?: number;
  /** Longest time between two looks for due jobs when none is scheduled (see `watchDueJobs`); 5 s by default. */
  idleLookMs?: number;
  /** How often pg-boss maintains its tables while jobs come and go, plus up to a quarter; 5 min by default. */
  maintenanceIntervalMs?: number;
  /** How often it does while none has come or gone since the last time; an hour by default. */
  idleMaintenanceIntervalMs?: number;
}


/** A running job's worker refreshes its heartbeat every half of this; pg-boss's minimum is 10. */
const HEARTBEAT_SECONDS = 10;
/** pg-boss's supervision interval, only read by it to size the queue counters' windows (its timer is off). */
const SUPERVISE_INTERVAL_SECONDS = 60;
/** pg-boss's monitoring claim on a queue: another instance's pass within this long leaves it alone. */
const MONITOR_CLAIM_SECONDS = 60;
/**
 * pg-boss's own fallback poll per worker while NOTIFY works. Each poll is a fetch query per worker (about 60
 * in the system), so it is long: new jobs arrive by NOTIFY, and jobs that fall due later (retries, jobs
 * supervision failed) are found by `watchDueJobs`, one query per transport.
 */
const NOTIFY_POLLING_SECONDS = 300;
/**
 * pg's pool option, which pg-boss hands its pool without declaring it: one connection stays open. Otherwise
 * the watcher's look every few seconds would open a new one each time (the pool closes a connection idle for
 * 10 s), and a new connection costs a PostgreSQL backend's start and an authentication on both sides.
 */
const KEEP_ONE_CONNECTION: object = { min: 1 };
/** The due-job watcher's pause while jobs are ready: the workers are fetching them already. */
const BUSY_LOOK_MS = 2_000;
/** The look after failing overrun jobs: their first retry's delay. */
const RETRY_LOOK_MS = 1_000;
/** How often each instance has pg-boss maintain its tables (retention, queue counters), plus up to a quarter. */
const MAINTENANCE_INTERVAL_MS = 300_000;
/**
 * How often it does while this instance has neither sent nor handled a job since its last pass. A pass is
 * some forty statements over every queue (its counters, partitions, warnings, index checks), and seven idle
 * services each ran one every five minutes: 1.5 CPU-seconds of PostgreSQL's and 0.8 of theirs, which was
 * most of what the idle system spent (bench:footprint over 5 minutes). An idle queue's tables do not change.
 */
const IDLE_MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * The embedded transport: pg-boss 12 in the application's own PostgreSQL. One queue per subscription,
 * `key_strict_fifo` so messages of one ordering key are handled in order (a message being retried holds
 * back only its own key), retries with exponential backoff, a dead-letter queue beside each queue, and
 * LISTEN/NOTIFY so a published message wakes its worker at once instead of at the next poll.
 */
export function createPgBossTransport(options: PgBossTransportOptions): Transport {
  const { logger } = options;
  const schema = options.schema ?? 'pgboss';
  // pg-boss (over 25 MiB of memory once loaded) is imported as the transport starts, not with this module:
  // every service bundles it, and only those configured for the embedded transport should pay for it.
  let boss: PgBoss | undefined;
  async function createBoss(): Promise<PgBoss> {
    const { PgBoss } = await import('pg-boss');
    const created = new PgBoss({
      connectionString: options.databaseUrl,
      schema,
      max: options.poolMax ?? 5,
      application_name: 'pg-boss',
      useListenNotify: true,
      // `watchDueJobs` fails the jobs whose worker died as soon as their heartbeat has run out, and runs the
      // rest of supervision (retention, queue counters) every few minutes: pg-boss's own timer would run it
      // every few seconds in every instance, idle or not. Without the heartbeat a dead worker's job would
      // stay active for `expireInSeconds` and, under key_strict_fifo, hold back every later message of its
      // ordering key meanwhile.
      supervise: false,
      superviseIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
      // Instances claim a queue's monitoring pass (its counters' aggregate) for this long: one pass a minute at most.
      monitorIntervalSeconds: MONITOR_CLAIM_SECONDS,
      // No cron schedules here: without this every instance polls the schedule queue every 5 s.
      schedule: false,
      // pg-boss checks its LISTEN connection this often (10 s by default); the watcher's look bounds a lost one.
      notifyHeartbeatIntervalMs: 30_000,
      // The instance registry is for pg-boss's dashboard, which nothing here reads; its heartbeat also samples
      // the event loop's delay on a 20 ms timer, waking an idle process 50 times a second.
      registerInstance: false,
      // Our own spans follow each message by its traceparent; pg-boss's would start a separate trace per job.
      openTelemetry: { enabled: false },
      clock: clockWithoutWorkInProgressTimer(),
      ...KEEP_ONE_CONNECTION,
    });
    created.on('error', (err: unknown) => logger.error({ err }, 'pg-boss error'));
    return created;
  }
  /** pg-boss once `start` has created it (every caller awaits `start` first). */
  const startedBoss = (): PgBoss => {
    if (!boss) throw new Error('pg-boss is not started');
    return boss;
  };
  const executeSql = <R = unknown>(sql: string, values?: unknown[]) =>
    (startedBoss().getDb() as { executeSql(sql: string, values?: unknown[]): Promise<{ rows: R[] }> }).executeSql(sql, values);
  /**
   * A statement prepared once per connection of pg-boss's pool (pg's named statements). For the watcher's look,
   * which PostgreSQL otherwise planned every few seconds in every idle service: planning it cost more than
   * running it (pg_stat_statements).
   */
  const executePrepared = <R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]) =>
    (startedBoss().getDb() as unknown as { pool: pg.Pool }).pool.query<R>({ name, text, values });
  const byTopic = new Map<string, SubscriptionSpec[]>();
  for (const s of options.topology) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);

  let statistics: JobTableStatistics | undefined;
  /** Whether this instance sent or handled a job since its last maintenance (start-up counts). */
  let jobsChanged = true;
  let started: Promise<void> | undefined;
  let closing = false;
  /** This transport's workers by queue, which the due-job watcher wakes. */
  const workers = new Map<string, string>();
  const dueJobs = watchDueJobs();

  /**
   * Wakes this transport's workers when a job of their queues falls due, and fails the jobs in flight that
   * overran, so that neither needs a short timer: new jobs come with a NOTIFY; a retry's backoff ends at its
   * `start_after`; a job whose worker died (kill -9, OOM) is failed once its heartbeat (or its time) has run
   * out, exactly as pg-boss's supervision would, and comes back after its retry delay. One query per look,
   * over the live jobs' index; with nothing live it looks again after `idleLookMs`, and a failure handled
   * here wakes it at once. pg-boss's routine maintenance (retention, queue counters) runs every
   * `MAINTENANCE_INTERVAL_MS` or so, instead of its own timer every few seconds in every instance.
   */
  function watchDueJobs() {
    // Also the bound on a wake-up that went missing: the full suite found a job left waiting (1 in a race of 100
    // multi-line checkouts) until this look, which at a minute outlasted the test's patience. A look is one
    // small aggregate per transport.
    const idleLookMs = options.idleLookMs ?? 5_000;
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
          const { rows } = await executePrepared<{ ready_in_ms: number | null; overrun_in_ms: number | null }>(`${schema}-due-jobs`, dueSql, [queues]);
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
      async stop() {
        stopped = true;
        wakeup.close();
        await loop;
      },
    };
  }

  async function startOnce(): Promise<void> {
    boss ??= await createBoss();
    await boss.start();
    statistics ??= keepJobTableStatistics({ executeSql, schema, logger, intervalMs: options.statisticsIntervalMs });
    for (const spec of options.topology) {
      await boss.createQueue(deadLetterTopicOf(spec.name), { retentionSeconds: 14 * 24 * 3600 });
      const settings = {
        // Our consumer dead-letters at the subscription's limit; pg-boss's own limit is only a backstop.
        retryLimit: spec.maxDeliveryAttempts + 1,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 60,
        expireInSeconds: 60,
        heartbeatSeconds: HEARTBEAT_SECONDS,
        deadLetter: deadLetterTopicOf(spec.name),
      };
      await boss.createQueue(spec.name, { policy: 'key_strict_fifo', notify: true, ...settings });
      // A queue made by an earlier version keeps its settings (creating it again changes nothing): bring them up to date.
      await boss.updateQueue(spec.name, settings);
    }
  }

  /**
   * Starts pg-boss and sets up the queues, trying again (1, 2, 4… up to 10 s apart) while the database is
   * away: a service restarted just before an outage must wait for PostgreSQL, not die of it (and a failed
   * start must not be remembered, or the transport would never work again). Every step is idempotent.
   */
  async function startPatiently(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce();
      } catch (err) {
        // Closed meanwhile: nothing to start for (a caller still waiting then fails on the stopped pg-boss).
        if (closing) return;
        logger.warn({ err, attempt }, 'pg-boss could not start; trying again');
        await new Promise((r) => setTimeout(r, Math.min(2 ** (attempt - 1), 10) * 1_000));
      }
    }
  }
  const start = () => (started ??= startPatiently());

  return {
    kind: 'embedded',
    async publish(messages: OutgoingMessage[]) {
      await start();
      const perQueue = new Map<string, { id: string; data: JobData; singletonKey: string }[]>();
      for (const m of messages) {
        for (const spec of byTopic.get(m.topic) ?? []) {
          const jobs = perQueue.get(spec.name) ?? [];
          jobs.push({ id: monotonicUuid(), data: { attributes: m.attributes, data: m.data }, singletonKey: m.orderingKey });
          perQueue.set(spec.name, jobs);
        }
      }
      statistics?.changed();
      jobsChanged = true;
      // All queues or none is not needed: a republished message is deduplicated by its consumers.
      await Promise.all([...perQueue].map(([queue, jobs]) => startedBoss().insert(queue, jobs)));
      return messages.length;
    },
    async subscribe(spec: SubscriptionSpec, deliver: DeliverFn) {
      await start();
      const worker: { id?: string } = {};
      const handler = async (jobs: JobWithMetadata<JobData>[]): Promise<JobResult[]> => {
        const outcomes = await deliver(
          jobs.map((job) => ({
            attributes: job.data.attributes,
            data: job.data.data,
            deliveryAttempt: job.retryCount + 1,
            messageId: job.id,
          })),
        );
        const results: JobResult[] = [];
        for (const [i, job] of jobs.entries()) {
          const outcome = outcomes[i];
          if (outcome?.status === 'dead-letter') {
            // Completed, not failed: a failed job would hold back its key forever under key_strict_fifo.
            // The copy in the dead-letter queue (and the service's dead_letters row) keeps it for replay.
            await startedBoss().send(deadLetterTopicOf(spec.name), { ...job.data, reason: outcome.reason });
            results.push({ id: job.id, status: 'completed' });
          } else if (outcome?.status === 'ack') {
            results.push({ id: job.id, status: 'completed' });
          } else {
            results.push({ id: job.id, status: 'failed', output: { error: outcome?.error ?? 'no outcome' } });
          }
        }
        statistics?.changed();
        jobsChanged = true;
        // A failed job comes back after its backoff: the watcher learns when.
        if (results.some((r) => r.status === 'failed')) dueJobs.wake();
        // key_strict_fifo hands out one job per key per fetch, so a key's next message is only fetchable
        // now. Fetch again at once instead of waiting for the poll: keep going while there is work.
        if (worker.id) startedBoss().notifyWorker(worker.id);
        return results;
      };
      worker.id = await startedBoss().work(
        spec.name,
        {
          batchSize: spec.batch?.maxMessages ?? options.fetchSize ?? 400,
          includeMetadata: true,
          perJobResults: true,
          // The poll while NOTIFY is unavailable (the listener lost): as prompt as before.
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: NOTIFY_POLLING_SECONDS,
          burstWhenBatchFull: true,
          localConcurrency: options.workersPerQueue ?? 2,
        },
        handler,
      );
      workers.set(spec.name, worker.id);
      dueJobs.start();
      dueJobs.wake();
    },
    async ping() {
      await start();
      await executeSql('SELECT 1');
    },
    async deliveryLag(subscriptions) {
      const lag = new Map(subscriptions.map((name) => [name, 0]));
      // Not started (or starting while the database is away): nothing to ask, and a scrape must not wait for it.
      if (!statistics || closing) return lag;
      // Over the live jobs' index (state < 'completed'): created, retrying, or in a worker's hands.
      const { rows } = await executeSql<{ name: string; seconds: number }>(
        `SELECT name, EXTRACT(EPOCH FROM now() - min(created_on))::float8 AS seconds FROM ${schema}.job
         WHERE name = ANY($1::text[]) AND state < 'completed' GROUP BY name`,
        [subscriptions],
      );
      for (const { name, seconds } of rows) lag.set(name, Math.max(0, seconds));
      return lag;
    },
    async close() {
      closing = true;
      if (!started) return;
      await dueJobs.stop();
      await statistics?.stop();
      await boss?.stop({ graceful: true, close: true, timeout: 5_000 });
    },
  };
}
