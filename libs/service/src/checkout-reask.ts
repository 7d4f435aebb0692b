import type { CheckoutRetryEnv } from '@shop/config';
import { ContractViolation, type TopicName } from '@shop/contracts';
import { inTransaction, quoteIdent, type Database, type PrismaClient, type Tx } from '@shop/db';
import { startDueWorkLoop, type PublishFn } from '@shop/events';
import type { Logger } from '@shop/observability';

/** How long a requester waits for an outcome before asking again: `afterSeconds`, doubling after each re-ask, at most `maxSeconds`. */
export interface ReaskBackoff {
  afterSeconds: number;
  maxSeconds: number;
}

/** The wait after the `reasks`-th re-ask (0: after the first request) before asking again. */
export function reaskDelaySeconds(backoff: ReaskBackoff, reasks: number): number {
  return Math.min(backoff.afterSeconds * 2 ** Math.min(reasks, 30), backoff.maxSeconds);
}

/**
 * A requester's table of checkouts: rows with `status` ('pending' while no outcome is known), `asked_at` (when
 * order-requested was last published) and `reask_count`, and a partial index on `asked_at` of the pending rows.
 */
export interface PendingCheckoutTable {
  schema: string;
  table: string;
  /** The row's uuid key (cart_id, request_id). */
  key: string;
  /** What makes a row wait for an answer (default `status = 'pending'`); the partial index on `asked_at` must hold exactly these rows. */
  pending?: string;
}

/** A checkout to ask about again: the order-requested payload exactly as first published, and its correlation id. */
export interface StoredRequest {
  key: string;
  payload: unknown;
  correlationId: string;
  /** What to publish again (default `order-requested`); the payload is checked against the topic's schema. */
  topic?: TopicName;
}

export interface CheckoutReaskerOptions {
  /** For logs and the LISTEN connection. */
  name: string;
  prisma: PrismaClient;
  publish: PublishFn;
  logger: Logger;
  table: PendingCheckoutTable;
  backoff: ReaskBackoff;
  /** The stored requests of claimed rows (locked by the caller's transaction). */
  requestsOf(tx: Tx, keys: string[]): Promise<StoredRequest[]>;
  /** Rows re-asked per transaction. */
  batchSize?: number;
}

/** Re-asks what is due: `runDue` and `nextDueInMs` for a due-work loop. */
export interface CheckoutReasker {
  /** Publishes order-requested again for every due checkout (a batch at a time); resolves with how many it took. */
  runDue(): Promise<number>;
  /** Milliseconds until the next pending checkout falls due, by the database's clock; null when none is pending. */
  nextDueInMs(): Promise<number | null>;
}

/**
 * DESIGN.md, "Ask again, get the same answer": a pending checkout that has heard no outcome for the backoff's
 * wait publishes the same order-requested again (same `request_id`, a new `event_id`). Each batch is claimed
 * with `FOR UPDATE SKIP LOCKED`, its schedule advanced (`asked_at = now()`, one more re-ask) and its events
 * written to the outbox in ONE transaction: two instances never re-ask one checkout twice in a round, and a
 * re-ask exists exactly when its schedule moved. An outcome takes the same row lock and ends `pending`, so a
 * claim that waited for it sees the row no longer pending and leaves it.
 */
