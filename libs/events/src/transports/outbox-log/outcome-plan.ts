import type { DeliveryOutcome } from '../../types';
import type { LogMessage, LogOutcomes, ParkedUpdate } from './log-statements';

/** Retry backoff of the outbox log: doubles from `minMs` after each failed delivery, up to `maxMs`. */
export interface Backoff {
  minMs: number;
  maxMs: number;
}

/** The wait before the next delivery of a message that has failed `attempts` times. */
export function backoffAfter(attempts: number, backoff: Backoff): number {
  return Math.min(backoff.minMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)), backoff.maxMs);
}

/**
 * Turns one delivery's outcomes into the bookkeeping of `LogOutcomes`. Messages are taken in outbox order,
 * key by key: `ack` and `dead-letter` settle a message; the first `retry` of a key parks it (or counts one
 * more failure of a parked one) with its backoff, and the key is held from there on: its later messages of
 * the same read are parked behind it with their attempts unchanged (the consumer did not try them: it holds
 * a key's later messages back after a failure), and fresh messages of keys held before the read were never
 * delivered and are parked as they are. Other keys are not held back at all.
 */
export function planOutcomes(
  read: { messages: LogMessage[]; fromPosition: bigint; toPosition: bigint },
  delivered: LogMessage[],
  outcomes: DeliveryOutcome[],
  backoff: Backoff,
): LogOutcomes {
  const plan: LogOutcomes = { fromPosition: read.fromPosition, toPosition: read.toPosition, park: [], settled: [], failedAgain: [] };
  const heldKeys = new Set<string>();
  const outcomeOf = new Map<LogMessage, DeliveryOutcome>();
  delivered.forEach((message, i) => outcomeOf.set(message, outcomes[i] ?? { status: 'retry', error: 'no outcome' }));
  const parked = (m: LogMessage, attempts: number, delayMs: number, error: string | null): ParkedUpdate => ({
    outboxId: m.outboxId,
    orderingKey: m.orderingKey,
    attributes: m.attributes,
    data: m.data,
    attempts,
    delayMs,
    error,
  });
  for (const message of read.messages) {
    const outcome = outcomeOf.get(message);
    if (!outcome) {
      // Held before this read: parked behind its key's earlier messages, due as soon as it heads the key.
      plan.park.push(parked(message, 0, 0, null));
      continue;
    }
    if (outcome.status !== 'retry') {
      if (message.isParked) plan.settled.push(message.outboxId);
      continue;
    }
    const isFirstFailure = !heldKeys.has(message.orderingKey);
    heldKeys.add(message.orderingKey);
    const attempts = isFirstFailure ? message.attempts + 1 : message.attempts;
    const delayMs = isFirstFailure ? backoffAfter(attempts, backoff) : 0;
    const error = outcome.error.slice(0, 2_000);
    if (message.isParked) {
      if (isFirstFailure) plan.failedAgain.push(parked(message, attempts, delayMs, error));
    } else {
      plan.park.push(parked(message, attempts, delayMs, error));
    }
  }
  return plan;
}
