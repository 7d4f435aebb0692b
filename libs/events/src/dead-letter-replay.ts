import type { Consumer } from './consumer';
import type { DeadLetter, ReplayFilter } from './dead-letters';

/** What became of one replayed dead letter. */
export type ReplayResult =
  | { ok: true; outcome: 'processed' | 'duplicate' }
  | { ok: false; failure: 'no_handler' | 'still_invalid' | 'handler_failed'; detail: string; reason?: string };

/**
 * Hands a dead letter to its subscription's handler again, through the same idempotent consumer a delivery
 * takes (so a message that was handled after all is a no-op), and marks it replayed once that committed.
 * A failure leaves it as it was, replayable later.
 */
export async function replayDeadLetter(consumer: Consumer, row: DeadLetter): Promise<ReplayResult> {
  if (!consumer.subscriptions().some((s) => s.name === row.subscription)) {
    return { ok: false, failure: 'no_handler', detail: `No handler here for subscription "${row.subscription}": this message cannot be replayed.` };
  }
  const [outcome] = await consumer.deliver(row.subscription, [{ attributes: row.attributes, data: row.data, deliveryAttempt: 1 }]);
  if (outcome?.status === 'dead-letter') return { ok: false, failure: 'still_invalid', detail: `The message still cannot be handled: ${outcome.reason}.`, reason: outcome.reason };
  if (outcome?.status !== 'ack') {
    return { ok: false, failure: 'handler_failed', detail: `The handler failed again: ${outcome?.status === 'retry' ? outcome.error : 'unknown error'}` };
  }
  await consumer.deadLetters.markReplayed(row.id);
  return { ok: true, outcome: outcome.duplicate ? 'duplicate' : 'processed' };
}

/** Counts of a bulk replay. */
export interface BulkReplayResult {
  /** Handled now, or found handled already: marked replayed. */
  replayed: number;
  /** Still failing (or with no handler here): left as they were. */
  failed: number;
}

const PAGE = 100;

/**
 * Replays every not-yet-replayed dead letter matching `filter`, oldest first (so the messages of one
 * ordering key go in the order they were given up on), one at a time. Paged by id: a dead letter that fails
 * again is passed over, not retried in a loop, and a second run replays only what failed or arrived since.
 */
export async function replayDeadLetters(consumer: Consumer, filter: ReplayFilter): Promise<BulkReplayResult> {
  const result: BulkReplayResult = { replayed: 0, failed: 0 };
  let afterId: string | undefined;
  for (;;) {
    const rows = await consumer.deadLetters.listReplayable({ ...filter, limit: PAGE, ...(afterId ? { afterId } : {}) });
    for (const row of rows) {
      const replayed = await replayDeadLetter(consumer, row);
      if (replayed.ok) result.replayed++;
      else result.failed++;
    }
    if (rows.length < PAGE) return result;
    afterId = rows[rows.length - 1]!.id;
  }
}
