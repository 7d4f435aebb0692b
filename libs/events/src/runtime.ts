import type { Hono } from 'hono';
import { subscriptionsOf, type ServiceName, type TopicName } from '@shop/contracts';
import type { Database } from '@shop/db';
import type { AppEnv } from '@shop/http';
import { createServiceMetrics, type Logger, type ServiceMetrics } from '@shop/observability';
import { createConsumer, type Consumer } from './consumer';
import { registerDeadLetterRoutes } from './dead-letter.routes';
import { observeEventGauges } from './event-gauges';
import { createJourneyEvents } from './journey-events';
import { registerJourneyRoutes } from './journey.routes';
import { createPublisher } from './outbox';
import { registerDeadLetterIntakeRoute } from './push/dead-letter-intake.routes';
import { createOutboxDeadLetters } from './outbox-dead-letters';
import { registerPushRoute, type PushOptions } from './push/push.routes';
import { startRelay, type Relay, type RelayOptions } from './relay';
import { startRetention, type Retention, type RetentionOptions } from './retention';
import type { EventHandler, PublishFn, SubscriptionSpec, Transport } from './types';

export interface EventRuntimeOptions {
  service: ServiceName;
  db: Database;
  databaseUrl: string;
  transport: Transport;
  logger: Logger;
  /** One handler per consumed topic; every topic the service consumes must have one. */
  handlers: EventHandler[];
  relay?: Pick<RelayOptions, 'batchSize' | 'pollIntervalMs' | 'minBackoffMs' | 'maxBackoffMs' | 'publishTimeoutMs' | 'maxAttempts'>;
  /** Overrides of the retention job's sizes and schedule. */
  retention?: Pick<RetentionOptions, 'ages' | 'batchSize' | 'timeBudgetMs' | 'intervalMs'>;
  consumerConcurrency?: number;
  /** Overrides the contracts' `maxDeliveryAttempts` of every subscription (tests reach the last attempt quickly). */
  maxDeliveryAttempts?: number;
  /** Overrides the batch size of batching subscriptions; 1 turns batching off (the flash-sale benchmark compares). */
  batchSize?: number;
  /**
   * How Pub/Sub push requests are authenticated; required when the transport is Pub/Sub, ignored otherwise.
   * `pushOptionsOf(config)` builds it from the events configuration.
   */
  push?: PushOptions;
  /** The service's metrics (events published and consumed, delivery lag, dead letters); its own when omitted. */
  metrics?: ServiceMetrics;
}

/** A service's events: publish inside transactions, consume idempotently, relay the outbox. */
export interface EventRuntime {
  publish: PublishFn;
  /** The metrics this runtime records into: the service's app serves them at `GET /metrics`. */
  metrics: ServiceMetrics;
  consumer: Consumer;
  /** Adds the admin dead-letter and journey (`GET /admin/events`) routes to the service's app, and `POST /pubsub/push` and `/pubsub/dead-letters` on Pub/Sub. */
  registerRoutes(app: Hono<AppEnv>): void;
  /** Starts the relay, the retention job and, for pull engines, the subscriptions. */
  start(): Promise<void>;
  /** The relay, once started (tests wait on it). */
  relay(): Relay | undefined;
  stop(): Promise<void>;
  /** Resolves when the transport is reachable (for `/readyz`). */
  ping(): Promise<void>;
  /** Topics the topology routes to this service that have no handler. */
  unhandledTopics(): TopicName[];
}

/** The topology's subscription with this deployment's overrides applied. */
function tuned(spec: SubscriptionSpec, options: Pick<EventRuntimeOptions, 'maxDeliveryAttempts' | 'batchSize'>): SubscriptionSpec {
  const { batch, ...rest } = spec;
  const batchSize = options.batchSize ?? batch?.maxMessages;
  return {
    ...rest,
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? spec.maxDeliveryAttempts,
    ...(batch && batchSize && batchSize > 1 ? { batch: { ...batch, maxMessages: batchSize } } : {}),
  };
}

/**
 * Wires a service to the event backbone. Each service's plumbing lives in its own schema, named after it.
 * Subscriptions come from the contracts' topology, so a handler cannot be attached to a topic the design
 * does not route to this service.
 */
export function createEventRuntime(options: EventRuntimeOptions): EventRuntime {
  const { service, db, transport, logger } = options;
  const schema = service;
  const publish = createPublisher({ schema, producer: service });
  const metrics = options.metrics ?? createServiceMetrics({ service });
  const consumer = createConsumer({ db, schema, publish, logger, metrics, concurrency: options.consumerConcurrency });
  const subscriptions = subscriptionsOf(service);
  const handled = new Set<TopicName>();
  for (const handler of options.handlers) {
    const spec = subscriptions.find((s) => s.topic === handler.topic);
    if (!spec) throw new Error(`${service} does not consume ${handler.topic} in the topology`);
    consumer.register(tuned(spec, options), handler);
    handled.add(handler.topic);
  }
  const missing = subscriptions.filter((s) => !handled.has(s.topic)).map((s) => s.topic);
  // Not fatal: a service is deployed before all its handlers exist. Its tests assert there are none missing.
  if (missing.length) logger.warn({ missing }, `${service} has no handler for: ${missing.join(', ')}; those messages wait`);
  // Fail at start, not at the first delivery: without these settings pushes could not be authenticated.
  if (transport.kind === 'pubsub' && subscriptions.length && !options.push) {
    throw new Error(`${service} consumes events: the Pub/Sub transport needs the push options`);
  }

  observeEventGauges({ metrics, pool: db.pool, schema, transport, subscriptions: () => consumer.subscriptions().map((s) => s.name) });

  let relay: Relay | undefined;
  let retention: Retention | undefined;
  return {
    publish,
    metrics,
    consumer,
    registerRoutes(app) {
      registerDeadLetterRoutes(app, consumer, { outbox: createOutboxDeadLetters(db.pool, schema) });
      registerJourneyRoutes(app, createJourneyEvents(db.pool, schema));
      if (transport.kind === 'pubsub' && options.push) {
        registerPushRoute(app, { consumer, logger, push: options.push });
        registerDeadLetterIntakeRoute(app, { deadLetters: consumer.deadLetters, subscriptions, logger, push: options.push });
      }
    },
    async start() {
      relay = startRelay({ databaseUrl: options.databaseUrl, pool: db.pool, schema, transport, logger, metrics, ...options.relay });
      retention = startRetention({ pool: db.pool, schema, logger, ...options.retention });
      for (const spec of consumer.subscriptions()) {
        await transport.subscribe(spec, (messages) => consumer.deliver(spec.name, messages));
      }
    },
    relay: () => relay,
    ping: () => transport.ping(),
    unhandledTopics: () => missing,
    async stop() {
      await retention?.stop();
      await relay?.stop();
      await transport.close();
    },
  };
}
