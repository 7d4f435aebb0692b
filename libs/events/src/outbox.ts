import { buildEnvelope, orderingKeyOf, type ServiceName, type TopicName } from '@shop/contracts';
import { quoteIdent } from '@shop/db';
import { currentLogContext, formatTraceparent } from '@shop/observability';
import type { PublishFn } from './types';

/** The NOTIFY channel a service's relay listens on. */
export function outboxChannel(schema: string): string {
  return `outbox_${schema}`;
}

/**
 * Returns `publish` for one service: it validates the payload against the topic's schema (a producer cannot
 * send a wrong shape), then writes the event into the service's outbox inside the caller's transaction, so
 * the event exists if and only if the state change commits. The NOTIFY is delivered at commit and wakes the
 * relay at once; a rollback sends nothing.
 */
export function createPublisher(options: { schema: string; producer: ServiceName }): PublishFn {
  const table = `${quoteIdent(options.schema)}.outbox`;
  const channel = outboxChannel(options.schema);
  return async function publish<T extends TopicName>(
    tx: Parameters<PublishFn>[0],
    topic: T,
    payload: Parameters<PublishFn>[2],
    publishOptions: { correlationId?: string } = {},
  ): Promise<string> {
    const trace = currentLogContext()?.trace;
    const envelope = buildEnvelope(topic, payload as never, {
      producer: options.producer,
      // DESIGN.md: the cart or order id; producers pass it, and the aggregate id is the fallback.
      correlationId: publishOptions.correlationId ?? orderingKeyOf(topic, payload as never),
      traceparent: trace ? formatTraceparent(trace) : undefined,
    });
    const { attributes, orderingKey } = envelope;
    await tx.$executeRawUnsafe(
      `WITH ins AS (
         INSERT INTO ${table} (event_id, topic, ordering_key, attributes, payload)
         VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb) RETURNING 1
       ) SELECT pg_notify($6, '') FROM ins`,
      attributes.event_id,
      topic,
      orderingKey,
      JSON.stringify(attributes),
      JSON.stringify(envelope.payload),
      channel,
    );
    return attributes.event_id;
  };
}
