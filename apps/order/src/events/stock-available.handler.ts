import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { createOrderFromReservation } from '../domain/orders';

/**
 * `stock-available` → the order, `confirmed`, and `order.created`; once per request, however often it
 * arrives (a repeat publishes the same `order.created` again); nothing once the reservation has expired.
 */
export function stockAvailableHandler(logger: Logger): EventHandler<'stock-available'> {
  return defineHandler<'stock-available'>({
    topic: 'stock-available',
    async handle(tx, event, ctx) {
      const { answer: outcome, ended } = await createOrderFromReservation(tx, ctx.publish, event.payload);
      // Observed before the commit: a rare rollback (a group commit that failed) records it once more.
      if (ended) ctx.metrics.checkoutFinished(ended.outcome, ended.seconds);
      if (outcome === 'repeated') logger.info({ request_id: event.payload.request_id }, 'stock-available for a request that already has its order; order.created published again');
      if (outcome === 'expired') logger.info({ request_id: event.payload.request_id, expires_at: event.payload.expires_at }, 'stock-available after its reservation expired; no order');
    },
  });
}
