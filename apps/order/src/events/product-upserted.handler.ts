import { defineHandler, type EventHandler } from '@shop/events';
import { orderProducts } from '../db/read-models.queries';

/** `product.upserted` → the order service's copy of the catalog entry (buy-now prices, line names), replaced whole. */
export function productUpsertedHandler(): EventHandler<'product.upserted'> {
  return defineHandler<'product.upserted'>({
    topic: 'product.upserted',
    async handle(tx, { payload, attributes }) {
      const product = { sku: payload.sku, name: payload.name, priceCents: payload.price_cents, currency: payload.currency, active: payload.active };
      await orderProducts.upsert(tx, product, attributes.occurred_at);
    },
  });
}
