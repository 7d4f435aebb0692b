import { z } from 'zod';
import type { IncomingMessage } from '@shop/events';

/**
 * The `data` of a Pub/Sub CloudEvent (`google.cloud.pubsub.topic.v1.messagePublished`): the Pub/Sub message
 * with base64 `data` and string `attributes`, and the subscription that delivered it.
 */
const MessagePublishedData = z.object({
  message: z.object({
    data: z.string().default(''),
    attributes: z.record(z.string(), z.string()).default({}),
    messageId: z.string().optional(),
    publishTime: z.string().optional(),
  }),
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().min(1).optional(),
});

/** Standard base64 with padding, as Pub/Sub writes it (Node's decoder would skip garbage silently). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A CloudEvent's data read into the message the consumer takes, or why it cannot be (never thrown). */
export type CloudEventMessage = { ok: true; message: IncomingMessage } | { ok: false; detail: string; message: IncomingMessage };

export function messageOfCloudEvent(data: unknown): CloudEventMessage {
  const parsed = MessagePublishedData.safeParse(data);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(data)'}: ${i.message}`).join('; ');
    return { ok: false, detail: `not a Pub/Sub CloudEvent: ${detail}`, message: { attributes: {}, data: JSON.stringify(data ?? null), deliveryAttempt: 1 } };
  }
  const { message, deliveryAttempt } = parsed.data;
  const incoming: IncomingMessage = {
    attributes: message.attributes,
    data: message.data,
    deliveryAttempt: deliveryAttempt ?? 1,
    ...(message.messageId ? { messageId: message.messageId } : {}),
  };
  if (!BASE64.test(message.data)) return { ok: false, detail: 'message.data is not base64', message: incoming };
  return { ok: true, message: { ...incoming, data: Buffer.from(message.data, 'base64') } };
}
