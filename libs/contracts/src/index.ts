export { DomainError, fail, isDomainError, type DomainErrorOptions, type ErrorKind, type FieldError } from './domain-error';
export { ContractViolation } from './contract-violation';
export {
  decodeEnvelope,
  buildEnvelope,
  encodeEnvelope,
  isEnvelopeOf,
  EventAttributes,
  EVENT_VERSION,
  DECODE_FAILURE_REASONS,
  type AnyEventEnvelope,
  type DecodeFailureReason,
  type DecodeResult,
  type EncodedEvent,
  type EnvelopeMeta,
  type EventEnvelope,
} from './envelope';
export {
  AmountCents,
  AvailableUnits,
  CurrencyCode,
  EmailAddress,
  ExpirationTime,
  HttpUrl,
  isStorableText,
  LineQuantity,
  MAX_AVAILABLE,
  MAX_EPOCH_MS,
  MAX_INT4,
  MAX_LINE_QUANTITY,
  Quantity,
  Sku,
  StorableString,
  StoredUnits,
  text,
  unstorableTextReason,
  UtcTimestamp,
} from './fields';
export { OrderLinesV1, OrderLineV1, OrderSource, StockRejectionReason, StockShortfallV1 } from './events/fields';
export { CustomerDeletedV1 } from './events/customer-deleted.v1';
export { CustomerUpsertedV1 } from './events/customer-upserted.v1';
export { EmailDeliveredV1 } from './events/email-delivered.v1';
export { EmailFailedV1 } from './events/email-failed.v1';
export { EmailRequestedV1 } from './events/email-requested.v1';
export { OrderCancelledV1 } from './events/order-cancelled.v1';
export { OrderCreatedV1 } from './events/order-created.v1';
export { OrderRequestedV1 } from './events/order-requested.v1';
export { ProductDeletedV1 } from './events/product-deleted.v1';
export { ProductUpsertedV1 } from './events/product-upserted.v1';
export { PushDeliveredV1 } from './events/push-delivered.v1';
export { PushFailedV1 } from './events/push-failed.v1';
export { PushRequestedV1 } from './events/push-requested.v1';
export { ReservationExpiredV1 } from './events/reservation-expired.v1';
export { StockAvailableV1 } from './events/stock-available.v1';
export { StockChangedV1 } from './events/stock-changed.v1';
export { StockRejectedV1 } from './events/stock-rejected.v1';
export { isServiceName, SERVICE_NAMES, SERVICES, type ServiceName } from './services';
export {
  CONSUMES,
  deadLetterTopicOf,
  PUSH_PATH,
  SUBSCRIPTION_DEFAULTS,
  SUBSCRIPTIONS,
  subscriptionName,
  subscriptionsOf,
  topicsConsumedBy,
  topicsPublishedBy,
  TOPOLOGY,
  type Subscription,
} from './topology';
export {
  isTopicName,
  orderingKeyOf,
  parsePayload,
  topicDefinition,
  TOPIC_NAMES,
  TOPICS,
  type ParsePayloadResult,
  type PayloadOf,
  type TopicDefinition,
  type TopicName,
} from './topics';
export { formatMoney } from './money';
