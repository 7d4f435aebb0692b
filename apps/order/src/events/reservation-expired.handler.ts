import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { cancelExpiredOrder } from '../domain/orders';

/** `reservation.expired` → the order whose reservation ran out before inventory committed it is cancelled. */
export function reservationExpiredHandler(logger: Logger): EventHandler<'reservation.expired'> {
  return defineHandler<'reservation.expired'>({
    topic: 'reservation.expired',
    async handle(tx, event, ctx) {
      const outcome = await cancelExpiredOrder(tx, ctx.publish, event.payload);
      // Retrying would not make an unknown order appear: record it and move on.
      if (outcome === 'unknown') logger.warn({ order_id: event.payload.order_id, reservation_id: event.payload.reservation_id }, 'reservation.expired for an unknown order');
    },
  });
}
