import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { markOrdered } from '../domain/carts';

/** `order.created` → the cart's checkout became an order: `ordered`, `order_id` set, stays locked. */
export function orderCreatedHandler(logger: Logger): EventHandler<'order.created'> {
  return defineHandler<'order.created'>({
    topic: 'order.created',
    ignores: ({ payload }) => payload.source !== 'cart' || payload.cart_id === null,
    async handle(tx, event, ctx) {
      const { payload } = event;
      if (payload.source !== 'cart' || payload.cart_id === null) return;
      const transition = await markOrdered(tx, { ...payload, cart_id: payload.cart_id });
      // Observed before the commit: a rare rollback (a group commit that failed) records it once more.
      if (transition.outcome === 'applied') ctx.metrics.checkoutFinished('ordered', transition.seconds);
      else {
        logger.warn(
          { cart_id: payload.cart_id, request_id: payload.request_id, order_id: payload.order_id },
          'order.created for a request the cart no longer awaits; ignored',
        );
      }
    },
  });
}
