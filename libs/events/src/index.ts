export { createConsumer, type Consumer, type ConsumerOptions } from './consumer';
export { registerDeadLetterRoutes } from './dead-letter.routes';
export { createDeadLetterStore, type DeadLetter, type DeadLetterStore } from './dead-letters';
export { monotonicUuid } from './monotonic-uuid';
export { createPublisher, outboxChannel } from './outbox';
export { startRelay, type Relay, type RelayOptions } from './relay';
export { createEventRuntime, type EventRuntime, type EventRuntimeOptions } from './runtime';
export { createMemoryTransport, type MemoryTransport } from './transports/memory.transport';
export { createPgBossTransport, type PgBossTransportOptions } from './transports/pg-boss.transport';
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
