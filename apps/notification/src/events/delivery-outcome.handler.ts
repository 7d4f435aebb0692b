import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { recordDeliveryOutcome } from '../domain/delivery-status';
import type { Channel } from '../domain/notification';

type OutcomeTopic = 'email.delivered' | 'email.failed' | 'push.delivered' | 'push.failed';

/**
 * `email.delivered`, `email.failed`, `push.delivered`, `push.failed` → the notification's status and history;
 * a `push.failed` marked `no_subscription` withdraws the push notification instead (see `recordDeliveryOutcome`).
 * The four differ only in channel and outcome, so one factory serves them.
 */
export function deliveryOutcomeHandler<T extends OutcomeTopic>(topic: T, logger: Logger): EventHandler<T> {
  const [channel, outcome] = topic.split('.') as [Channel, 'delivered' | 'failed'];
  return defineHandler<T>({
    topic,
    async handle(tx, event) {
      const { notification_id, attempt, error } = event.payload;
      const result = await recordDeliveryOutcome(tx, {
        notificationId: notification_id,
        channel,
        outcome,
        attempt,
        error: error ?? null,
        eventId: event.attributes.event_id,
        occurredAt: new Date(event.attributes.occurred_at),
      });
      if (result === 'withdrawn') logger.info({ notification_id, topic }, 'push notification withdrawn: the customer has no push subscription');
      if (result === 'gone') logger.info({ notification_id, topic }, 'outcome for a push notification that no longer exists (withdrawn); ignored');
      if (result === 'orphan') logger.warn({ notification_id, topic }, 'outcome for an unknown notification kept; applied if it appears');
      if (result === 'channel_mismatch') logger.error({ notification_id, topic }, `${topic} names a notification of the other channel; kept in its history only`);
    },
  });
}
