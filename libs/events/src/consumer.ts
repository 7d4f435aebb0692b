import { decodeEnvelope, type EventEnvelope, type TopicName } from '@shop/contracts';
import { inTransaction, isDatabaseUnavailable, quoteIdent, type Database, type Tx } from '@shop/db';
import {
  createServiceMetrics,
  currentTraceparent,
  inSpan,
  runWithLogContext,
  startSpan,
  type ConsumeOutcome,
  type Logger,
  type ServiceMetrics,
  type SpanAttributes,
  type SpanHandle,
} from '@shop/observability';
import { createDeadLetterStore, type DeadLetterStore } from './dead-letters';
import type { DeliveryOutcome, EventHandler, HandlerContext, IncomingMessage, PublishFn, SubscriptionSpec } from './types';

export interface ConsumerOptions {
  db: Database;
  schema: string;
  publish: PublishFn;
  logger: Logger;
  /** Counts each delivery's outcome in `events_consumed_total`; a registry of its own when omitted. */
  metrics?: ServiceMetrics;
  /** How many messages with different ordering keys are handled at once. */
  concurrency?: number;
  /**
   * Messages a group transaction takes before a round is split over another one (see handleEach). Off (1)
   * by default: larger groups made the random-interleavings system test meet a deadlock (retried) in 1 of 4 runs.
   */
  minGroupSize?: number;
}

export interface Consumer {
  /** Handles delivered messages of one subscription and says what became of each, in order. */
  deliver(subscription: string, messages: IncomingMessage[]): Promise<DeliveryOutcome[]>;
  /** Registers the handler for a subscription. */
  register<T extends TopicName>(subscription: SubscriptionSpec & { topic: T }, handler: EventHandler<T>): void;
  subscriptions(): SubscriptionSpec[];
  deadLetters: DeadLetterStore;
}

type Decoded = { index: number; message: IncomingMessage; envelope: EventEnvelope<TopicName> };

/**
 * The idempotent consumer. For every message: decode and validate it (an undecodable message or an invalid
 * payload is dead-lettered at once, never retried; an unknown `event_version` is retried, see `deliver`); then,
 * in ONE transaction, record
 * `(subscriber, event_id)` (with the correlation id and `occurred_at`, for journeys) in `processed_messages` with `INSERT … ON CONFLICT DO NOTHING`, run the handler,
 * and commit together with whatever the handler published. A duplicate, even one racing on another worker,
 * finds the row (or waits on its uncommitted insert) and changes nothing. A failing handler rolls back
 * everything; the message is retried, and dead-lettered after the subscription's maximum attempts.
 */
