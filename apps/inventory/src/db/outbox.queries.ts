import type { PayloadOf, TopicName } from '@shop/contracts';
import type { Tx } from '@shop/db';
import { envelopeOf, writeOutbox } from '@shop/events';

/** An event to publish: what `publish` of `@shop/events` takes, as data. */
export type PendingEvent = {
  [T in TopicName]: { topic: T; payload: PayloadOf<T>; correlationId: string; /** The answered message's trace. */ traceparent?: string | undefined };
}[TopicName];

/**
 * Writes many events into inventory's outbox in ONE statement, inside the caller's transaction: the same
 * rows, validation and wake-up NOTIFY as `publish` from `@shop/events`. A reservation batch publishes ~50
 * events while it holds the lock of a hot SKU, and writes them at once even in a transaction that did not
 * come from `inTransaction` (where `publish` would write them one by one).
 */
export async function publishAll(tx: Tx, events: readonly PendingEvent[]): Promise<void> {
  // Validates every payload against the contract before anything reaches the outbox, as `publish` does.
  const envelopes = events.map((e) => envelopeOf('inventory', e.topic, e.payload as never, e.correlationId, e.traceparent));
  await writeOutbox(tx, 'inventory', envelopes);
}
