import { defineHandler } from '@shop/events';
import { currentTraceparent } from '@shop/observability';
import { insertNotification } from '../db/notifications.queries';

/**
 * `push.requested`: records the notification, in the consumer's transaction, and nothing else. Pushing
 * happens after the commit (the pusher, woken by the insert's NOTIFY), so a rolled-back transaction can
 * never have pushed. A second request for the same notification (another event id) records nothing. For a
 * customer without any subscription the pusher answers `push.failed` with `NO_SUBSCRIPTION_ERROR` at once.
 */
export function pushRequestedHandler() {
  return defineHandler<'push.requested'>({
    topic: 'push.requested',
    async handle(tx, event) {
      const p = event.payload;
      await insertNotification(tx, {
        notificationId: p.notification_id,
        customerId: p.customer_id,
        eventId: event.attributes.event_id,
        correlationId: event.attributes.correlation_id,
        traceparent: currentTraceparent() ?? null,
        title: p.title,
        text: p.text,
        url: p.url ?? null,
      });
    },
  });
}
