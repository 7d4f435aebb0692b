import { z } from 'zod';
import type { IncomingMessage } from './types';

/**
 * A Pub/Sub message as Google hands it over, in a push request's body and in a CloudEvent's data alike:
 * base64 `data` and string `attributes`. Unknown members (the snake_case duplicates the emulator adds,
 * fields Google adds later) are ignored.
 */
export const PubSubMessage = z.object({
  // Pub/Sub leaves `data` out when the message has none.
  data: z.string().default(''),
  attributes: z.record(z.string(), z.string()).default({}),
  messageId: z.string().optional(),
  publishTime: z.string().optional(),
  // Not needed: the consumer derives the key from the payload (and the emulator leaves it out).
  orderingKey: z.string().optional(),
});
export type PubSubMessage = z.infer<typeof PubSubMessage>;

/** The delivery attempt Pub/Sub counts when the subscription has a dead-letter policy (absent otherwise). */
export const DeliveryAttempt = z.number().int().min(1).optional();

/** Standard base64 with padding, as Pub/Sub writes it (Node's own decoder would skip garbage silently). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The message the consumer takes, its `data` still as delivered: what a dead letter keeps when it cannot be read. */
export function incomingOf(message: PubSubMessage, deliveryAttempt: number | undefined): IncomingMessage {
  return {
    attributes: message.attributes,
    data: message.data,
    deliveryAttempt: deliveryAttempt ?? 1,
    ...(message.messageId ? { messageId: message.messageId } : {}),
  };
}

/** The message's `data` decoded, or undefined when it is not base64. */
export function dataOf(message: PubSubMessage): Buffer | undefined {
  return BASE64.test(message.data) ? Buffer.from(message.data, 'base64') : undefined;
}

/** Zod's issues in one line, each with its path below `root`. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues.map((i) => `${i.path.join('.') || root}: ${i.message}`).join('; ');
}
