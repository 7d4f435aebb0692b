import type { Logger } from '@shop/observability';
import type { DeliverFn, IncomingMessage } from '../../types';
import { createWakeup, type Wakeup } from '../../wakeup';
import type { OutboxHorizon } from './horizon';
import type { LogMessage, LogStatements } from './log-statements';
import { planOutcomes, type Backoff } from './outcome-plan';

/** The reader's hold on its (subscription, producer) pair, so one instance reads it at a time. */
export interface ReaderHold {
  /** Whether this instance holds the pair now (false again once the connection holding it was lost). */
  holds(): boolean;
  /** Tries to take the pair; false while another instance holds it. */
  acquire(): Promise<boolean>;
  /**
   * Whether the hold is still there, checked on the connection that holds it: a connection that was killed
   * may not have told the client yet, and a reader must not deliver on a hold another instance has taken.
   */
  confirm(): Promise<boolean>;
}

export interface LogReaderOptions {
  name: string;
  statements: LogStatements;
  horizon: OutboxHorizon;
  hold: ReaderHold;
  deliver: DeliverFn;
  logger: Logger;
  /** Fresh messages per delivery (and parked ones per delivery, besides). */
  limit: number;
  /** Fallback look when no NOTIFY arrives (a lost one, a hold to retake, a retry coming due). */
  pollIntervalMs: number;
  backoff: Backoff;
}

export interface LogReader {
  wake(): void;
  stop(): Promise<void>;
}

/** How long a position may stay only in memory while the reader skips rows of other topics. */
const POSITION_SAVE_INTERVAL_MS = 1_000;
/** Rechecks of a fence that waits for running transactions: from 1 ms, doubling, up to this. */
const MAX_RECHECK_MS = 50;

/**
 * Reads one producer's outbox for one subscription, in id order, from its stored position. Each round: take
 * the visibility horizon further if the reader has caught up with it; read the due parked messages and the
 * fresh rows up to the horizon; deliver those whose key is not held; then, in ONE statement, move the
 * position (compare-and-set against the stored one) and park, settle or reschedule messages as their
 * outcomes say (`planOutcomes`). A crash between the consumer's commit and that statement delivers the
 * messages again, and the consumer's `processed_messages` makes that a no-op. A reader whose rows were all of
 * other topics keeps its position in memory for up to a second: nothing to redo if it is lost.
 */
export function startLogReader(options: LogReaderOptions): LogReader {
  const { statements, horizon, hold, logger, limit } = options;
  const wakeup: Wakeup = createWakeup();
  let stopped = false;
  /** The position stored in the database, the compare-and-set's expected value. */
  let stored: bigint | undefined;
  let position = 0n;
  let savedAt = 0;
  /** Whether this subscription may have parked messages; false only once a read showed none and none were parked since. */
  let mayHaveParked = true;

  function incoming(message: LogMessage): IncomingMessage {
    return {
      attributes: message.attributes,
      data: message.data,
      deliveryAttempt: message.attempts + 1,
      messageId: `${options.name}:${message.outboxId}`,
    };
  }

  /** One round; says whether to go on at once, recheck a waiting fence soon, or sleep up to `ms`. */
  async function round(): Promise<{ next: 'now' } | { next: 'recheck' | 'sleep'; ms: number }> {
    if (stored === undefined || !hold.holds()) {
      stored = undefined;
      if (!(await hold.acquire())) return { next: 'sleep', ms: options.pollIntervalMs };
      stored = await statements.position();
      position = stored;
      mayHaveParked = true;
    }
    if (position >= horizon.safe) await horizon.advance();
    // Nothing new in the outbox and nothing parked: an idle look costs the fence alone.
    if (!mayHaveParked && position >= horizon.safe) return { next: horizon.isWaiting ? 'recheck' : 'sleep', ms: options.pollIntervalMs };
    const read = await statements.read(position, horizon.safe, limit);
    mayHaveParked = read.nextDueAt !== undefined || read.messages.some((m) => m.isParked || m.isHeld);
    const delivered = read.messages.filter((m) => m.isParked || !m.isHeld);
    if (read.messages.length === 0) {
      position = read.nextPosition;
      if (stored !== position && Date.now() - savedAt >= POSITION_SAVE_INTERVAL_MS) await save([]);
      const dueInMs = read.nextDueAt ? Math.max(1, read.nextDueAt.getTime() - Date.now()) : Infinity;
      return { next: horizon.isWaiting ? 'recheck' : 'sleep', ms: Math.min(options.pollIntervalMs, dueInMs) };
    }
    if (delivered.length && !(await hold.confirm())) {
      stored = undefined;
      return { next: 'now' };
    }
    // A fence taken now usually passes by the time this delivery is done (its writers commit meanwhile), so
    // the next round finds the rows committed during the delivery readable instead of waiting a fence out.
    if (delivered.length) horizon.advance().catch(() => undefined);
    const outcomes = delivered.length ? await options.deliver(delivered.map(incoming)) : [];
    const plan = planOutcomes({ messages: read.messages, fromPosition: stored, toPosition: read.nextPosition }, delivered, outcomes, options.backoff);
    if (plan.park.length) mayHaveParked = true;
    position = read.nextPosition;
    await save(plan);
    return { next: 'now' };
  }

  /** Stores the position and the plan; on a lost compare-and-set, starts again from what is stored. */
  async function save(plan: Parameters<LogStatements['record']>[0] | []): Promise<void> {
    const outcomes = Array.isArray(plan) ? { fromPosition: stored!, toPosition: position, park: [], settled: [], failedAgain: [] } : plan;
    if (await statements.record(outcomes)) {
      stored = outcomes.toPosition;
      savedAt = Date.now();
      return;
    }
    logger.warn({ reader: options.name }, 'another reader moved this position; reading again from the stored one');
    stored = undefined;
  }

  const loop = (async () => {
    let errorBackoffMs = 100;
    let recheckMs = 1;
    while (!stopped) {
      wakeup.rearm();
      try {
        const outcome = await round();
        errorBackoffMs = 100;
        if (outcome.next === 'now') {
          recheckMs = 1;
          continue;
        }
        if (outcome.next === 'sleep') {
          recheckMs = 1;
          await wakeup.sleep(outcome.ms);
          continue;
        }
        // A fence waits for transactions that were running when it was taken: look again soon, then less often.
        await wakeup.sleep(Math.min(recheckMs, outcome.ms));
        recheckMs = Math.min(recheckMs * 2, MAX_RECHECK_MS);
      } catch (err) {
        if (stopped) break;
        logger.warn({ err, reader: options.name, backoffMs: errorBackoffMs }, 'outbox log reader failed; retrying');
        await wakeup.pause(errorBackoffMs);
        errorBackoffMs = Math.min(errorBackoffMs * 2, 30_000);
      }
    }
  })();

  return {
    wake: wakeup.wake,
    async stop() {
      stopped = true;
      wakeup.close();
      await loop;
    },
  };
}