export function createConsumer(options: ConsumerOptions): Consumer {
  const { db, schema, publish, logger } = options;
  const metrics = options.metrics ?? createServiceMetrics({ service: schema });
  const processed = `${quoteIdent(schema)}.processed_messages`;
  const routes = new Map<string, { spec: SubscriptionSpec; handler: EventHandler }>();
  const deadLetters = createDeadLetterStore(db.pool, schema);
  const concurrency = options.concurrency ?? 8;
  const minGroupSize = options.minGroupSize ?? 1;

  function contextFor(spec: SubscriptionSpec): HandlerContext {
    return { publish, subscription: spec.name, metrics };
  }

  async function handleOne(spec: SubscriptionSpec, handler: EventHandler, envelope: EventEnvelope<TopicName>): Promise<DeliveryOutcome> {
    const isNew = await inTransaction(db.prisma, async (tx: Tx) => {
      const inserted = await tx.$executeRawUnsafe(
        `INSERT INTO ${processed} (subscriber, event_id, topic, correlation_id, occurred_at) VALUES ($1, $2::uuid, $3, $4, $5::timestamptz) ON CONFLICT DO NOTHING`,
        spec.name,
        envelope.attributes.event_id,
        envelope.attributes.event_type,
        envelope.attributes.correlation_id,
        envelope.attributes.occurred_at,
      );
      if (inserted === 0) return false;
      await handler.handle(tx, inCurrentTrace(envelope), contextFor(spec));
      return true;
    });
    return isNew ? { status: 'ack' } : { status: 'ack', duplicate: true };
  }

  /**
   * Several messages in ONE transaction, each with its own `processed_messages` row; `handle` gets those not
   * processed before (a message delivered twice within them counts once: its first copy). Throws if any part
   * fails, and then nothing of it committed.
   */
  async function handleTogether(spec: SubscriptionSpec, items: Decoded[], handle: (tx: Tx, fresh: Decoded[]) => Promise<void>): Promise<DeliveryOutcome[]> {
    const fresh = await inTransaction(db.prisma, async (tx: Tx) => {
      const rows = await tx.$queryRawUnsafe<{ event_id: string }[]>(
        `INSERT INTO ${processed} (subscriber, event_id, topic, correlation_id, occurred_at)
         SELECT $1, e.id, $3, e.correlation_id, e.occurred_at FROM unnest($2::uuid[], $4::text[], $5::timestamptz[]) AS e(id, correlation_id, occurred_at)
         ON CONFLICT DO NOTHING RETURNING event_id::text`,
        spec.name,
        items.map((i) => i.envelope.attributes.event_id),
        spec.topic,
        items.map((i) => i.envelope.attributes.correlation_id),
        items.map((i) => i.envelope.attributes.occurred_at),
      );
      const inserted = new Set(rows.map((r) => r.event_id));
      const firsts = items.filter((i) => inserted.delete(i.envelope.attributes.event_id));
      if (firsts.length) await handle(tx, firsts);
      return new Set(firsts.map((i) => i.index));
    });
    return items.map((i) => (fresh.has(i.index) ? { status: 'ack' } : { status: 'ack', duplicate: true }));
  }

  /** A batching handler's batch: one call for all of it. */
  async function handleBatch(spec: SubscriptionSpec, handler: EventHandler, items: Decoded[]): Promise<DeliveryOutcome[]> {
    // A CONSUMER span per message, as when handled alone: the handler gets each envelope carrying its span's
    // traceparent, so what it writes for one message continues that message's trace, not the batch's.
    const spans = items.map((item) => startSpan(`process ${spec.topic}`, { kind: 'consumer', parent: item.envelope.attributes.traceparent, attributes: spanAttributes(spec, item) }));
    const traced = items.map((item, i) => ({ ...item, envelope: carrying(item.envelope, spans[i]!.traceparent) }));
    try {
      return await handleTogether(spec, traced, (tx, fresh) => handler.handleBatch!(tx, fresh.map((item) => item.envelope), contextFor(spec)));
    } catch (err) {
      for (const span of spans) span.fail(err);
      throw err;
    } finally {
      for (const span of spans) span.end();
    }
  }

  async function failed(spec: SubscriptionSpec, item: Decoded, err: unknown): Promise<DeliveryOutcome> {
    const error = err instanceof Error ? err.message : String(err);
    if (item.message.deliveryAttempt >= spec.maxDeliveryAttempts) {
      await deadLetters.record({ subscription: spec.name, message: item.message, reason: 'handler_failed', error, attempts: item.message.deliveryAttempt });
      logger.error({ err, subscription: spec.name, event_id: item.envelope.attributes.event_id }, 'message dead-lettered after its last attempt');
      return { status: 'dead-letter', reason: 'handler_failed' };
    }
    logger.warn({ err, subscription: spec.name, event_id: item.envelope.attributes.event_id, attempt: item.message.deliveryAttempt }, 'handler failed; will retry');
    return { status: 'retry', error };
  }

  /**
   * Group commit: messages of different ordering keys handled in ONE transaction, each with its own
   * `processed_messages` row, the handler called for each in turn. A commit costs a disk sync, and under a
   * burst (a flash sale) the syncs, not the handlers, are what limits a consumer. Returns undefined when any
   * part failed: nothing of the group committed, and the caller handles its messages one by one instead.
   */
  async function handleGroup(spec: SubscriptionSpec, handler: EventHandler, group: Decoded[]): Promise<DeliveryOutcome[] | undefined> {
    try {
      return await handleTogether(spec, group, async (tx, fresh) => {
        for (const item of fresh) await runInContext(spec, item, () => handler.handle(tx, inCurrentTrace(item.envelope), contextFor(spec)));
      });
    } catch (err) {
      logger.debug({ err, subscription: spec.name, size: group.length }, 'group failed; handling its messages one by one');
      return undefined;
    }
  }

  /**
   * One message in its own transaction. A database that cannot be reached is no fault of the message: it is
   * retried (never dead-lettered for it), and `onDatabaseAway` tells the caller, which retries the rest of the
   * delivery at once instead of waiting out a connection timeout per message.
   */
  async function handleAlone(spec: SubscriptionSpec, handler: EventHandler, item: Decoded, onDatabaseAway: (error: string) => void): Promise<DeliveryOutcome> {
    return runInContext(spec, item, async (span) => {
      try {
        return await handleOne(spec, handler, item.envelope);
      } catch (err) {
        span.fail(err);
        if (isDatabaseUnavailable(err)) {
          const error = `database unavailable: ${err instanceof Error ? err.message : String(err)}`;
          onDatabaseAway(error);
          return { status: 'retry', error };
        }
        return failed(spec, item, err);
      }
    });
  }

  /**
   * Handles messages key by key: the n-th message of every key in round n, so a key's messages stay in
   * order; within a round, the keys are split over up to `concurrency` transactions that run in parallel,
   * each committing its share together (group commit), or one by one if that share failed.
   */
  async function handleEach(spec: SubscriptionSpec, handler: EventHandler, items: Decoded[], outcomes: DeliveryOutcome[]): Promise<void> {
    const lanes = new Map<string, Decoded[]>();
    for (const item of items) {
      const key = item.envelope.orderingKey;
      lanes.set(key, [...(lanes.get(key) ?? []), item]);
    }
    const blocked = new Map<string, string>();
    // Set once the database turned out to be unreachable: every message not yet handled is retried at once.
    let away: string | undefined;
    const databaseAway = (error: string) => void (away ??= error);
    const rounds = Math.max(...[...lanes.values()].map((lane) => lane.length));
    for (let round = 0; round < rounds; round++) {
      const due: Decoded[] = [];
      for (const [key, lane] of lanes) {
        const item = lane[round];
        if (!item) continue;
        // After a failure, later messages of the same key wait too: their order must hold.
        const reason = blocked.get(key);
        if (reason) outcomes[item.index] = { status: 'retry', error: `waiting for an earlier message of key ${key}: ${reason}` };
        else due.push(item);
      }
      // Each share is a transaction, and each commit a disk sync: split only into shares of at least
      // `minGroupSize` messages, so a small delivery commits once instead of `concurrency` times.
      const size = Math.max(Math.ceil(due.length / concurrency), minGroupSize);
      const shares = Array.from({ length: Math.ceil(due.length / Math.max(size, 1)) }, (_, i) => due.slice(i * size, (i + 1) * size));
      await Promise.all(
        shares.map(async (share) => {
          const grouped = share.length > 1 && !handler.alone ? await handleGroup(spec, handler, share) : undefined;
          for (const [i, item] of share.entries()) {
            const outcome = grouped?.[i] ?? (away ? { status: 'retry' as const, error: away } : await handleAlone(spec, handler, item, databaseAway));
            outcomes[item.index] = outcome;
            if (outcome.status === 'retry') blocked.set(item.envelope.orderingKey, outcome.error);
          }
        }),
      );
    }
  }

  const consumer: Consumer = {
    deadLetters,
    register(spec, handler) {
      if (routes.has(spec.name)) throw new Error(`subscription ${spec.name} already has a handler`);
      routes.set(spec.name, { spec, handler: handler as unknown as EventHandler });
    },
    subscriptions: () => [...routes.values()].map((r) => r.spec),
    async deliver(subscription, messages) {
      const route = routes.get(subscription);
      if (!route) throw new Error(`no handler for subscription ${subscription}`);
      const { spec, handler } = route;
      const outcomes: DeliveryOutcome[] = new Array(messages.length);
      const valid: Decoded[] = [];
      for (const [index, message] of messages.entries()) {
        const decoded = decodeEnvelope(message.attributes, message.data);
        // DESIGN.md "Recovery": a version this consumer does not read yet comes from a producer deployed
        // before it; a rolling deploy catches up, so it is retried (and nothing recorded as processed). Only
        // on its last attempt is it kept as a dead letter, as for a failing handler: never dropped silently.
        if (!decoded.ok && decoded.reason === 'unknown_version' && message.deliveryAttempt < spec.maxDeliveryAttempts) {
          logger.warn({ subscription, attempt: message.deliveryAttempt, detail: decoded.detail }, 'unknown event_version; will retry');
          outcomes[index] = { status: 'retry', error: decoded.detail };
          continue;
        }
        if (!decoded.ok || decoded.envelope.attributes.event_type !== spec.topic) {
          const reason = decoded.ok ? 'wrong_topic' : decoded.reason;
          const detail = decoded.ok ? `expected ${spec.topic}, got ${decoded.envelope.attributes.event_type}` : decoded.detail;
          await deadLetters.record({ subscription, message, reason, error: detail, attempts: message.deliveryAttempt });
          logger.error({ subscription, reason, detail }, 'undeliverable message dead-lettered');
          outcomes[index] = { status: 'dead-letter', reason };
          continue;
        }
        // Nothing to do for this one: no transaction, nothing recorded (a repeat would change nothing either).
        if (handler.ignores?.(decoded.envelope)) {
          outcomes[index] = { status: 'ack' };
          continue;
        }
        valid.push({ index, message, envelope: decoded.envelope });
      }
      if (valid.length === 0) return outcomes;
      if (spec.batch && handler.handleBatch && valid.length > 1) {
        try {
          const batchOutcomes = await handleBatch(spec, handler, valid);
          valid.forEach((item, i) => (outcomes[item.index] = batchOutcomes[i]!));
          return outcomes;
        } catch (err) {
          // One bad message must not fail the others: retry each alone, so only the bad one fails.
          logger.warn({ err, subscription, size: valid.length }, 'batch failed; handling its messages one by one');
        }
      }
      await handleEach(spec, handler, valid, outcomes);
      return outcomes;
    },
  };
  return {
    ...consumer,
    // Every delivered message's outcome counted in `events_consumed_total`, whichever of deliver's paths it took.
    async deliver(subscription, messages) {
      const outcomes = await consumer.deliver(subscription, messages);
      const topic = routes.get(subscription)!.spec.topic;
      for (const outcome of outcomes) metrics.eventConsumed(topic, consumeOutcomeOf(outcome));
      return outcomes;
    },
  };
}

