import { defineHandler, type EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { markStockUnavailable } from '../domain/carts';

/** `stock.rejected` → a cart's checkout failed: `stock-unavailable`, unlocked, rejection filled. Buy now is not ours. */
export function stockRejectedHandler(logger: Logger): EventHandler<'stock.rejected'> {
  return defineHandler<'stock.rejected'>({
    topic: 'stock.rejected',
    ignores: ({ payload }) => payload.source !== 'cart' || payload.cart_id === null,
    async handle(tx, event, ctx) {
      const { payload } = event;
      if (payload.source !== 'cart' || payload.cart_id === null) return;
      const transition = await markStockUnavailable(tx, { ...payload, cart_id: payload.cart_id });
      // Observed before the commit: a rare rollback (a group commit that failed) records it once more.
      if (transition.outcome === 'applied') ctx.metrics.checkoutFinished('stock-unavailable', transition.seconds);
      else {
        logger.warn({ cart_id: payload.cart_id, request_id: payload.request_id }, 'stock.rejected for a request the cart no longer awaits; ignored');
      }
    },
  });
}
