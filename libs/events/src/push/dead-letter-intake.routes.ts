import type { Hono } from 'hono';
import type { Subscription } from '@shop/contracts';
import { defineRoute, DomainError, type AppEnv } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { DeadLetterStore } from '../dead-letters';
import { DEAD_LETTER_PUSH_PATH, deadLetterSubscriptionOf } from '../topology/pubsub-topology';
import type { IncomingMessage } from '../types';
import { createPushAuthenticator } from './push-auth';
import { parsePushEnvelope } from './push-envelope';
import { UNKNOWN_SUBSCRIPTION, type PushOptions } from './push.routes';

/** The reason a dead letter Pub/Sub moved to a dead-letter topic is listed under. */
export const MOVED_BY_PUBSUB = 'moved_by_pubsub';

/** Attributes Pub/Sub adds when it moves a message to a dead-letter topic (not part of the event). */
const PUBSUB_DEAD_LETTER_ATTRIBUTE = /^CloudPubSubDeadLetter/;

export interface DeadLetterIntakeOptions {
  deadLetters: DeadLetterStore;
  /** The service's subscriptions in the contracts' topology, handled here or by a function that took one over. */
  subscriptions: readonly Subscription[];
  logger: Logger;
  push: PushOptions;
}

/**
 * `POST /pubsub/dead-letters`: what Pub/Sub moved to one of this service's dead-letter topics (after the
 * last attempt, or when no attempt was ever answered: a crashed or unreachable instance), filed in the
 * service's dead-letter list under the subscription it was given up on, with the event's own attributes,
 * its payload and the delivery count Pub/Sub reports, so it can be replayed like any other.
 *
 * A push subscription rather than a pull worker: Cloud Run instances may be scaled to zero or have no CPU
 * between requests, so a pull worker would not drain the topic until something else woke the service; a
 * push wakes it, carries the same OIDC token as `/pubsub/push` (checked the same way), and redelivers with
 * backoff until the row is committed (`204`).
 */
export function registerDeadLetterIntakeRoute(app: Hono<AppEnv>, options: DeadLetterIntakeOptions): void {
  const { deadLetters, logger, push } = options;
  const authenticate = createPushAuthenticator(push, logger);
  const sourceOf = new Map(options.subscriptions.map((s) => [deadLetterSubscriptionOf(s), s]));

  defineRoute(
    app,
    {
      method: 'post',
      path: DEAD_LETTER_PUSH_PATH,
      summary: "Pub/Sub push of a dead-letter topic's messages into the dead-letter list (Google only, OIDC-authenticated)",
      tags: ['events'],
      readsOwnBody: true,
      // Recovery must not wait on an allowance, as for /pubsub/push.
      rateLimited: false,
      responses: {
        204: { description: 'Kept in the dead-letter list (once, however often it arrives): Pub/Sub acknowledges it' },
        401: { description: 'No valid OIDC token from the push service account; nothing was kept' },
        503: { description: 'The list cannot be written right now; Pub/Sub redelivers the message with backoff' },
      },
    },
    async (c) => {
      await authenticate(c.req.header('Authorization'));
      const envelope = parsePushEnvelope(await c.req.text());
      if (!envelope.ok) {
        await keep(UNKNOWN_SUBSCRIPTION, envelope.message, 'undecodable', `a dead-letter push that cannot be read: ${envelope.detail}`);
        return c.body(null, 204);
      }
      const source = sourceOf.get(envelope.subscription);
      if (!source || (push.projectId !== undefined && envelope.project !== push.projectId)) {
        const detail = `projects/${envelope.project}/subscriptions/${envelope.subscription} is not a dead-letter subscription of this service`;
        await keep(UNKNOWN_SUBSCRIPTION, envelope.message, 'unknown_subscription', detail);
        return c.body(null, 204);
      }
      const { message, attempts } = originalOf(envelope.message);
      await keep(source.name, message, MOVED_BY_PUBSUB, `Pub/Sub moved it to ${source.deadLetterTopic} after ${attempts} delivery attempts without an acknowledgement`, attempts);
      return c.body(null, 204);
    },
  );

  async function keep(subscription: string, message: IncomingMessage, reason: string, error: string, attempts = message.deliveryAttempt): Promise<void> {
    try {
      await deadLetters.recordOnce({ subscription, message, reason, error, attempts });
    } catch (err) {
      // Not acknowledged, so Pub/Sub keeps the message and pushes it again with backoff once PostgreSQL is back.
      logger.error({ err, subscription, reason }, 'dead letter could not be kept; Pub/Sub will redeliver it');
      throw new DomainError('unavailable', 'The dead letter cannot be kept right now; it will be redelivered.');
    }
    logger.error({ subscription, reason, event_id: message.attributes['event_id'] }, 'dead letter kept in the list');
  }
}

/**
 * The message as it was published (Pub/Sub's `CloudPubSubDeadLetter*` attributes removed, so a replay
 * decodes exactly what the producer sent), and how many deliveries the source subscription made.
 */
function originalOf(message: IncomingMessage): { message: IncomingMessage; attempts: number } {
  const count = Number(message.attributes['CloudPubSubDeadLetterSourceDeliveryCount']);
  const attributes = Object.fromEntries(Object.entries(message.attributes).filter(([name]) => !PUBSUB_DEAD_LETTER_ATTRIBUTE.test(name)));
  return { message: { ...message, attributes }, attempts: Number.isInteger(count) && count > 0 ? count : message.deliveryAttempt };
}
