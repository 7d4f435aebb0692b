import { defineHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { notifyOrderCancelled } from '../domain/event-notifications';

/** `order.cancelled` → e-mail and push "order cancelled". */
export function orderCancelledHandler(logger: Logger) {
  return defineHandler<'order.cancelled'>({
    topic: 'order.cancelled',
    async handle(tx, event, ctx) {
      await notifyOrderCancelled(tx, { publish: ctx.publish, eventId: event.attributes.event_id, logger }, event.payload);
    },
  });
}
