import { defineHandler, type EventHandler } from '@shop/events';
import { cartProducts } from '../db/read-models.queries';

/** `product.deleted` → the SKU can no longer be added (422); lines already in carts stay, and inventory rejects them at checkout. */
export function productDeletedHandler(): EventHandler<'product.deleted'> {
  return defineHandler<'product.deleted'>({
    topic: 'product.deleted',
    async handle(tx, { payload, attributes }) {
      await cartProducts.delete(tx, payload.sku, attributes.occurred_at);
    },
  });
}
