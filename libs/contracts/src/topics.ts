import type { z } from 'zod';
import { CustomerDeletedV1 } from './events/customer-deleted.v1';
import { CustomerUpsertedV1 } from './events/customer-upserted.v1';
import { EmailDeliveredV1 } from './events/email-delivered.v1';
import { EmailFailedV1 } from './events/email-failed.v1';
import { EmailRequestedV1 } from './events/email-requested.v1';
import { OrderCancelledV1 } from './events/order-cancelled.v1';
import { OrderCreatedV1 } from './events/order-created.v1';
import { OrderRequestedV1 } from './events/order-requested.v1';
import { ProductDeletedV1 } from './events/product-deleted.v1';
import { ProductUpsertedV1 } from './events/product-upserted.v1';
import { PushDeliveredV1 } from './events/push-delivered.v1';
import { PushFailedV1 } from './events/push-failed.v1';
import { PushRequestedV1 } from './events/push-requested.v1';
import { ReservationExpiredV1 } from './events/reservation-expired.v1';
import { StockAvailableV1 } from './events/stock-available.v1';
import { StockChangedV1 } from './events/stock-changed.v1';
import { StockRejectedV1 } from './events/stock-rejected.v1';
import type { ServiceName } from './services';

/** One topic of the contract: its wire name, payload schema, who may publish it and how it is ordered. */
export interface TopicDefinition<N extends string = string, S extends z.ZodType = z.ZodType> {
  /** The contract's name, used verbatim as the Pub/Sub topic id and in the `event_type` attribute. */
  readonly topic: N;
  /** The payload version this library speaks; `event_version` carries it as the string `'1'`. */
  readonly version: 1;
  readonly schema: S;
  /** The services that publish it (DESIGN.md's "publishes" column). */
  readonly producers: readonly ServiceName[];
  /**
   * The aggregate id that orders the topic's messages (DESIGN.md: `cart_id`, else `request_id`, `order_id`,
   * `sku`, `customer_id`; the notification events fall back to `notification_id`).
   */
  orderingKey(payload: z.output<S>): string;
}

function defineTopic<const N extends string, S extends z.ZodType>(definition: Omit<TopicDefinition<N, S>, 'version'>): TopicDefinition<N, S> {
  return { ...definition, version: 1 };
}

/** Every topic of DESIGN.md's events table, keyed by its wire name. */
export const TOPICS = {
  'order-requested': defineTopic({
    topic: 'order-requested',
    schema: OrderRequestedV1,
    producers: ['cart', 'order'],
    orderingKey: (p) => p.cart_id ?? p.request_id,
  }),
  'stock-available': defineTopic({
    topic: 'stock-available',
    schema: StockAvailableV1,
    producers: ['inventory'],
    orderingKey: (p) => p.cart_id ?? p.request_id,
  }),
  'stock.rejected': defineTopic({
    topic: 'stock.rejected',
    schema: StockRejectedV1,
    producers: ['inventory'],
    orderingKey: (p) => p.cart_id ?? p.request_id,
  }),
  'stock.changed': defineTopic({
    topic: 'stock.changed',
    schema: StockChangedV1,
    producers: ['inventory'],
    orderingKey: (p) => p.sku,
  }),
  'order.created': defineTopic({
    topic: 'order.created',
    schema: OrderCreatedV1,
    producers: ['order'],
    orderingKey: (p) => p.cart_id ?? p.request_id,
  }),
  'order.cancelled': defineTopic({
    topic: 'order.cancelled',
    schema: OrderCancelledV1,
    producers: ['order'],
    orderingKey: (p) => p.cart_id ?? p.order_id,
  }),
  'reservation.expired': defineTopic({
    topic: 'reservation.expired',
    schema: ReservationExpiredV1,
    producers: ['inventory'],
    orderingKey: (p) => p.request_id,
  }),
  'product.upserted': defineTopic({
    topic: 'product.upserted',
    schema: ProductUpsertedV1,
    producers: ['product'],
    orderingKey: (p) => p.sku,
  }),
  'product.deleted': defineTopic({
    topic: 'product.deleted',
    schema: ProductDeletedV1,
    producers: ['product'],
    orderingKey: (p) => p.sku,
  }),
  'customer.upserted': defineTopic({
    topic: 'customer.upserted',
    schema: CustomerUpsertedV1,
    producers: ['customer'],
    orderingKey: (p) => p.customer_id,
  }),
  'customer.deleted': defineTopic({
    topic: 'customer.deleted',
    schema: CustomerDeletedV1,
    producers: ['customer'],
    orderingKey: (p) => p.customer_id,
  }),
  'email.requested': defineTopic({
    topic: 'email.requested',
    schema: EmailRequestedV1,
    producers: ['notification'],
    orderingKey: (p) => p.customer_id,
  }),
  'email.delivered': defineTopic({
    topic: 'email.delivered',
    schema: EmailDeliveredV1,
    producers: ['email'],
    orderingKey: (p) => p.notification_id,
  }),
  'email.failed': defineTopic({
    topic: 'email.failed',
    schema: EmailFailedV1,
    producers: ['email'],
    orderingKey: (p) => p.notification_id,
  }),
  'push.requested': defineTopic({
    topic: 'push.requested',
    schema: PushRequestedV1,
    producers: ['notification'],
    orderingKey: (p) => p.customer_id,
  }),
  'push.delivered': defineTopic({
    topic: 'push.delivered',
    schema: PushDeliveredV1,
    producers: ['push'],
    orderingKey: (p) => p.notification_id,
  }),
  'push.failed': defineTopic({
    topic: 'push.failed',
    schema: PushFailedV1,
    producers: ['push'],
    orderingKey: (p) => p.notification_id,
  }),
} as const;

export type TopicName = keyof typeof TOPICS;

/** The payload of a topic, as its v1 schema produces it. */
export type PayloadOf<T extends TopicName> = z.output<(typeof TOPICS)[T]['schema']>;

/** Every topic name, in the order of DESIGN.md's events table. */
export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

export function isTopicName(value: unknown): value is TopicName {
  return typeof value === 'string' && Object.hasOwn(TOPICS, value);
}

/**
 * The registry entry of `topic` with its payload type erased. `TOPICS[topic]` for a generic `T` is a union
 * whose `orderingKey` would demand every payload at once; callers have validated the payload already.
 */
export function topicDefinition<T extends TopicName>(topic: T): TopicDefinition<T, z.ZodType<PayloadOf<T>>> {
  return TOPICS[topic] as unknown as TopicDefinition<T, z.ZodType<PayloadOf<T>>>;
}

/** The ordering key (aggregate id) of a payload of `topic`. */
export function orderingKeyOf<T extends TopicName>(topic: T, payload: NoInfer<PayloadOf<T>>): string {
  return topicDefinition(topic).orderingKey(payload);
}

export type ParsePayloadResult<T extends TopicName> =
  | { ok: true; payload: PayloadOf<T> }
  | { ok: false; issues: z.core.$ZodIssue[] };

/** Validates `data` (already JSON-parsed) against `topic`'s v1 schema. Unknown extra fields are dropped. */
export function parsePayload<T extends TopicName>(topic: T, data: unknown): ParsePayloadResult<T> {
  const result = topicDefinition(topic).schema.safeParse(data);
  return result.success ? { ok: true, payload: result.data } : { ok: false, issues: result.error.issues };
}
