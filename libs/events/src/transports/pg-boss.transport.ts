import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { deadLetterTopicOf } from '@shop/contracts';
import type { Logger } from '@shop/observability';
import { monotonicUuid } from '../monotonic-uuid';
import { keepJobTableStatistics, type JobTableStatistics } from './job-table-statistics';
import { clockWithoutWorkInProgressTimer } from './pg-boss-clock';
import { watchDueJobs, type DueJobTiming } from './pg-boss-due-jobs';
import type { DeliverFn, OutgoingMessage, SubscriptionSpec, Transport } from '../types';

/** The job body: the message exactly as Pub/Sub would carry it. */
interface JobData {
  attributes: Record<string, string>;
  data: string;
}

export interface PgBossTransportOptions extends DueJobTiming {
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
  const byTopic = new Map<string, SubscriptionSpec[]>();
  for (const s of options.topology) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);

  let statistics: JobTableStatistics | undefined;
  let started: Promise<void> | undefined;
  let closing = false;
  /** This transport's workers by queue, which the due-job watcher wakes. */
  const workers = new Map<string, string>();
  const dueJobs = watchDueJobs({ schema, logger, boss: startedBoss, executeSql, workers, timing: options });

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
      dueJobs.jobsCameOrWent();
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
        dueJobs.jobsCameOrWent();
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