export function createCheckoutReasker(options: CheckoutReaskerOptions): CheckoutReasker {
  const { prisma, publish, logger, backoff } = options;
  const table = `${quoteIdent(options.table.schema)}.${quoteIdent(options.table.table)}`;
  const key = quoteIdent(options.table.key);
  const batchSize = options.batchSize ?? 50;
  const pending = options.table.pending ?? `status = 'pending'`;
  // $1 = the first wait, $2 = the longest; 2^reask_count is bounded so the power never overflows.
  const dueAt = `asked_at + make_interval(secs => least($1::float8 * power(2, least(reask_count, 30)), $2::float8))`;

  async function reaskBatch(tx: Tx): Promise<number> {
    const claimed = await tx.$queryRawUnsafe<{ key: string; reasks: number }[]>(
      // The first condition is the index's range (every wait is at least $1); the second the row's own wait.
      `UPDATE ${table} t SET asked_at = now(), reask_count = t.reask_count + 1
       FROM (SELECT ${key} FROM ${table}
             WHERE ${pending} AND asked_at <= now() - make_interval(secs => $1::float8) AND ${dueAt} <= now()
             ORDER BY asked_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
       WHERE t.${key} = due.${key}
       RETURNING t.${key}::text AS key, t.reask_count AS reasks`,
      backoff.afterSeconds,
      backoff.maxSeconds,
      batchSize,
    );
    if (claimed.length === 0) return 0;
    const reasks = new Map(claimed.map((row) => [row.key, row.reasks]));
    for (const request of await options.requestsOf(tx, [...reasks.keys()])) {
      const topic = request.topic ?? 'order-requested';
      let eventId: string;
      try {
        // publish checks the payload against the topic's schema before it writes anything, for every topic.
        eventId = await publish(tx, topic, request.payload as never, { correlationId: request.correlationId });
      } catch (err) {
        if (!(err instanceof ContractViolation)) throw err;
        // Its schedule still moves on: one unreadable row must not stop every other one's re-ask.
        logger.error({ key: request.key, topic, err }, `${options.name}: the stored ${topic} is invalid; cannot ask again`);
        continue;
      }
      const reask = reasks.get(request.key) ?? 0;
      logger.warn(
        { key: request.key, topic, event_id: eventId, reask, next_in_seconds: reaskDelaySeconds(backoff, reask), correlation_id: request.correlationId },
        `${options.name}: no answer yet for ${request.key}; published ${topic} again`,
      );
    }
    return claimed.length;
  }

  return {
    runDue: () => inTransaction(prisma, reaskBatch),
    async nextDueInMs() {
      const rows = await prisma.$queryRawUnsafe<{ ms: number | null }[]>(
        `SELECT (EXTRACT(EPOCH FROM min(${dueAt}) - now()) * 1000)::float8 AS ms FROM ${table} WHERE ${pending}`,
        backoff.afterSeconds,
        backoff.maxSeconds,
      );
      return rows[0]?.ms ?? null;
    },
  };
}

/**
 * Runs a checkout reasker in a due-work loop: woken by a NOTIFY on `channel` when a checkout is requested (so
 * it learns the next due time), by the earliest due re-ask, and at least every `pollIntervalMs`. Returns what
 * stops it.
 */
export function startCheckoutReasking(
  options: CheckoutReaskerOptions & { databaseUrl: string; channel: string; pollIntervalMs?: number },
): () => Promise<void> {
  const reasker = createCheckoutReasker(options);
  const loop = startDueWorkLoop({
    name: options.name,
    databaseUrl: options.databaseUrl,
    channel: options.channel,
    runDue: () => reasker.runDue(),
    nextDueInMs: () => reasker.nextDueInMs(),
    logger: options.logger,
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
  });
  return () => loop.stop();
}

/** What a service gives its re-asker: its database, its publish and its logger. */
export interface ReaskDeps {
  db: Database;
  publish: PublishFn;
  logger: Logger;
}

/** A service's re-asker, described once: what it reads, what it asks again, and the channel that wakes it. */
export interface ReaskerDefinition {
  name: string;
  table: PendingCheckoutTable;
  requestsOf: CheckoutReaskerOptions['requestsOf'];
  channel: string;
  /** How often its loop looks at least, from the settings (default 30 s). */
  pollIntervalMs?: (settings: CheckoutRetryEnv) => number;
}

/** A defined re-asker: one pass at a time (`create`, for tests) or its background loop (`start`). */
export interface DefinedReasker {
  create(settings: CheckoutRetryEnv, deps: ReaskDeps, options?: { batchSize?: number }): CheckoutReasker;
  /** Starts the loop; returns what stops it. */
  start(settings: CheckoutRetryEnv, deps: ReaskDeps & { databaseUrl: string }): () => Promise<void>;
}

/** The one way a service sets up a re-asker with the checkout retry settings (`CHECKOUT_RETRY_*`). */
export function defineReasker(definition: ReaskerDefinition): DefinedReasker {
  const optionsFor = (settings: CheckoutRetryEnv, deps: ReaskDeps): CheckoutReaskerOptions => ({
    name: definition.name,
    prisma: deps.db.prisma,
    publish: deps.publish,
    logger: deps.logger,
    table: definition.table,
    backoff: { afterSeconds: settings.CHECKOUT_RETRY_AFTER_SECONDS, maxSeconds: settings.CHECKOUT_RETRY_MAX_SECONDS },
    requestsOf: definition.requestsOf,
  });
  return {
    create: (settings, deps, options = {}) => createCheckoutReasker({ ...optionsFor(settings, deps), ...options }),
    start: (settings, deps) =>
      startCheckoutReasking({
        ...optionsFor(settings, deps),
        databaseUrl: deps.databaseUrl,
        channel: definition.channel,
        ...(definition.pollIntervalMs ? { pollIntervalMs: definition.pollIntervalMs(settings) } : {}),
      }),
  };
}
