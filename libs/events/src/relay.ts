import type pg from 'pg';
import type { TopicName } from '@shop/contracts';
import { quoteIdent } from '@shop/db';
import { startSpan, type Logger, type ServiceMetrics } from '@shop/observability';
import { listenOn } from './notify-listener';
import { outboxChannel } from './outbox';
import { outboxLeases, type LeasedOutboxRow } from './outbox-leases';
import type { OutgoingMessage, Transport } from './types';
import { createWakeup } from './wakeup';

export interface RelayOptions {
  databaseUrl: string;
  pool: pg.Pool;
  schema: string;
  transport: Transport;
  logger: Logger;
  /** Where acknowledged rows are counted (`events_published_total`); none when omitted. */
  metrics?: ServiceMetrics;
  /** Rows per transport call. */
  batchSize?: number;
  /**
   * Longest wait without a look at the outbox when no NOTIFY arrives (a missed notification, a row written by
   * hand). A row backing off or leased by a relay that died is looked at when its lease ends, not at this poll.
   */
  pollIntervalMs?: number;
  /** Pause while the transport is unreachable or refusing: doubles from `minBackoffMs` up to this. */
  maxBackoffMs?: number;
  minBackoffMs?: number;
  /** A publish not acknowledged within this is abandoned and its rows retried (`OUTBOX_PUBLISH_TIMEOUT_MS`). */
  publishTimeoutMs?: number;
  /** How long claimed rows stay this relay's; must outlast the publish timeout. Default: timeout + 20 s. */
  leaseMs?: number;
  /** A row the reachable transport refused this many times is set aside (`OUTBOX_MAX_ATTEMPTS`). */
  maxAttempts?: number;
  /** Backoff of a refused row (and so of its key): doubles from `retryMinMs` up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface Relay {
  /** Publishes whatever is pending now, without waiting for a notification or poll. */
  wake(): void;
  /** Resolves once nothing is left that could be published now (held keys wait for their backoff or replay). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** A publish the relay stopped waiting for. */
class PublishTimeoutError extends Error {
  override name = 'PublishTimeoutError';
  readonly published = 0;
}

/** Rejects after `ms` unless `promise` settled first; the abandoned promise's own rejection is swallowed. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => undefined);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PublishTimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The transport calls of one batch, in id order: a row refused before goes alone, so that a refusal is
 * blamed on the right row, and the rows after it (which a transport publishing in parallel, as Pub/Sub's
 * client does, may have sent already) are not published again each time it is retried.
 */
function segmentsOf(rows: readonly LeasedOutboxRow[], messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const segments: OutgoingMessage[][] = [];
  let fresh: OutgoingMessage[] = [];
  rows.forEach((row, i) => {
    if (row.attempts === 0) {
      fresh.push(messages[i]!);
      return;
    }
    if (fresh.length) segments.push(fresh);
    segments.push([messages[i]!]);
    fresh = [];
  });
  if (fresh.length) segments.push(fresh);
  return segments;
}

/** A PRODUCER span for one message handed to the transport, in the trace of the event's creation. */
function sendSpanOf(message: OutgoingMessage) {
  return startSpan(`send ${message.topic}`, {
    kind: 'producer',
    parent: message.attributes['traceparent'],
    attributes: { 'messaging.operation.type': 'send', 'messaging.destination.name': message.topic, 'messaging.message.id': message.eventId },
  });
}

/**
 * The outbox relay: publishes a service's outbox rows until the transport acknowledges them, woken by
 * LISTEN/NOTIFY, polling only as a fallback. It never publishes inside a database transaction: it leases a
 * batch of rows (see `outboxLeases`), publishes them with `publishTimeoutMs` as the limit, then marks them.
 * Several relays run side by side; a lease keeps a row from being published twice while it holds, and an
 * expired one (its relay died) lets another take over, so delivery is at-least-once and consumers
 * deduplicate by `event_id`. Rows of one ordering key go out in id order: an earlier row that is leased,
 * backing off or set aside holds back the later rows of its key, and only those. When the transport fails,
 * the relay asks it whether it is reachable: if not (an outage) nothing is counted and the relay backs off;
 * if so, the first unacknowledged row was refused: it backs off on its own, and after `maxAttempts`
 * refusals it is set aside, listed with the dead letters until an admin replays it, while its key waits.
 */
export function startRelay(options: RelayOptions): Relay {
  const { schema, transport, logger, pool } = options;
  const batchSize = options.batchSize ?? 200;
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const minBackoffMs = options.minBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  const leaseMs = options.leaseMs ?? publishTimeoutMs + 20_000;
  const maxAttempts = options.maxAttempts ?? 10;
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = options.retryMaxMs ?? 300_000;
  const leases = outboxLeases(pool, schema);
  // Over the unpublished rows' partial index: the earliest end of a lease or backoff, which frees a row (and its key).
  const nextLeaseEndSql = `SELECT (EXTRACT(EPOCH FROM min(leased_until) - now()) * 1000)::float8 AS ms FROM ${quoteIdent(schema)}.outbox
    WHERE published_at IS NULL AND set_aside_at IS NULL AND leased_until IS NOT NULL`;

  /** How long to sleep with nothing to publish now: until the next lease or backoff ends, at most the poll. */
  async function idleSleepMs(): Promise<number> {
    const { rows } = await pool.query<{ ms: number | null }>(nextLeaseEndSql);
    const ms = rows[0]?.ms;
    // At least a few milliseconds: a lease ending now must not make the loop spin on clock differences.
    return ms === null || ms === undefined ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(10, ms));
  }

