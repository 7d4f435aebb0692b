import type { EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import type { ReservationSettings } from '../config';
import { orderCancelledHandler } from './order-cancelled.handler';
import { orderCreatedHandler } from './order-created.handler';
import { orderRequestedHandler } from './order-requested.handler';
import { productDeletedHandler } from './product-deleted.handler';
import { productUpsertedHandler } from './product-upserted.handler';

/** Every handler of the inventory service: one per topic it consumes. */
export function inventoryHandlers(deps: { logger: Logger; config: Pick<ReservationSettings, 'RESERVATION_TTL_SECONDS'> }): EventHandler[] {
  return [
    orderRequestedHandler({ ttlSeconds: deps.config.RESERVATION_TTL_SECONDS }),
    orderCreatedHandler(deps.logger),
    orderCancelledHandler(deps.logger),
    productUpsertedHandler(),
    productDeletedHandler(),
  ];
}
