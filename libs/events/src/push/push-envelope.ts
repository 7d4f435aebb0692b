import { z } from 'zod';
import { dataOf, DeliveryAttempt, describeIssues, incomingOf, PubSubMessage } from '../pubsub-message';
import type { IncomingMessage } from '../types';

/** The body of a Pub/Sub push request in the default ("wrapped") format. */
const PushBody = z.object({
  message: PubSubMessage,
  subscription: z.string(),
  deliveryAttempt: DeliveryAttempt,
});

/** `projects/<project>/subscriptions/<name>`. */
const SUBSCRIPTION_PATH = /^projects\/([^/]+)\/subscriptions\/([^/]+)$/;

/** A push request body read into a message, or why it cannot be (with what is kept of it for the dead letter). */
export type PushEnvelope =
  | { ok: true; project: string; subscription: string; message: IncomingMessage }
  | {
      ok: false;
      reason: 'undecodable';
      detail: string;
      /** The subscription's short name, when the body told it. */
      subscription?: string | undefined;
      /** What can be kept of the request for the dead letter. */
      message: IncomingMessage;
    };

/**
 * Reads a push request body into the message the consumer takes. Anything malformed is reported, never
 * thrown: the caller acknowledges it and keeps it as a dead letter, since redelivering the same bytes can
 * only fail the same way.
 */
export function parsePushEnvelope(body: string): PushEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undecodable('the push body is not JSON', { attributes: {}, data: body, deliveryAttempt: 1 });
  }
  const named = subscriptionOf(json);
  const parsed = PushBody.safeParse(json);
  if (!parsed.success) {
    return undecodable(`the push body is not a Pub/Sub push envelope: ${describeIssues(parsed.error, '(body)')}`, { attributes: attributesOf(json), data: body, deliveryAttempt: 1 }, named?.name);
  }
  const { message, deliveryAttempt } = parsed.data;
  const incoming = incomingOf(message, deliveryAttempt);
  if (!named) return undecodable(`"${parsed.data.subscription}" is not a subscription path`, incoming);
  const data = dataOf(message);
  if (!data) return undecodable('message.data is not base64', incoming, named.name);
  return { ok: true, project: named.project, subscription: named.name, message: { ...incoming, data } };
}

function undecodable(detail: string, message: IncomingMessage, subscription?: string): PushEnvelope {
  return { ok: false, reason: 'undecodable', detail, subscription, message };
}

function subscriptionOf(json: unknown): { project: string; name: string } | undefined {
  const path = (json as { subscription?: unknown } | null)?.subscription;
  const match = typeof path === 'string' ? SUBSCRIPTION_PATH.exec(path) : null;
  return match ? { project: match[1]!, name: match[2]! } : undefined;
}

/** The string attributes of a body that is not a valid envelope, so its dead letter still shows them. */
function attributesOf(json: unknown): Record<string, string> {
  const attributes = (json as { message?: { attributes?: unknown } } | null)?.message?.attributes;
  if (typeof attributes !== 'object' || attributes === null) return {};
  return Object.fromEntries(Object.entries(attributes).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
