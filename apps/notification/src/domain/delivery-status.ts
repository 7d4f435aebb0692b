import type { Tx } from '@shop/db';
import { findNotification, lockOrWithdrawPush, recordAndApplyOutcome } from '../db/notifications.queries';
import type { Channel } from './notification';

/**
 * The `error` of the `push.failed` the push service publishes for a customer without any push subscription: a
 * copy of its NO_SUBSCRIPTION_ERROR (apps/push/src/domain/delivery-policy.ts), since apps never import each
 * other. Only the `no_subscription:` code before the colon is matched (`isNoSubscription`); change both or neither.
 */
export const NO_PUSH_SUBSCRIPTION = 'no_subscription: the customer has no push subscription';
const NO_SUBSCRIPTION_CODE = NO_PUSH_SUBSCRIPTION.slice(0, NO_PUSH_SUBSCRIPTION.indexOf(':') + 1);

/** True for a `push.failed` error that says the customer has no push subscription at all. */
export function isNoSubscription(error: string | null): boolean {
  return error?.startsWith(NO_SUBSCRIPTION_CODE) ?? false;
}

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

/**
 * What recording an outcome did: `withdrawn`, the push notification was deleted (the customer has no push
 * subscription); `gone`, a push outcome for a push notification that no longer exists, ignored.
 */
export type OutcomeResult = 'applied' | 'duplicate' | 'orphan' | 'channel_mismatch' | 'withdrawn' | 'gone';

const NO_REASON = 'delivery failed (no reason given)';

/**
 * Adds the outcome to the history (once per event) and applies it to the notification's status (see
 * `applyOutcome` for the rules that make any order of arrival converge). An e-mail outcome for a notification
 * that does not exist yet stays in the history and is applied when the notification is created ('orphan'); one
 * that names a notification of the other channel is kept in the history only ('channel_mismatch').
 *
 * Push differs in two ways. A push the customer cannot receive is not a notification (DESIGN.md: "one
 * notification per channel the customer can receive"), but only the push service knows the subscriptions: its
 * `push.failed` marked `no_subscription` withdraws the push notification, deleting it and its history
 * ('withdrawn'), unless a delivery already made it `sent`. And a push notification is always created in the
 * transaction that publishes its `push.requested`, so a push outcome naming no notification at all can only be
 * a late one for a withdrawn push: it is acknowledged and changes nothing ('gone').
 */
export async function recordDeliveryOutcome(tx: Tx, reported: ReportedOutcome): Promise<OutcomeResult> {
  const error = reported.outcome === 'failed' ? (reported.error ?? NO_REASON) : (reported.error ?? null);
  if (reported.channel === 'push') {
    const current = await lockOrWithdrawPush(tx, reported.notificationId, reported.outcome === 'failed' && isNoSubscription(error));
    if (!current.exists) return 'gone';
    if (current.withdrawn) return 'withdrawn';
  }
  const { recorded, applied } = await recordAndApplyOutcome(tx, { ...reported, error });
  if (!recorded) return 'duplicate';
  if (applied) return 'applied';
  return (await findNotification(tx, reported.notificationId)) ? 'channel_mismatch' : 'orphan';
}
