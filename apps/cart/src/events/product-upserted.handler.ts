import { defineHandler, type EventHandler } from '@shop/events';
import { cartProducts } from '../db/read-models.queries';

/** `product.upserted` → the cart's copy of the catalog entry, replaced whole. Lines already in carts keep their price. */
export function productUpsertedHandler(): EventHandler<'product.upserted'> {
  return defineHandler<'product.upserted'>({
    topic: 'product.upserted',
    async handle(tx, { payload, attributes }) {
      const product = { sku: payload.sku, name: payload.name, priceCents: payload.price_cents, currency: payload.currency, active: payload.active };
      await cartProducts.upsert(tx, product, attributes.occurred_at);
    },
  });
}
