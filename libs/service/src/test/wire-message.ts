import { randomUUID } from 'node:crypto';
import { buildEnvelope, encodeEnvelope, TOPICS, type PayloadOf, type ServiceName, type TopicName } from '@shop/contracts';
import type { IncomingMessage } from '@shop/events';

export interface WireMessageOptions {
  /** Fix it to deliver the same event again. */
  eventId?: string;
  occurredAt?: Date | string;
  /** By default the topic's first producer in the contracts. */
  producer?: ServiceName;
  correlationId?: string;
}

/** A message of `topic` as a transport delivers it to a consumer: string attributes, JSON data, first attempt. */
export function wireMessage<T extends TopicName>(topic: T, payload: PayloadOf<T>, options: WireMessageOptions = {}): IncomingMessage {
  const envelope = buildEnvelope(topic, payload, {
    producer: options.producer ?? TOPICS[topic].producers[0]!,
    correlationId: options.correlationId ?? 'test',
    eventId: options.eventId ?? randomUUID(),
    occurredAt: options.occurredAt,
  });
  const { attributes, data } = encodeEnvelope(envelope);
  return { attributes, data, deliveryAttempt: 1 };
}
