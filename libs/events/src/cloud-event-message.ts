import { z } from 'zod';
import { dataOf, DeliveryAttempt, describeIssues, incomingOf, PubSubMessage } from './pubsub-message';
import type { IncomingMessage } from './types';

/**
 * The `data` of a Pub/Sub CloudEvent (`google.cloud.pubsub.topic.v1.messagePublished`, what a Cloud Run
 * function with a Pub/Sub trigger receives): the Pub/Sub message, and the subscription that delivered it.
 */
const MessagePublishedData = z.object({
  message: PubSubMessage,
  subscription: z.string().optional(),
  deliveryAttempt: DeliveryAttempt,
});

/** A CloudEvent's data read into the message the consumer takes, or why it cannot be (with what a dead letter keeps). */
export type CloudEventMessage = { ok: true; message: IncomingMessage } | { ok: false; detail: string; message: IncomingMessage };

/**
 * Reads a Pub/Sub CloudEvent's data into the message the consumer takes. Anything malformed is reported,
 * never thrown: the same bytes would fail the same way on every delivery, so the caller dead-letters them.
 */
export function messageOfCloudEvent(data: unknown): CloudEventMessage {
  const parsed = MessagePublishedData.safeParse(data);
  if (!parsed.success) {
    const message = { attributes: {}, data: JSON.stringify(data ?? null), deliveryAttempt: 1 };
    return { ok: false, detail: `not a Pub/Sub CloudEvent: ${describeIssues(parsed.error, '(data)')}`, message };
  }
  const incoming = incomingOf(parsed.data.message, parsed.data.deliveryAttempt);
  const decoded = dataOf(parsed.data.message);
  if (!decoded) return { ok: false, detail: 'message.data is not base64', message: incoming };
  return { ok: true, message: { ...incoming, data: decoded } };
}
