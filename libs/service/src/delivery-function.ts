import type { CloudEvent } from '@google-cloud/functions-framework';
import { loadConfig, type FunctionEnv } from '@shop/config';
import { decodeEnvelope, type ServiceName, type TopicName } from '@shop/contracts';
import { createDatabase, type Database } from '@shop/db';
import {
  createConsumer,
  createPublisher,
  createTransport,
  messageOfCloudEvent,
  startRelay,
  type EventHandler,
  type EventsEnv,
  type PublishFn,
  type SubscriptionSpec,
} from '@shop/events';
import { createLogger, type Logger } from '@shop/observability';
import type { z } from 'zod';

/**
 * Where a notification stands after an attempt to deliver it now: finished (`sent`, `failed`), due again
 * later (`pending`), being attempted by another worker (`in-flight`), or never requested (`unknown`).
 */
export type AttemptState = 'sent' | 'failed' | 'pending' | 'in-flight' | 'unknown';

/** What a function's deliverer is built from. */
export interface FunctionDeps<C> {
  config: C;
  db: Database;
  publish: PublishFn;
  logger: Logger;
}

export interface DeliveryFunctionOptions<C extends FunctionEnv & EventsEnv, T extends TopicName> {
  service: ServiceName;
  /** The subscription the function takes over; its topic's payload names a `notification_id`. */
  subscription: SubscriptionSpec & { topic: T };
  /** The function's environment, read on the first event: loading the module reads no configuration. */
  configSchema: z.ZodType<C>;
  /** The service's own handler of that topic: it records the notification. */
  handler(config: C): EventHandler<T>;
  /** The service's own deliverer (its mailer, its pusher): attempts a recorded notification at once. */
  deliverer(deps: FunctionDeps<C>): { attemptNow(notificationId: string): Promise<AttemptState> };
  /** What is delivered, as the error that has Pub/Sub deliver again names it ("the e-mail of notification …"). */
  noun: string;
}

export interface DeliveryFunction {
  /** The CloudEvent function to register with the Functions Framework (`cloudEvent(name, handle)`). */
  handle(event: CloudEvent<unknown>): Promise<void>;
  /** Stops the relay and closes the database (instance shutdown, tests); the next event starts them again. */
  close(): Promise<void>;
}

/**
 * A Pub/Sub-triggered CloudEvent function that runs a service's own delivery path in one call, the
 * function-side counterpart of `runService`. Built once per instance, on the first event: a small pool, the
 * service's consumer and handler, its deliverer, and an outbox relay on the transport `EVENT_TRANSPORT`
 * names. Each event is recorded by the consumer (idempotently, by event and by notification), attempted at
 * once, and the outbox flushed. It returns (Pub/Sub acknowledges) once the notification is finished or the
 * event dead-lettered; while a temporary failure leaves it pending it throws, so Pub/Sub delivers the event
 * again with its backoff, and the attempt count kept in the database decides when to give up.
 */
export function createDeliveryFunction<C extends FunctionEnv & EventsEnv, T extends TopicName>(options: DeliveryFunctionOptions<C, T>): DeliveryFunction {
  const { service, subscription } = options;
  let runtime: ReturnType<typeof startRuntime> | undefined;

  function startRuntime(config: C) {
    const logger = createLogger({ service, version: config.SERVICE_VERSION, level: config.LOG_LEVEL, projectId: config.GOOGLE_CLOUD_PROJECT });
    const db = createDatabase(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX, applicationName: `${service}-function`, onError: (err) => logger.warn({ err }, 'database connection error') });
    const publish = createPublisher({ schema: service, producer: service });
    const consumer = createConsumer({ db, schema: service, publish, logger });
    consumer.register(subscription, options.handler(config));
    const deliverer = options.deliverer({ config, db, publish, logger });
    const relay = startRelay({
      databaseUrl: config.DATABASE_URL,
      pool: db.pool,
      schema: service,
      transport: createTransport(config, { databaseUrl: config.DATABASE_URL, logger }),
      logger,
      publishTimeoutMs: config.OUTBOX_PUBLISH_TIMEOUT_MS,
      maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    });
    return {
      consumer,
      deliverer,
      logger,
      db,
      relay,
      /** Publishes the outbox now, waiting at most a few seconds; what is left goes out with a later call. */
      async flush() {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([relay.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
        clearTimeout(timer);
      },
    };
  }

  return {
    async handle(event) {
      const { consumer, deliverer, logger, flush } = (runtime ??= startRuntime(loadConfig(options.configSchema)));
      const read = messageOfCloudEvent(event.data);
      if (!read.ok) {
        // The same bytes fail the same way every time: keep them for an admin, and acknowledge.
        await consumer.deadLetters.record({ subscription: subscription.name, message: read.message, reason: 'undecodable', error: read.detail, attempts: 1 });
        logger.error({ detail: read.detail, cloud_event_id: event.id }, 'undeliverable CloudEvent dead-lettered');
        return;
      }
      const [outcome] = await consumer.deliver(subscription.name, [read.message]);
      if (outcome?.status === 'retry') throw new Error(`${subscription.topic} not handled yet: ${outcome.error}`);
      if (outcome?.status !== 'ack') return;
      const decoded = decodeEnvelope(read.message.attributes, read.message.data);
      if (!decoded.ok || decoded.envelope.attributes.event_type !== subscription.topic) return;
      const notificationId = (decoded.envelope.payload as { notification_id: string }).notification_id;
      const state = await deliverer.attemptNow(notificationId);
      await flush();
      if (state === 'pending' || state === 'in-flight') {
        throw new Error(`the ${options.noun} of notification ${notificationId} is not finished yet (${state}); Pub/Sub will deliver the event again`);
      }
    },
    async close() {
      const current = runtime;
      runtime = undefined;
      await current?.relay.stop();
      await current?.db.close();
    },
  };
}