/** How `events_consumed_total` names an outcome: an acknowledged message was handled, or was a duplicate. */
function consumeOutcomeOf(outcome: DeliveryOutcome): ConsumeOutcome {
  if (outcome.status === 'ack') return outcome.duplicate ? 'duplicate' : 'handled';
  return outcome.status === 'retry' ? 'retried' : 'dead_lettered';
}

/** One message's handling as a CONSUMER span continuing the producer's trace (its `traceparent`), and its log context. */
function runInContext<T>(spec: SubscriptionSpec, item: Decoded, fn: (span: SpanHandle) => Promise<T>): Promise<T> {
  const { attributes } = item.envelope;
  return runWithLogContext({ event_id: attributes.event_id }, () =>
    inSpan(`process ${attributes.event_type}`, { kind: 'consumer', parent: attributes.traceparent, attributes: spanAttributes(spec, item) }, fn),
  );
}

/**
 * The envelope as its handler sees it: carrying the trace it is handled in (its consumer span's, with tracing),
 * as in a batch, so that what a handler creates on a message's behalf continues from there.
 */
function inCurrentTrace(envelope: EventEnvelope<TopicName>): EventEnvelope<TopicName> {
  return carrying(envelope, currentTraceparent());
}

/** The envelope with `traceparent` in place of its own; itself when that changes nothing (tracing off). */
function carrying(envelope: EventEnvelope<TopicName>, traceparent: string | undefined): EventEnvelope<TopicName> {
  return traceparent && traceparent !== envelope.attributes.traceparent ? { ...envelope, attributes: { ...envelope.attributes, traceparent } } : envelope;
}

function spanAttributes(spec: SubscriptionSpec, item: Decoded): SpanAttributes {
  const { attributes } = item.envelope;
  return {
    'messaging.operation.type': 'process',
    'messaging.destination.name': attributes.event_type,
    'messaging.consumer.group.name': spec.name,
    'messaging.message.id': attributes.event_id,
    'shop.delivery_attempt': item.message.deliveryAttempt,
    'shop.correlation_id': attributes.correlation_id,
  };
}
