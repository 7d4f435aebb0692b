import { defineHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { notifyStockRejected } from '../domain/event-notifications';

/** `stock.rejected` → e-mail and push "we could not place your order". */
export function stockRejectedHandler(logger: Logger) {
  return defineHandler<'stock.rejected'>({
    topic: 'stock.rejected',
    async handle(tx, event, ctx) {
      await notifyStockRejected(tx, { publish: ctx.publish, eventId: event.attributes.event_id, logger }, event.payload);
    },
  });
}
