import type { EventHandler } from '@shop/events';
import type { Logger } from '@shop/observability';
import { customerDeletedHandler } from './customer-deleted.handler';
import { customerUpsertedHandler } from './customer-upserted.handler';
import { deliveryOutcomeHandler } from './delivery-outcome.handler';
import { orderCancelledHandler } from './order-cancelled.handler';
import { orderCreatedHandler } from './order-created.handler';
import { stockRejectedHandler } from './stock-rejected.handler';

/** One handler for every topic the topology routes to the notification service. */
export function notificationHandlers(deps: { logger: Logger }): EventHandler[] {
  const { logger } = deps;
  return [
    stockRejectedHandler(logger),
    orderCreatedHandler(logger),
    orderCancelledHandler(logger),
    customerUpsertedHandler(),
    customerDeletedHandler(),
    deliveryOutcomeHandler('email.delivered', logger),
    deliveryOutcomeHandler('email.failed', logger),
    deliveryOutcomeHandler('push.delivered', logger),
    deliveryOutcomeHandler('push.failed', logger),
  ] as EventHandler[];
}
