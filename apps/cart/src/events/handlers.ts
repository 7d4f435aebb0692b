import type { EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { customerDeletedHandler } from './customer-deleted.handler';
import { customerUpsertedHandler } from './customer-upserted.handler';
import { orderCancelledHandler } from './order-cancelled.handler';
import { orderCreatedHandler } from './order-created.handler';
import { productDeletedHandler } from './product-deleted.handler';
import { productUpsertedHandler } from './product-upserted.handler';
import { stockRejectedHandler } from './stock-rejected.handler';

/** Every handler of the cart service: one per topic it consumes. */
export function cartHandlers(deps: { logger: Logger }): EventHandler[] {
  return [
    stockRejectedHandler(deps.logger),
    orderCreatedHandler(deps.logger),
    orderCancelledHandler(),
    productUpsertedHandler(),
    productDeletedHandler(),
    customerUpsertedHandler(),
    customerDeletedHandler(),
  ];
}
