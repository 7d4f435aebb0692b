import { defineHandler, type EventHandler } from '@shop/events';

/**
 * `order.cancelled` is informational for the cart: an ordered cart stays ordered and locked (one cart, at most
 * one order). Consuming it still records the event as processed, so redeliveries stay no-ops.
 */
export function orderCancelledHandler(): EventHandler<'order.cancelled'> {
  return defineHandler<'order.cancelled'>({
    topic: 'order.cancelled',
    async handle() {},
  });
}
