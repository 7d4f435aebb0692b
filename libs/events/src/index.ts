export { messageOfCloudEvent, type CloudEventMessage } from './cloud-event-message';
export { createConsumer, type Consumer, type ConsumerOptions } from './consumer';
export { registerDeadLetterRoutes } from './dead-letter.routes';
export { createDeadLetterStore, type DeadLetter, type DeadLetterStore, type ReplayFilter } from './dead-letters';
export { startDueWorkLoop, type DueWorkLoop, type DueWorkLoopOptions } from './due-work-loop';
export { createJourneyEvents, type JourneyEvent, type JourneyEvents, type JourneyOutcome } from './journey-events';
export { registerJourneyRoutes } from './journey.routes';
export { monotonicUuid } from './monotonic-uuid';
export { createPublisher, envelopeOf, outboxChannel, outboxInsertCte, outboxValues, writeOutbox } from './outbox';
export { createOutboxDeadLetters, OUTBOX_DEAD_LETTER_PREFIX, OUTBOX_DEAD_LETTER_SUBSCRIPTION, type OutboxDeadLetters } from './outbox-dead-letters';
export { startRelay, type Relay, type RelayOptions } from './relay';
export { DEFAULT_RETENTION, startRetention, type Retention, type RetentionAges, type RetentionOptions, type RetentionRound } from './retention';
export { createEventRuntime, type EventRuntime, type EventRuntimeOptions } from './runtime';
export { createFaultyTransport, seededRandom, type FaultCounts, type FaultOptions, type FaultyTransport } from './transports/faulty.transport';
export { createMemoryTransport, type MemoryTransport } from './transports/memory.transport';
export { createPgBossTransport, type PgBossTransportOptions } from './transports/pg-boss.transport';
export { createOutboxLogTransport, type OutboxLogTransportOptions } from './transports/outbox-log/outbox-log.transport';
export { keepJobTableStatistics, type JobTableStatistics, type JobTableStatisticsOptions } from './transports/job-table-statistics';
export {
  defineHandler,
  type DeliverFn,
  type DeliveryOutcome,
  type EventHandler,
  type HandlerContext,
  type IncomingMessage,
  type OutgoingMessage,
  type PublishFn,
  type SubscriptionSpec,
  type Transport,
} from './types';
export { createTransport, EVENT_TRANSPORTS, eventsEnvSchema, functionEventsEnvSchema, pushOptionsOf, type EventsEnv, type EventTransportKind } from './events-config';
export {
  createOidcVerifier,
  GOOGLE_ISSUERS,
  type OidcRejection,
  type OidcVerification,
  type OidcVerifier,
  type OidcVerifierOptions,
} from './push/oidc-verifier';
export { createPushBatcher, type PushBatcher, type PushBatcherOptions } from './push/push-batcher';
export { parsePushEnvelope, type PushEnvelope } from './push/push-envelope';
export { MOVED_BY_PUBSUB, registerDeadLetterIntakeRoute, type DeadLetterIntakeOptions } from './push/dead-letter-intake.routes';
export { registerPushRoute, UNKNOWN_SUBSCRIPTION, type PushOptions, type PushRouteOptions } from './push/push.routes';
export {
  applyPubSubTopology,
  DEAD_LETTER_PUSH_PATH,
  deadLetterSubscriptionOf,
  localBaseUrls,
  planPubSubTopology,
  type AppliedTopology,
  type PlannedSubscription,
  type PubSubTopologyOptions,
  type PubSubTopologyPlan,
} from './topology/pubsub-topology';
export { createPubSubTransport, PubSubPublishError, type PubSubTransportOptions } from './transports/pubsub.transport';
