import type { Certificates } from 'google-auth-library';
import type { Hono } from 'hono';
import { PUSH_PATH } from '@shop/contracts';
import { defineRoute, DomainError, type AppEnv } from '@shop/http';
import type { Logger } from '@shop/observability';
import type { Consumer } from '../consumer';
import type { DeliveryOutcome, IncomingMessage, SubscriptionSpec } from '../types';
import { createPushAuthenticator } from './push-auth';
import { createPushBatcher, type PushBatcher } from './push-batcher';
import { parsePushEnvelope } from './push-envelope';

/**
 * How push requests are authenticated. `verify: false` is for the emulator only, which sends no token; the
 * events configuration refuses it anywhere else.
 */
export type PushOptions =
  | {
      verify: true;
      /** The audience the push subscriptions put in their tokens. */
      audience: string;
      /** The service account the push subscriptions sign as. */
      serviceAccountEmail: string;
      /** When set, pushes for subscriptions of another project are refused. */
      projectId?: string | undefined;
      /** Keys to verify against instead of Google's certificates (tests). */
      certs?: Certificates | undefined;
    }
  | { verify: false; projectId?: string | undefined };

export interface PushRouteOptions {
  consumer: Consumer;
  logger: Logger;
  push: PushOptions;
}

/** The subscription name a dead letter is filed under when the push body did not name one. */
export const UNKNOWN_SUBSCRIPTION = '(unknown)';

/**
 * `POST /pubsub/push`: Pub/Sub's push delivery. The OIDC token is checked before anything else (401, nothing
 * read or written); then the message goes to the consumer of the subscription it came through. `204` only
 * once the handler's transaction has committed (or the message was kept as a dead letter); a failure the
 * consumer wants retried answers `503`, so Pub/Sub redelivers it with the subscription's backoff. A body
 * that can never be handled is acknowledged and kept as a dead letter instead of being redelivered forever.
 */
export function registerPushRoute(app: Hono<AppEnv>, options: PushRouteOptions): void {
  const { consumer, logger, push } = options;
  const authenticate = createPushAuthenticator(push, logger);
  if (!push.verify) logger.warn('Pub/Sub push requests are NOT authenticated (PUBSUB_VERIFY_OIDC=false): use this with the emulator only');
  const batchers = new Map<string, PushBatcher>();

  function batcherFor(spec: SubscriptionSpec & { batch: NonNullable<SubscriptionSpec['batch']> }): PushBatcher {
    let batcher = batchers.get(spec.name);
    if (!batcher) {
      batcher = createPushBatcher({ ...spec.batch, deliver: (messages) => consumer.deliver(spec.name, messages) });
      batchers.set(spec.name, batcher);
    }
    return batcher;
  }

  async function deliver(spec: SubscriptionSpec, message: IncomingMessage): Promise<DeliveryOutcome> {
    if (spec.batch) return batcherFor({ ...spec, batch: spec.batch }).submit(message);
    const [outcome] = await consumer.deliver(spec.name, [message]);
    if (!outcome) throw new Error(`the consumer returned no outcome for ${spec.name}`);
    return outcome;
  }

  async function keepUndeliverable(subscription: string, message: IncomingMessage, reason: string, detail: string): Promise<void> {
    await consumer.deadLetters.record({ subscription, message, reason, error: detail, attempts: message.deliveryAttempt });
    logger.error({ subscription, reason, detail }, 'undeliverable push request acknowledged and dead-lettered');
  }

  defineRoute(
    app,
    {
      method: 'post',
      path: PUSH_PATH,
      summary: 'Pub/Sub push delivery (Google only, OIDC-authenticated)',
      tags: ['events'],
      // Pub/Sub's envelope: an undecodable one is dead-lettered, not refused (it would be redelivered forever).
      readsOwnBody: true,
      // Deliveries are the choreography itself: a refused one only comes back later, delaying every checkout.
      rateLimited: false,
      responses: {
        204: { description: 'Handled, a duplicate, or kept as a dead letter: Pub/Sub acknowledges it' },
        401: { description: 'No valid OIDC token from the push service account; nothing was processed' },
        503: { description: 'The handler failed; Pub/Sub redelivers the message with backoff' },
      },
    },
    async (c) => {
      await authenticate(c.req.header('Authorization'));

      const envelope = parsePushEnvelope(await c.req.text());
      if (!envelope.ok) {
        await keepUndeliverable(envelope.subscription ?? UNKNOWN_SUBSCRIPTION, envelope.message, envelope.reason, envelope.detail);
        return c.body(null, 204);
      }
      const spec = consumer.subscriptions().find((s) => s.name === envelope.subscription);
      if (!spec || (push.projectId !== undefined && envelope.project !== push.projectId)) {
        const detail = `projects/${envelope.project}/subscriptions/${envelope.subscription} is not a subscription of this service`;
        await keepUndeliverable(envelope.subscription, envelope.message, 'unknown_subscription', detail);
        return c.body(null, 204);
      }

      const outcome = await deliver(spec, envelope.message);
      if (outcome.status === 'retry') {
        // The cause is in the consumer's log; the caller is Pub/Sub, which only needs "not yet".
        throw new DomainError('unavailable', 'The message could not be handled yet; it will be redelivered.');
      }
      return c.body(null, 204);
    },
  );
}
