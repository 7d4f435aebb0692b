import type { EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { customerDeletedHandler } from './customer-deleted.handler';
import { customerUpsertedHandler } from './customer-upserted.handler';
import { productDeletedHandler } from './product-deleted.handler';
import { productUpsertedHandler } from './product-upserted.handler';
import { reservationExpiredHandler } from './reservation-expired.handler';
import { stockAvailableHandler } from './stock-available.handler';
import { stockRejectedHandler } from './stock-rejected.handler';

/** Every handler of the order service: one per topic it consumes. */
export function orderHandlers(deps: { logger: Logger }): EventHandler[] {
  return [
    stockAvailableHandler(deps.logger),
    stockRejectedHandler(),
    reservationExpiredHandler(deps.logger),
    productUpsertedHandler(),
    productDeletedHandler(),
    customerUpsertedHandler(),
    customerDeletedHandler(),
  ];
}
