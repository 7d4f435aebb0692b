import pg from 'pg';
import { TOPICS, type ServiceName } from '@shop/contracts';
import { quoteIdent } from '@shop/db';
import type { Logger } from '@shop/observability';
import { outboxChannel } from '../../outbox';
import type { DeliverFn, OutgoingMessage, SubscriptionSpec, Transport } from '../../types';
import { createOutboxHorizon, type OutboxHorizon } from './horizon';
import { startLogReader, type LogReader, type ReaderHold } from './log-reader';
import { logStatements } from './log-statements';

export interface OutboxLogTransportOptions {
  databaseUrl: string;
  /** Every subscription in the system: each gets a position in its producers' outboxes at start (retention's guard reads them). */
  topology: readonly SubscriptionSpec[];
  logger: Logger;
  /** How its connections show in `pg_stat_activity` (the listener's with `-listener` appended). */
  applicationName?: string;
  /** Connections for reads, positions and fences (the consumer's transactions use the service's own pool). */
  poolMax?: number;
  /** Fresh messages per delivery for subscriptions that do not batch; batching ones take their `maxMessages`. */
  fetchSize?: number;
  /** Fallback look when no NOTIFY arrives; each reader adds up to a fifth of it at random. */
  pollIntervalMs?: number;
  /** Backoff of a failed message (and so of its key): doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * How long `publish` waits before acknowledging. Nothing waits on the relay here (readers read the outbox
   * itself); pacing it lets rows gather, so its claim and mark commits are shared by many rows instead of
   * costing two synchronous commits per row at low rates.
   */
  relayPaceMs?: number;
}

/** The producers whose outboxes hold a topic (the contracts' `producers`). */
function producersOf(spec: SubscriptionSpec): ServiceName[] {
  return [...(TOPICS[spec.topic].producers as readonly ServiceName[])];
}

/**
 * The age of a subscription's oldest message from `producer` not yet dealt with: a row of its topic past the
 * subscription's position (by when it was written), or a parked one (by when its event occurred). NULL when
 * neither exists. The outbox scan starts at the position on the primary key, so it reads only the unread tail.
 */
function lagSql(producer: string, consumer: string): string {
  return `
    SELECT EXTRACT(EPOCH FROM now() - least(
      (SELECT min(o.created_at) FROM ${quoteIdent(producer)}.outbox o
        WHERE o.topic = $3 AND o.id > (SELECT p.position FROM ${quoteIdent(producer)}.log_positions p WHERE p.subscription = $1)),
      (SELECT min((r.attributes->>'occurred_at')::timestamptz) FROM ${quoteIdent(consumer)}.log_retries r
        WHERE r.subscription = $1 AND r.producer = $2)
    ))::float8 AS seconds`;
}

/**
 * The embedded transport without copies: subscriptions read the producers' outboxes (`<service>.outbox`,
 * all in the one embedded database) as an ordered log, each with a position of its own per producer.
 *
 * - Publishing acknowledges without sending anything: the committed outbox rows ARE the log; the relay only
 *   marks them (paced, see `relayPaceMs`).
 * - Order: a reader delivers rows in outbox id order, never past the visibility horizon (`horizon.ts`), so a
 *   row that commits after a later-numbered one is never skipped. Per-key order follows, as the relay's
 *   does, from the ids: an outbox row is written at its transaction's end, under that transaction's locks.
 * - Failures: a message that fails is parked in the subscriber's `log_retries` with a backoff, and the later
 *   messages of its key are parked behind it; other keys keep flowing. The consumer dead-letters at the
 *   subscription's `maxDeliveryAttempts` (it is told each message's `deliveryAttempt`).
 * - One reader per (subscription, producer) across instances: a session advisory lock on the connection that
 *   also LISTENs, so a killed instance's hold ends with its connection; positions move by compare-and-set,
 *   so even two readers at once (a hold lost mid-round) only deliver a message twice, which consumers
 *   deduplicate.
 * - Wake-ups: producers NOTIFY `outbox_<service>` at commit; the fallback poll is seconds long.
 *
 * Retention deletes published outbox rows after 24 h; the migration's `outbox_log_keep_unread` trigger
 * keeps every row a subscription's position has not passed yet (parked messages are copies and need none).
 */
