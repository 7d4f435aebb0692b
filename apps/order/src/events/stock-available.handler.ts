import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { createOrderFromReservation } from '../domain/orders';

/** `stock-available` → the order, `confirmed`, and `order.created`; once per request, however often it arrives. */
export function stockAvailableHandler(logger: Logger): EventHandler<'stock-available'> {
  return defineHandler<'stock-available'>({
    topic: 'stock-available',
    async handle(tx, event, ctx) {
      const outcome = await createOrderFromReservation(tx, ctx.publish, event.payload);
      if (outcome === 'exists') logger.info({ request_id: event.payload.request_id }, 'stock-available for a request that already has its order; ignored');
    },
  });
}
