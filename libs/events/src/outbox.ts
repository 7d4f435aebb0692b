import { randomUUID } from 'node:crypto';
import { buildEnvelope, orderingKeyOf, type EventEnvelope, type PayloadOf, type ServiceName, type TopicName } from '@shop/contracts';
import { onBeforeCommit, quoteIdent, type Tx } from '@shop/db';
import { producerTraceparent } from '@shop/observability';
import type { PublishFn } from './types';

/** The NOTIFY channel a service's relay listens on. */
export function outboxChannel(schema: string): string {
  return `outbox_${schema}`;
}

/**
 * Writes envelopes into a service's outbox in ONE statement, in the given order (the ids, and so the relay's
 * order, follow it), with the NOTIFY that wakes the relay at commit. Inside the caller's transaction. The
 * `correlation_id` column copies the attribute, so a journey (`GET /admin/events`) finds the row by index.
 */
export async function writeOutbox(tx: Tx, schema: string, envelopes: readonly EventEnvelope<TopicName>[]): Promise<void> {
  if (envelopes.length === 0) return;
  await tx.$executeRawUnsafe(
    `WITH ins AS (
       INSERT INTO ${quoteIdent(schema)}.outbox (event_id, topic, ordering_key, attributes, payload, correlation_id)
       SELECT e.event_id, e.topic, e.ordering_key, e.attributes::jsonb, e.payload::jsonb, e.attributes::jsonb->>'correlation_id'
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY
            AS e(event_id, topic, ordering_key, attributes, payload, n)
       ORDER BY e.n
       RETURNING 1
     ) SELECT pg_notify($6, '') WHERE EXISTS (SELECT 1 FROM ins)`,
    envelopes.map((e) => e.attributes.event_id),
    envelopes.map((e) => e.attributes.event_type),
    envelopes.map((e) => e.orderingKey),
    envelopes.map((e) => JSON.stringify(e.attributes)),
    envelopes.map((e) => JSON.stringify(e.payload)),
    outboxChannel(schema),
  );
}

/**
 * The outbox write of envelopes as a data-modifying CTE `name`, for a hot path that does its whole use case
 * in one statement. Each entry takes five parameters from `first` on (the values `outboxValues` gives for its
 * envelope) and is written only when the CTE `guard` of that statement returned a row (its state change
 * happened). Rows get their ids, and so their publishing order, in the order given. The statement must also
 * send `pg_notify(outboxChannel(schema), '')` when it wrote, to wake the relay at commit.
 */
export function outboxInsertCte(name: string, schema: string, entries: readonly { first: number; guard: string }[]): string {
  const selects = entries.map(({ first, guard }, n) => {
    const p = (i: number) => `$${first + i}`;
    return `SELECT ${n} AS n, ${p(0)}::uuid AS event_id, ${p(1)}::text AS topic, ${p(2)}::text AS ordering_key, ${p(3)}::jsonb AS attributes, ${p(4)}::jsonb AS payload FROM ${guard}`;
  });
  return `${name} AS (
    INSERT INTO ${quoteIdent(schema)}.outbox (event_id, topic, ordering_key, attributes, payload, correlation_id)
    SELECT e.event_id, e.topic, e.ordering_key, e.attributes, e.payload, e.attributes->>'correlation_id' FROM (${selects.join(' UNION ALL ')}) AS e ORDER BY e.n
    RETURNING 1)`;
}

/** The parameter values of `outboxInsertCte` for one envelope, in its order. */
export function outboxValues(envelope: EventEnvelope<TopicName>): string[] {
  return [envelope.attributes.event_id, envelope.attributes.event_type, envelope.orderingKey, JSON.stringify(envelope.attributes), JSON.stringify(envelope.payload)];
}

/**
 * The envelope of an event published now: validated against the topic's schema (throws otherwise), carrying
 * the current trace on (with tracing, as a PRODUCER span for its creation, which every consumer's span
 * continues). DESIGN.md: the correlation id is the cart or order id; producers pass it, and the aggregate id
 * is the fallback.
 */
export function envelopeOf<T extends TopicName>(
  producer: ServiceName,
  topic: T,
  payload: PayloadOf<T>,
  correlationId?: string,
  /** The `traceparent` of the message this event answers, when the current trace is not its (a batch's). */
  cause?: string,
): EventEnvelope<TopicName> {
  const correlation = correlationId ?? orderingKeyOf(topic, payload as never);
  const eventId = randomUUID();
  return buildEnvelope(topic, payload as never, {
    producer,
    eventId,
    correlationId: correlation,
    traceparent: producerTraceparent(`create ${topic}`, {
      'messaging.operation.type': 'create',
      'messaging.destination.name': topic,
      'messaging.message.id': eventId,
      'shop.correlation_id': correlation,
    }, cause),
  }) as EventEnvelope<TopicName>;
}

/**
 * Returns `publish` for one service: it validates the payload against the topic's schema at once (a
 * producer cannot send a wrong shape), then writes the event into the service's outbox inside the caller's
 * transaction, so the event exists if and only if the state change commits. In a transaction of
 * `inTransaction` the events are held until the callback ends and written together just before the
 * commit: one statement, one round trip, however many were published. Elsewhere each is written at once.
 * The NOTIFY is delivered at commit and wakes the relay; a rollback sends nothing.
 */
export function createPublisher(options: { schema: string; producer: ServiceName }): PublishFn {
  const pending = new WeakMap<Tx, EventEnvelope<TopicName>[]>();
  return async function publish<T extends TopicName>(
    tx: Tx,
    topic: T,
    payload: Parameters<PublishFn>[2],
    publishOptions: { correlationId?: string } = {},
  ): Promise<string> {
    const envelope = envelopeOf(options.producer, topic, payload as PayloadOf<T>, publishOptions.correlationId);
    const held = pending.get(tx);
    if (held) {
      held.push(envelope);
    } else {
      const batch = [envelope];
      const flush = async () => {
        pending.delete(tx);
        await writeOutbox(tx, options.schema, batch);
      };
      if (onBeforeCommit(tx, flush)) pending.set(tx, batch);
      else await writeOutbox(tx, options.schema, batch);
    }
    return envelope.attributes.event_id;
  };
}
