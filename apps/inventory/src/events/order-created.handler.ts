import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { commitReservation } from '../domain/reservations';

/**
 * `order.created` → the reservation is committed: its units are sold, no longer merely reserved. For a
 * reservation that expired first, the units are taken again, or `reservation.expired` goes to the order.
 */
export function orderCreatedHandler(logger: Logger): EventHandler<'order.created'> {
  return defineHandler<'order.created'>({
    topic: 'order.created',
    // Locks the stock rows of every line: in a transaction of its own, so the fixed lock order holds.
    alone: true,
    async handle(tx, event, ctx) {
      const { reservation_id: reservationId, order_id: orderId } = event.payload;
      const outcome = await commitReservation(tx, ctx.publish, { reservationId, orderId, correlationId: event.attributes.correlation_id });
      // Retrying would not make an unknown reservation appear: record it and move on.
      if (outcome === 'unknown') logger.warn({ reservation_id: reservationId, order_id: orderId }, 'order.created for an unknown reservation');
      if (outcome === 'refused') logger.info({ reservation_id: reservationId, order_id: orderId }, 'order.created after its reservation expired and its units were sold: reservation.expired');
    },
  });
}
