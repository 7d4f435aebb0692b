import { defineHandler, type EventHandler } from '@shop/events';
import { rejectBuyNow } from '../domain/orders';

/** `stock.rejected` → a buy-now request is `rejected`, with why. A cart's rejection is the cart's business. */
export function stockRejectedHandler(): EventHandler<'stock.rejected'> {
  return defineHandler<'stock.rejected'>({
    topic: 'stock.rejected',
    ignores: ({ payload }) => payload.source !== 'buy-now',
    async handle(tx, { payload }, ctx) {
      if (payload.source !== 'buy-now') return;
      const ended = await rejectBuyNow(tx, payload);
      // Observed before the commit: a rare rollback (a group commit that failed) records it once more.
      if (ended) ctx.metrics.checkoutFinished(ended.outcome, ended.seconds);
    },
  });
}
