import type { Tx } from '@shop/db';
import { insertDelivery } from '../db/deliveries.queries';
import { applyOutcome, findNotification } from '../db/notifications.queries';
import type { Channel } from './notification';

/** One `email.delivered|failed` or `push.delivered|failed`, as a use case sees it. */
export interface ReportedOutcome {
  notificationId: string;
  channel: Channel;
  outcome: 'delivered' | 'failed';
  attempt: number;
  error: string | null;
  eventId: string;
  occurredAt: Date;
}

/** What recording an outcome did. */
export type OutcomeResult = 'applied' | 'duplicate' | 'orphan' | 'channel_mismatch';

const NO_REASON = 'delivery failed (no reason given)';

/**
 * Adds the outcome to the history (once per event) and applies it to the notification's status (see
 * `applyOutcome` for the rules that make any order of arrival converge). An outcome for a notification that
 * does not exist yet stays in the history and is applied when the notification is created ('orphan'); one
 * that names a notification of the other channel is kept in the history only ('channel_mismatch').
 */
export async function recordDeliveryOutcome(tx: Tx, reported: ReportedOutcome): Promise<OutcomeResult> {
  const error = reported.outcome === 'failed' ? (reported.error ?? NO_REASON) : (reported.error ?? null);
  const isNew = await insertDelivery(tx, { ...reported, error });
  if (!isNew) return 'duplicate';
  if (await applyOutcome(tx, { ...reported, error })) return 'applied';
  return (await findNotification(tx, reported.notificationId)) ? 'channel_mismatch' : 'orphan';
}
