import { PgBoss, type JobResult, type JobWithMetadata } from 'pg-boss';
import { deadLetterTopicOf } from '@shop/contracts';
import type { Logger } from '@shop/observability';
import { monotonicUuid } from '../monotonic-uuid';
import { keepJobTableStatistics, type JobTableStatistics } from './job-table-statistics';
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
   * Fetch-and-handle loops per subscription that does not batch. key_strict_fifo still hands a key to one
   * loop at a time, so order per key holds; a second loop fetches while the first handles. Batching
   * subscriptions keep one loop: their point is one transaction for many messages on a hot row.
   */
  workersPerQueue?: number;
  /** How often the job tables' statistics are checked for staleness (see keepJobTableStatistics). */
  statisticsIntervalMs?: number;
}


/** A running job's worker refreshes its heartbeat every half of this; pg-boss's minimum is 10. */
const HEARTBEAT_SECONDS = 10;
/** How often pg-boss fails jobs whose heartbeat stopped (and whose time ran out). */
const SUPERVISE_INTERVAL_SECONDS = 5;

/**
 * The embedded transport: pg-boss 12 in the application's own PostgreSQL. One queue per subscription,
 * `key_strict_fifo` so messages of one ordering key are handled in order (a message being retried holds
 * back only its own key), retries with exponential backoff, a dead-letter queue beside each queue, and
 * LISTEN/NOTIFY so a published message wakes its worker at once instead of at the next poll.
 */
export function createPgBossTransport(options: PgBossTransportOptions): Transport {
  const { logger } = options;
  const schema = options.schema ?? 'pgboss';
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    schema,
    max: options.poolMax ?? 5,
    application_name: 'pg-boss',
    useListenNotify: true,
    // How soon a job whose worker died (kill -9, OOM, a lost instance) is failed and retried: its heartbeat
    // stops, and supervision looks every few seconds. Without it the job stays active for `expireInSeconds`
    // and, under key_strict_fifo, holds back every later message of its ordering key meanwhile.
    // (pg-boss fails expired jobs in its monitoring pass, so that runs as often; it also refreshes the queue
    // counters then, one small aggregate per pass across all instances.)
    superviseIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
    monitorIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
  });
  boss.on('error', (err: unknown) => logger.error({ err }, 'pg-boss error'));
  const executeSql = (sql: string) => (boss.getDb() as { executeSql(sql: string): Promise<unknown> }).executeSql(sql);
  const byTopic = new Map<string, SubscriptionSpec[]>();
  for (const s of options.topology) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s]);

  let statistics: JobTableStatistics | undefined;
  let started: Promise<void> | undefined;
  let closing = false;

  async function startOnce(): Promise<void> {
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
      // All queues or none is not needed: a republished message is deduplicated by its consumers.
      await Promise.all([...perQueue].map(([queue, jobs]) => boss.insert(queue, jobs)));
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
            await boss.send(deadLetterTopicOf(spec.name), { ...job.data, reason: outcome.reason });
            results.push({ id: job.id, status: 'completed' });
          } else if (outcome?.status === 'ack') {
            results.push({ id: job.id, status: 'completed' });
          } else {
            results.push({ id: job.id, status: 'failed', output: { error: outcome?.error ?? 'no outcome' } });
          }
        }
        // key_strict_fifo hands out one job per key per fetch, so a key's next message is only fetchable
        // now. Fetch again at once instead of waiting for the poll: keep going while there is work.
        if (worker.id) boss.notifyWorker(worker.id);
        return results;
      };
      worker.id = await boss.work(
        spec.name,
        {
          batchSize: spec.batch?.maxMessages ?? options.fetchSize ?? 400,
          includeMetadata: true,
          perJobResults: true,
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 2,
          burstWhenBatchFull: true,
          localConcurrency: spec.batch ? 1 : (options.workersPerQueue ?? 2),
        },
        handler,
      );
    },
    async ping() {
      await start();
      await executeSql('SELECT 1');
    },
    async close() {
      closing = true;
      if (!started) return;
      await statistics?.stop();
      await boss.stop({ graceful: true, close: true, timeout: 5_000 });
    },
  };
}
