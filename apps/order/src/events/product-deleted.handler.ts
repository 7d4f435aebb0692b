import { defineHandler, type EventHandler } from '@shop/events';
import { orderProducts } from '../db/read-models.queries';

/** `product.deleted` → the SKU can no longer be bought now (422); existing orders keep their lines. */
export function productDeletedHandler(): EventHandler<'product.deleted'> {
  return defineHandler<'product.deleted'>({
    topic: 'product.deleted',
    async handle(tx, { payload, attributes }) {
      await orderProducts.delete(tx, payload.sku, attributes.occurred_at);
    },
  });
}
