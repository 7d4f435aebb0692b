import type { EventEnvelope, TopicName } from '@shop/contracts';
import type { Tx } from '@shop/db';
import type { ServiceMetrics } from '@shop/observability';

/** One outbox row on its way to a transport. */
export interface OutgoingMessage {
  /** The outbox row id: the relay's progress marker. */
  id: string;
  topic: TopicName;
  eventId: string;
  orderingKey: string;
  /** Wire attributes (all strings, as Pub/Sub carries them). */
  attributes: Record<string, string>;
  /** The JSON payload, serialised. */
  data: string;
}

/** One message as a transport delivers it to a subscription, before anything is decoded. */
export interface IncomingMessage {
  attributes: Record<string, string>;
  data: Buffer | string;
  /** 1 on the first delivery; transports that know (pg-boss retry count, Pub/Sub deliveryAttempt) say so. */
  deliveryAttempt: number;
  /** The transport's own id, for logs. */
  messageId?: string;
}

/**
 * What became of one delivered message. `ack`: done (handled, or a duplicate); `retry`: failed, deliver it
 * again later; `dead-letter`: it will never succeed and was recorded as a dead letter, so stop delivering it.
 */
export type DeliveryOutcome =
  | { status: 'ack'; duplicate?: boolean }
  | { status: 'retry'; error: string }
  | { status: 'dead-letter'; reason: string };

/** A subscription as the transports need it (the contracts' topology provides these). */
export interface SubscriptionSpec {
  name: string;
  topic: TopicName;
  service: string;
  maxDeliveryAttempts: number;
  batch?: { maxMessages: number; maxWaitMs: number };
}

/** Delivers messages of one subscription, returning one outcome per message, in order. */
export type DeliverFn = (messages: IncomingMessage[]) => Promise<DeliveryOutcome[]>;

/**
 * An engine that carries events between services: pg-boss (embedded), Pub/Sub, or in-memory.
 * Handlers never see which one delivered a message.
 */
export interface Transport {
  readonly kind: 'embedded' | 'pubsub' | 'memory';
  /**
   * Publishes messages in order and resolves with how many, from the start, the transport acknowledged.
   * It may stop early (throwing or returning fewer) when the transport fails; the rest are retried later.
   */
  publish(messages: OutgoingMessage[]): Promise<number>;
  /** Starts delivering a subscription's messages to `deliver`. Push-based engines deliver over HTTP instead. */
  subscribe(subscription: SubscriptionSpec, deliver: DeliverFn): Promise<void>;
  /** Resolves when the transport is reachable (for `/readyz`). */
  ping(): Promise<void>;
  /**
   * Per subscription, the age in seconds of its oldest message not yet acknowledged (0 when none waits), for
   * `event_delivery_lag_seconds`. Engines that cannot tell cheaply omit it (Pub/Sub reports its own
   * `oldest_unacked_message_age` to Cloud Monitoring).
   */
  deliveryLag?(subscriptions: readonly string[]): Promise<Map<string, number>>;
  /** Stops fetching, waits for deliveries in flight, and releases connections. */
  close(): Promise<void>;
}

/** Publishes from inside a transaction: the event commits or rolls back with the caller's changes. */
export type PublishFn = <T extends TopicName>(
  tx: Tx,
  topic: T,
  payload: EventEnvelope<T>['payload'],
  options?: { correlationId?: string },
) => Promise<string>;

/** What a handler may use besides its transaction. */
export interface HandlerContext {
  publish: PublishFn;
  subscription: string;
  /** The service's metrics (checkout durations are observed where a checkout becomes final). */
  metrics: ServiceMetrics;
}

/**
 * A consumer of one topic. `handle` runs inside the transaction that also records the message as
 * processed; `handleBatch`, when given and the subscription batches, takes several messages in one.
 */
export interface EventHandler<T extends TopicName = TopicName> {
  topic: T;
  handle(tx: Tx, event: EventEnvelope<T>, ctx: HandlerContext): Promise<void>;
  handleBatch?(tx: Tx, events: EventEnvelope<T>[], ctx: HandlerContext): Promise<void>;
  /**
   * Each message in a transaction of its own, never grouped with others (group commit). For handlers that
   * lock rows other messages' handlers lock too, several per message (stock rows of a multi-line order):
   * one handler keeps a fixed lock order, a group of them could not, and would deadlock.
   */
  alone?: boolean;
  /**
   * True for a message this handler does nothing with (a cart's rejection at the order service): it is
   * acknowledged without a transaction or a `processed_messages` row, since handling it again changes
   * nothing either. Decided from the message alone, never from the database.
   */
  ignores?(event: EventEnvelope<T>): boolean;
}

/** Declares a handler with its payload type inferred from the topic. */
export function defineHandler<T extends TopicName>(handler: EventHandler<T>): EventHandler<T> {
  return handler;
}
