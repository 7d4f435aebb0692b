import { defineHandler, type EventHandler } from '@shop/events';
import { recordProductDeleted } from '../domain/catalog';

/** `product.deleted` → the catalog read model: the SKU's lines are rejected as `unknown_product`. */
export function productDeletedHandler(): EventHandler<'product.deleted'> {
  return defineHandler<'product.deleted'>({
    topic: 'product.deleted',
    async handle(tx, event) {
      await recordProductDeleted(tx, event.payload, event.attributes.occurred_at);
    },
  });
}
