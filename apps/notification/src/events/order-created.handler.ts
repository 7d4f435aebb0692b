import { defineHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { notifyOrderConfirmed } from '../domain/event-notifications';

/** `order.created` → e-mail and push "order confirmed". */
export function orderCreatedHandler(logger: Logger) {
  return defineHandler<'order.created'>({
    topic: 'order.created',
    async handle(tx, event, ctx) {
      await notifyOrderConfirmed(tx, { publish: ctx.publish, eventId: event.attributes.event_id, logger }, event.payload);
    },
  });
}
