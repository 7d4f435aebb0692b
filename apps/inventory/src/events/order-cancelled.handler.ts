import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { releaseReservation } from '../domain/reservations';

/** `order.cancelled` → the reservation's units go back to stock, exactly once. */
export function orderCancelledHandler(logger: Logger): EventHandler<'order.cancelled'> {
  return defineHandler<'order.cancelled'>({
    topic: 'order.cancelled',
    // Locks the stock rows of every line: in a transaction of its own, so the fixed lock order holds.
    alone: true,
    async handle(tx, event, ctx) {
      const { reservation_id: reservationId, order_id: orderId } = event.payload;
      const outcome = await releaseReservation(tx, ctx.publish, { reservationId, orderId });
      if (outcome === 'unknown') logger.warn({ reservation_id: reservationId, order_id: orderId }, 'order.cancelled for an unknown reservation');
    },
  });
}
