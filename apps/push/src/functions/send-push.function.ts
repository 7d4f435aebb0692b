import type { CloudEvent } from '@google-cloud/functions-framework';
import { decodeEnvelope, subscriptionsOf } from '@shop/contracts';
import { createDatabase, type Database } from '@shop/db';
import { createConsumer, createPublisher, createTransport, startRelay, type Consumer, type Relay } from '@shop/events';
import { createLogger, type Logger } from '@shop/observability';
import type { PushFunctionConfig } from '../config';
import { pusherFor } from '../delivery/push-delivery';
import type { Pusher } from '../delivery/pusher';
import { configuredVapidKeys, createVapidKeys } from '../domain/vapid-keys';
import { pushRequestedHandler } from '../events/push-requested.handler';
import { messageOfCloudEvent } from './pubsub-cloud-event';

const SPEC = subscriptionsOf('push').find((s) => s.topic === 'push.requested')!;

/** What the function runs on: the same consumer, handler and pusher as the service, and an outbox relay. */
export interface PushFunctionRuntime {
  consumer: Consumer;
  pusher: Pusher;
  logger: Logger;
  /** Publishes the outbox now, waiting at most a few seconds; what is left goes out with a later call. */
  flush(): Promise<void>;
}

/**
 * Builds the runtime once per function instance. Subscriptions and the customers read model stay the push
 * service's: the function only pushes to the subscriptions that service keeps.
 */
export function createPushFunctionRuntime(config: PushFunctionConfig): PushFunctionRuntime & { db: Database; relay: Relay } {
  const logger = createLogger({ service: 'push', version: config.SERVICE_VERSION, level: config.LOG_LEVEL, projectId: config.GOOGLE_CLOUD_PROJECT });
  const db = createDatabase(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, applicationName: 'push-function', onError: (err) => logger.warn({ err }, 'database connection error') });
  const publish = createPublisher({ schema: 'push', producer: 'push' });
  const consumer = createConsumer({ db, schema: 'push', publish, logger });
  consumer.register(SPEC, pushRequestedHandler());
  const pusher = pusherFor(config, { db, publish, vapidKeys: createVapidKeys(db.prisma, configuredVapidKeys(config)), logger });
  const relay = startRelay({ databaseUrl: config.DATABASE_URL, pool: db.pool, schema: 'push', transport: createTransport(config, { databaseUrl: config.DATABASE_URL, logger }), logger });
  return {
    consumer,
    pusher,
    logger,
    db,
    relay,
    async flush() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([relay.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
    },
  };
}

/**
 * The `sendPush` CloudEvent function (Pub/Sub-triggered on `push.requested`): records the notification
 * (idempotently), pushes it at once, and flushes the outbox. It returns (Pub/Sub acknowledges) once the
 * notification is finished or the event dead-lettered, and throws while some browser's push service failed
 * for now, so Pub/Sub delivers the event again; the attempt count in the database decides when to give up.
 */
export function sendPushFunction(runtime: () => PushFunctionRuntime | Promise<PushFunctionRuntime>) {
  return async function sendPush(event: CloudEvent<unknown>): Promise<void> {
    const { consumer, pusher, logger, flush } = await runtime();
    const read = messageOfCloudEvent(event.data);
    if (!read.ok) {
      await consumer.deadLetters.record({ subscription: SPEC.name, message: read.message, reason: 'undecodable', error: read.detail, attempts: 1 });
      logger.error({ detail: read.detail, cloud_event_id: event.id }, 'undeliverable CloudEvent dead-lettered');
      return;
    }
    const [outcome] = await consumer.deliver(SPEC.name, [read.message]);
    if (outcome?.status === 'retry') throw new Error(`push.requested not handled yet: ${outcome.error}`);
    if (outcome?.status !== 'ack') return;
    const decoded = decodeEnvelope(read.message.attributes, read.message.data);
    if (!decoded.ok || decoded.envelope.attributes.event_type !== 'push.requested') return;
    const notificationId = (decoded.envelope.payload as { notification_id: string }).notification_id;
    const state = await pusher.attemptNow(notificationId);
    await flush();
    if (state === 'pending' || state === 'in-flight') {
      throw new Error(`the push of notification ${notificationId} is not finished yet (${state}); Pub/Sub will deliver the event again`);
    }
  };
}
