import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ContractViolation } from './contract-violation';
import { formatIssues } from './format-issues';
import { isServiceName, type ServiceName } from './services';
import { isTopicName, orderingKeyOf, parsePayload, TOPIC_NAMES, TOPICS, type PayloadOf, type TopicName } from './topics';

/** The only `event_version` this library reads and writes. Pub/Sub attributes are strings, hence `'1'`. */
export const EVENT_VERSION = '1';

/** W3C trace context, version 00: `00-<trace-id>-<parent-id>-<flags>`, lower-case hex, ids not all zero. */
const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The attributes of every message (DESIGN.md "Events"). Unknown attributes (a newer producer's, or ones the
 * transport adds) are tolerated and dropped. `traceparent` is optional so messages from before tracing parse.
 */
export const EventAttributes = z.object({
  /** The idempotency key: a redelivery carries the same one. */
  event_id: z.uuid(),
  event_type: z.enum(TOPIC_NAMES),
  event_version: z.literal(EVENT_VERSION),
  occurred_at: z.iso.datetime({ error: 'must be an RFC 3339 UTC timestamp ending in Z' }),
  /**
   * The publishing service. Any non-empty name is read, so a service added later (or a replay tool) does not
   * dead-letter messages at consumers that do not know it yet; `buildEnvelope` only writes registered producers.
   */
  producer: z.string().min(1),
  /** The cart or order id the event belongs to, for following one checkout across services. */
  correlation_id: z.string().min(1),
  traceparent: z.string().regex(TRACEPARENT, { error: 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)' }).optional(),
});
export type EventAttributes = z.infer<typeof EventAttributes>;

/** A validated message of one topic. */
export type EventEnvelope<T extends TopicName> = {
  attributes: EventAttributes & { event_type: T };
  payload: PayloadOf<T>;
  orderingKey: string;
};

/** A validated message of any topic; narrow it with `isEnvelopeOf`. */
export type AnyEventEnvelope = { [T in TopicName]: EventEnvelope<T> }[TopicName];

/**
 * Why a message could not be decoded. Every kind is permanent: the same bytes fail the same way on every
 * delivery, so the consumer dead-letters the message instead of asking for a redelivery.
 */
export type DecodeFailureReason = 'unknown_topic' | 'unknown_version' | 'undecodable' | 'invalid_attributes' | 'invalid_payload';

export const DECODE_FAILURE_REASONS: readonly DecodeFailureReason[] = [
  'unknown_topic',
  'unknown_version',
  'undecodable',
  'invalid_attributes',
  'invalid_payload',
];

export type DecodeResult = { ok: true; envelope: AnyEventEnvelope } | { ok: false; reason: DecodeFailureReason; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Validates a received message: its attributes, its version, its JSON `data` and the payload against the
 * topic's schema, in that order. Transports call it with the message as delivered (Pub/Sub push: the
 * base64-decoded `data`); handlers only ever see the envelope.
 */
export function decodeEnvelope(attributes: Readonly<Record<string, string | undefined>>, data: Uint8Array | string): DecodeResult {
  const eventType = attributes['event_type'];
  if (eventType === undefined || eventType === '') return failure('invalid_attributes', 'event_type: is missing');
  if (!isTopicName(eventType)) return failure('unknown_topic', `event_type "${eventType}" is not a topic of this contract`);
  const version = attributes['event_version'];
  if (version === undefined || version === '') return failure('invalid_attributes', 'event_version: is missing');
  if (version !== EVENT_VERSION) {
    return failure('unknown_version', `${eventType} event_version "${version}" is not understood here (this consumer reads "${EVENT_VERSION}")`);
  }

  // W3C trace context: a malformed traceparent is ignored (a new trace starts), never a reason to drop the event.
  const { traceparent, ...rest } = attributes;
  const usable = traceparent !== undefined && TRACEPARENT.test(traceparent) ? { ...rest, traceparent } : rest;
  const parsedAttributes = EventAttributes.safeParse(usable);
  if (!parsedAttributes.success) return failure('invalid_attributes', formatIssues(parsedAttributes.error.issues));

  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : utf8.decode(data));
  } catch (error) {
    return failure('undecodable', `data is not UTF-8 JSON: ${error instanceof Error ? error.message : String(error)}`);
  }

  const parsedPayload = parsePayload(eventType, json);
  if (!parsedPayload.ok) return failure('invalid_payload', `${eventType} v${EVENT_VERSION}: ${formatIssues(parsedPayload.issues)}`);

  const envelope = {
    attributes: parsedAttributes.data,
    payload: parsedPayload.payload,
    orderingKey: orderingKeyOf(eventType, parsedPayload.payload),
  } as AnyEventEnvelope; // attributes.event_type === eventType, checked above; TS cannot relate the two.
  return { ok: true, envelope };
}