export function createOutboxLogTransport(options: OutboxLogTransportOptions): Transport {
  const { logger } = options;
  const applicationName = options.applicationName ?? 'outbox-log';
  // Its writes (positions, parked messages) commit without waiting for the disk: a crash can only lose the
  // last few, together (a transaction is lost whole), and then the messages after the stored position are
  // delivered again, which the consumer's processed_messages turns into no-ops. The consumer's own
  // transactions, on the service's pool, stay synchronous.
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolMax ?? 6,
    application_name: applicationName,
    options: '-c synchronous_commit=off',
  });
  pool.on('error', (err) => logger.warn({ err }, 'outbox log pool connection lost'));
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const pace = options.relayPaceMs ?? 100;
  const backoff = { minMs: options.retryMinMs ?? 1_000, maxMs: options.retryMaxMs ?? 60_000 };
  const horizons = new Map<string, OutboxHorizon>();
  const readers = new Map<string, LogReader[]>();
  let listener: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let positionsReady: Promise<void> | undefined;
  let closed = false;

  const horizonOf = (producer: string) => {
    let horizon = horizons.get(producer);
    if (!horizon) horizons.set(producer, (horizon = createOutboxHorizon(pool, producer)));
    return horizon;
  };

  /** Every subscription of the topology gets its position in each producer's outbox, running or not. */
  function ensurePositions(): Promise<void> {
    positionsReady ??= (async () => {
      for (const spec of options.topology) {
        for (const producer of producersOf(spec)) {
          await pool.query(`INSERT INTO ${quoteIdent(producer)}.log_positions (subscription) VALUES ($1) ON CONFLICT DO NOTHING`, [spec.name]);
        }
      }
    })().catch((err: unknown) => {
      positionsReady = undefined;
      throw err;
    });
    return positionsReady;
  }

  /** The connection that LISTENs to the producers' channels and holds the readers' locks. */
  function connection(): Promise<pg.Client> {
    if (listener) return Promise.resolve(listener);
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: options.databaseUrl, application_name: `${applicationName}-listener` });
      client.on('error', (err) => {
        logger.warn({ err }, 'outbox log listener lost its connection; readers retake their holds on a new one');
        if (listener === client) listener = undefined;
        client.end().catch(() => undefined);
        for (const list of readers.values()) for (const reader of list) reader.wake();
      });
      client.on('notification', (message) => {
        for (const reader of readers.get(message.channel) ?? []) reader.wake();
      });
      await client.connect();
      for (const channel of readers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      listener = client;
      return client;
    })().finally(() => (connecting = undefined));
    return connecting;
  }

  /** One query at a time on the listener connection (pg queues them, but warns that it will stop doing so). */
  let onListener: Promise<unknown> = Promise.resolve();
  function queryListener<R extends pg.QueryResultRow>(client: pg.Client, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    const result = onListener.catch(() => undefined).then(() => client.query<R>(text, values));
    onListener = result;
    return result;
  }

  function holdFor(subscription: string, producer: string): ReaderHold {
    let heldOn: pg.Client | undefined;
    return {
      holds: () => heldOn !== undefined && heldOn === listener,
      async acquire() {
        await ensurePositions();
        const client = await connection();
        const { rows } = await queryListener<{ held: boolean }>(client, "SELECT pg_try_advisory_lock(hashtext('outbox-log'), hashtext($1)) AS held", [
          `${subscription}/${producer}`,
        ]);
        heldOn = rows[0]?.held ? client : undefined;
        return heldOn !== undefined;
      },
      async confirm() {
        const client = heldOn;
        if (!client || client !== listener) return false;
        // A session lock lasts as long as its session: a round trip on that connection proves both.
        try {
          await queryListener(client, 'SELECT 1', []);
          return true;
        } catch {
          heldOn = undefined;
          return false;
        }
      },
    };
  }

  return {
    kind: 'embedded',
    async publish(messages: OutgoingMessage[]) {
      if (pace > 0 && !closed) await new Promise((resolve) => setTimeout(resolve, pace));
      return messages.length;
    },
    async subscribe(spec: SubscriptionSpec, deliver: DeliverFn) {
      if (closed) throw new Error('the outbox log transport is closed');
      for (const producer of producersOf(spec)) {
        const channel = outboxChannel(producer);
        const isNewChannel = !readers.has(channel);
        const reader = startLogReader({
          name: `${spec.name}@${producer}`,
          statements: logStatements(pool, { subscription: spec.name, topic: spec.topic, producer, consumer: spec.service }),
          horizon: horizonOf(producer),
          hold: holdFor(spec.name, producer),
          deliver,
          logger,
          limit: spec.batch?.maxMessages ?? options.fetchSize ?? 500,
          pollIntervalMs: pollIntervalMs + Math.random() * pollIntervalMs * 0.2,
          backoff,
        });
        readers.set(channel, [...(readers.get(channel) ?? []), reader]);
        // A listener opened before this channel was known does not listen to it yet.
        if (isNewChannel && listener) await queryListener(listener, `LISTEN ${quoteIdent(channel)}`, []).catch(() => undefined);
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async deliveryLag(subscriptions) {
      const lag = new Map(subscriptions.map((name) => [name, 0]));
      if (closed) return lag;
      for (const spec of options.topology.filter((s) => lag.has(s.name))) {
        for (const producer of producersOf(spec)) {
          const { rows } = await pool.query<{ seconds: number | null }>(lagSql(producer, spec.service), [spec.name, producer, spec.topic]);
          const seconds = rows[0]?.seconds;
          if (seconds != null) lag.set(spec.name, Math.max(lag.get(spec.name)!, seconds));
        }
      }
      return lag;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...readers.values()].flat().map((reader) => reader.stop()));
      readers.clear();
      await connecting?.catch(() => undefined);
      await listener?.end().catch(() => undefined);
      listener = undefined;
      await pool.end();
    },
  };
}
