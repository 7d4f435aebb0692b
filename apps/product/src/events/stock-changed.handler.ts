import { defineHandler, type EventHandler } from '@shop/events';
import { recordStockChange } from '../domain/availability';

/** `stock.changed` → the `available` every product shows. */
export function stockChangedHandler(): EventHandler<'stock.changed'> {
  return defineHandler<'stock.changed'>({
    topic: 'stock.changed',
    async handle(tx, event) {
      await recordStockChange(tx, event.payload);
    },
  });
}
