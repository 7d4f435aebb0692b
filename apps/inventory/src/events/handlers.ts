import type { CheckoutRetryEnv } from '@shop/config';
import type { EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import type { ReservationSettings } from '../config';
import { orderCancelledHandler } from './order-cancelled.handler';
import { orderCreatedHandler } from './order-created.handler';
import { orderRequestedHandler } from './order-requested.handler';
import { productDeletedHandler } from './product-deleted.handler';
import { productUpsertedHandler } from './product-upserted.handler';

/** Every handler of the inventory service: one per topic it consumes. */
export function inventoryHandlers(deps: {
  logger: Logger;
  config: Pick<ReservationSettings, 'RESERVATION_TTL_SECONDS'> & Partial<Pick<CheckoutRetryEnv, 'CHECKOUT_RETRY_AFTER_SECONDS'>>;
}): EventHandler[] {
  const retryAfter = deps.config.CHECKOUT_RETRY_AFTER_SECONDS;
  return [
    // Half the requesters' shortest wait: a real re-ask always comes later than that after the answer it missed.
    orderRequestedHandler({ ttlSeconds: deps.config.RESERVATION_TTL_SECONDS, ...(retryAfter ? { repeatAnswerWindowSeconds: retryAfter / 2 } : {}) }),
    orderCreatedHandler(deps.logger),
    orderCancelledHandler(deps.logger),
    productUpsertedHandler(),
    productDeletedHandler(),
  ];
}
