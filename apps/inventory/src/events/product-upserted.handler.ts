import { defineHandler, type EventHandler } from '@shop/events';
import { recordProductUpserted } from '../domain/catalog';

/** `product.upserted` → the catalog read model: an inactive product's lines are rejected. */
export function productUpsertedHandler(): EventHandler<'product.upserted'> {
  return defineHandler<'product.upserted'>({
    topic: 'product.upserted',
    async handle(tx, event) {
      await recordProductUpserted(tx, event.payload, event.attributes.occurred_at);
    },
  });
}