  /** Counted here, where every outbox writer's rows (libs/events', the CTE writers', inventory's) meet the transport. */
  function countPublished(rows: readonly LeasedOutboxRow[]): void {
    if (!options.metrics) return;
    const byTopic = new Map<string, number>();
    for (const r of rows) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
    for (const [topic, count] of byTopic) options.metrics.eventsPublished(topic, count);
  }

  const wakeup = createWakeup();
  let stopped = false;
  let listener: pg.Client | undefined;
  let idleWaiters: (() => void)[] = [];

  async function connectListener(): Promise<void> {
    listener = await listenOn({
      databaseUrl: options.databaseUrl,
      applicationName: `${schema}-relay`,
      channel: outboxChannel(schema),
      onNotification: wakeup.wake,
      onLost(err, client) {
        logger.warn({ err }, 'outbox relay listener lost its connection; polling until it is back');
        if (listener === client) listener = undefined;
        wakeup.wake();
      },
    });
  }

  /** Whether the transport answers: tells an outage (nothing counted) from a refusal of one row. */
  async function isReachable(): Promise<boolean> {
    try {
      await within(transport.ping(), publishTimeoutMs, 'the transport');
      return true;
    } catch {
      return false;
    }
  }

  /** Publishes one leased batch; `failed` says whether the transport did not take all of it. */
  async function publishBatch(): Promise<{ claimed: number; failed: boolean }> {
    const rows = await leases.claim(batchSize, leaseMs);
    if (rows.length === 0) return { claimed: 0, failed: false };
    const messages: OutgoingMessage[] = rows.map((r) => ({
      id: r.rowId,
      topic: r.topic as TopicName,
      eventId: r.eventId,
      orderingKey: r.orderingKey,
      attributes: r.attributes,
      data: JSON.stringify(r.payload),
    }));
    let published = 0;
    let failure: unknown;
    for (const segment of segmentsOf(rows, messages)) {
      let acknowledged: number;
      const spans = segment.map(sendSpanOf);
      try {
        acknowledged = await within(transport.publish(segment), publishTimeoutMs, 'the transport');
      } catch (err) {
        failure = err;
        acknowledged = (err as { published?: number }).published ?? 0;
      }
      spans.forEach((span, i) => {
        if (i >= acknowledged) span.fail(failure ?? 'not acknowledged by the transport');
        span.end();
      });
      published += Math.max(0, Math.min(acknowledged, segment.length));
      if (failure !== undefined || acknowledged < segment.length) break;
    }
    await leases.markPublished(rows.slice(0, published).map((r) => r.rowId));
    countPublished(rows.slice(0, published));
    if (published === rows.length) return { claimed: rows.length, failed: false };

    const refused = rows[published]!;
    const error = String((failure as Error | undefined)?.message ?? failure ?? 'the transport acknowledged only part of the batch');
    if (await isReachable()) {
      const retryInMs = Math.min(retryMinMs * 2 ** Math.min(refused.attempts, 30), retryMaxMs);
      const setAside = await leases.markRefused(refused, { error, retryInMs, maxAttempts });
      await leases.release(rows.slice(published + 1));
      logger.warn(
        { err: failure, event_id: refused.eventId, topic: refused.topic, ordering_key: refused.orderingKey, attempts: refused.attempts + 1 },
        setAside ? 'the transport keeps refusing an outbox row: set aside (listed with the dead letters)' : 'the transport refused an outbox row; its key waits for a retry',
      );
    } else {
      await leases.release(rows.slice(published), error);
      logger.warn({ err: failure }, 'the transport is unreachable; outbox rows wait');
    }
    return { claimed: rows.length, failed: true };
  }

  const loop = (async () => {
    let backoff = minBackoffMs;
    while (!stopped) {
      wakeup.rearm();
      try {
        if (!listener) await connectListener();
        const { claimed, failed } = await publishBatch();
        if (failed) {
          // Not cut short by new rows: the transport is what failed. A success ends the streak.
          await wakeup.pause(backoff);
          backoff = Math.min(backoff * 2, maxBackoffMs);
          continue;
        }
        backoff = minBackoffMs;
        if (claimed === batchSize) continue;
        if (claimed === 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
          await wakeup.sleep(await idleSleepMs());
        }
      } catch (err) {
        logger.warn({ err, backoffMs: backoff }, 'outbox relay could not reach its database; retrying');
        await wakeup.pause(backoff);
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  })();

  return {
    wake: wakeup.wake,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wakeup.wake();
      }),
    async stop() {
      stopped = true;
      wakeup.close();
      await loop;
      for (const resolve of idleWaiters) resolve();
      await listener?.end().catch(() => undefined);
    },
  };
}
