import { SERVICE_NAMES, type ServiceName } from './services';
import { TOPIC_NAMES, TOPICS, type TopicName } from './topics';

/** DESIGN.md's service table, "consumes" column: the topics each service subscribes to. */
export const CONSUMES: { readonly [S in ServiceName]: readonly TopicName[] } = {
  order: ['stock-available', 'stock.rejected', 'reservation.expired', 'product.upserted', 'product.deleted', 'customer.upserted', 'customer.deleted'],
  product: ['stock.changed'],
  inventory: ['order-requested', 'order.created', 'order.cancelled', 'product.upserted', 'product.deleted'],
  notification: [
    'stock.rejected',
    'order.created',
    'order.cancelled',
    'customer.upserted',
    'customer.deleted',
    'email.delivered',
    'email.failed',
    'push.delivered',
    'push.failed',
  ],
  email: ['email.requested'],
  cart: ['stock.rejected', 'order.created', 'order.cancelled', 'product.upserted', 'product.deleted', 'customer.upserted', 'customer.deleted'],
  customer: [],
  push: ['push.requested', 'customer.upserted', 'customer.deleted'],
};

/** Where Pub/Sub push subscriptions deliver on every service. */
export const PUSH_PATH = '/pubsub/push';

/**
 * Delivery settings shared by every subscription, within Pub/Sub's limits (5–100 attempts, 10–600 s, 0–600 s).
 * DESIGN.md "Recovery": retries back off from 10 s to 600 s for up to 100 attempts before dead-lettering, so a
 * consumer that is down or a step behind (a rolling deploy, an unknown `event_version`) has hours to catch up.
 */
export const SUBSCRIPTION_DEFAULTS = {
  pushPath: PUSH_PATH,
  ordering: true,
  maxDeliveryAttempts: 100,
  ackDeadlineSeconds: 30,
  minBackoffSeconds: 10,
  maxBackoffSeconds: 600,
} as const;

/** One consuming service's subscription to one topic; the same on Pub/Sub and on the embedded transport. */
export interface Subscription<T extends TopicName = TopicName> {
  /** `<service>.<topic>`: the Pub/Sub subscription id and the embedded transport's queue name. */
  readonly name: string;
  readonly topic: T;
  readonly service: ServiceName;
  readonly pushPath: typeof PUSH_PATH;
  /** Messages with the same ordering key arrive in publish order. */
  readonly ordering: boolean;
  /** After this many failed deliveries the message moves to `deadLetterTopic`. */
  readonly maxDeliveryAttempts: number;
  readonly ackDeadlineSeconds: number;
  readonly minBackoffSeconds: number;
  readonly maxBackoffSeconds: number;
  /**
   * `<service>.<topic>.dead-letter`: one per subscription, so a message one consumer failed on is kept (and
   * replayed) for that consumer alone, while the others, which took it, are left alone.
   */
  readonly deadLetterTopic: string;
  /** Hand the handler up to `maxMessages` at once, waiting at most `maxWaitMs` to fill a batch (embedded transport). */
  readonly batch?: { readonly maxMessages: number; readonly maxWaitMs: number };
}

/** The subscription id of `service`'s subscription to `topic`. */
export function subscriptionName(service: ServiceName, topic: TopicName): string {
  return `${service}.${topic}`;
}

/** The dead-letter topic of a subscription. */
export function deadLetterTopicOf(subscription: string): string {
  return `${subscription}.dead-letter`;
}

/**
 * Reservations are the hot path: inventory takes checkouts in batches to reserve many in one transaction.
 * Keyed by subscription name.
 */
const BATCHING: Readonly<Record<string, { maxMessages: number; maxWaitMs: number }>> = {
  [subscriptionName('inventory', 'order-requested')]: { maxMessages: 50, maxWaitMs: 5 },
};

function subscription<T extends TopicName>(service: ServiceName, topic: T): Subscription<T> {
  const name = subscriptionName(service, topic);
  const batch = BATCHING[name];
  return {
    name,
    topic,
    service,
    ...SUBSCRIPTION_DEFAULTS,
    deadLetterTopic: deadLetterTopicOf(name),
    ...(batch ? { batch } : {}),
  };
}

function subscriptionsTo<T extends TopicName>(topic: T): readonly Subscription<T>[] {
  return SERVICE_NAMES.filter((service) => CONSUMES[service].includes(topic)).map((service) => subscription(service, topic));
}

/** For every topic, one subscription per consuming service, in the order of DESIGN.md's service table. */
export const TOPOLOGY: { readonly [T in TopicName]: readonly Subscription<T>[] } = Object.fromEntries(
  TOPIC_NAMES.map((topic) => [topic, subscriptionsTo(topic)]),
) as { [T in TopicName]: readonly Subscription<T>[] };

/** Every subscription of the system. */
export const SUBSCRIPTIONS: readonly Subscription[] = TOPIC_NAMES.flatMap((topic): readonly Subscription[] => TOPOLOGY[topic]);

/** The subscriptions `service` consumes through, in the order of `TOPIC_NAMES`. */
export function subscriptionsOf(service: ServiceName): Subscription[] {
  return SUBSCRIPTIONS.filter((s) => s.service === service);
}

/** The topics `service` publishes. */
export function topicsPublishedBy(service: ServiceName): TopicName[] {
  return TOPIC_NAMES.filter((topic) => (TOPICS[topic].producers as readonly ServiceName[]).includes(service));
}

/** The topics `service` consumes. */
export function topicsConsumedBy(service: ServiceName): TopicName[] {
  return [...CONSUMES[service]];
}