function failure(reason: DecodeFailureReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/** Narrows a decoded envelope to one topic (TypeScript does not narrow a union by a nested field). */
export function isEnvelopeOf<T extends TopicName>(envelope: AnyEventEnvelope, topic: T): envelope is Extract<AnyEventEnvelope, EventEnvelope<T>> {
  return envelope.attributes.event_type === topic;
}

/** What a producer knows besides the payload when it publishes. */
export interface EnvelopeMeta {
  /** The publishing service; it must be one of the topic's producers. */
  producer: ServiceName;
  /** The cart or order id the event belongs to. */
  correlationId: string;
  /** The current span's W3C traceparent, when there is one. */
  traceparent?: string | undefined;
  /** Defaults to a new UUID. Pass the stored one when re-publishing an outbox row, so consumers deduplicate. */
  eventId?: string | undefined;
  /** Defaults to now. */
  occurredAt?: Date | string | undefined;
}

/**
 * Validates a payload the caller is about to publish and wraps it with its attributes and ordering key.
 * Throws `ContractViolation` when the payload, the attributes or the producer break the contract: that is a
 * bug to fix in the producer, and it must fail before the event reaches the outbox.
 */
export function buildEnvelope<T extends TopicName>(topic: T, payload: NoInfer<PayloadOf<T>>, meta: EnvelopeMeta): EventEnvelope<T> {
  if (!isTopicName(topic)) throw new ContractViolation(String(topic), 'topic', [], 'not a topic of this contract');
  const producers: readonly string[] = TOPICS[topic].producers;
  if (!isServiceName(meta.producer) || !producers.includes(meta.producer)) {
    throw new ContractViolation(topic, 'producer', [], `"${String(meta.producer)}" does not publish ${topic} (its producers: ${producers.join(', ')})`);
  }
  const parsedPayload = parsePayload(topic, payload);
  if (!parsedPayload.ok) throw new ContractViolation(topic, 'payload', parsedPayload.issues);
  const occurredAt = meta.occurredAt instanceof Date ? meta.occurredAt.toISOString() : (meta.occurredAt ?? new Date().toISOString());
  const parsedAttributes = EventAttributes.safeParse({
    event_id: meta.eventId ?? randomUUID(),
    event_type: topic,
    event_version: EVENT_VERSION,
    occurred_at: occurredAt,
    producer: meta.producer,
    correlation_id: meta.correlationId,
    traceparent: meta.traceparent,
  });
  if (!parsedAttributes.success) throw new ContractViolation(topic, 'attributes', parsedAttributes.error.issues);
  return {
    attributes: parsedAttributes.data as EventAttributes & { event_type: T },
    payload: parsedPayload.payload,
    orderingKey: orderingKeyOf(topic, parsedPayload.payload),
  };
}

/** A message as a transport sends it: string attributes, JSON `data`, and the ordering key. */
export interface EncodedEvent {
  topic: TopicName;
  attributes: Record<string, string>;
  data: string;
  orderingKey: string;
}

/** Serializes an envelope for the wire; `decodeEnvelope(encoded.attributes, encoded.data)` reads it back. */
export function encodeEnvelope(envelope: AnyEventEnvelope | EventEnvelope<TopicName>): EncodedEvent {
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(envelope.attributes)) {
    if (typeof value === 'string') attributes[key] = value;
  }
  return {
    topic: envelope.attributes.event_type,
    attributes,
    data: JSON.stringify(envelope.payload),
    orderingKey: envelope.orderingKey,
  };
}
