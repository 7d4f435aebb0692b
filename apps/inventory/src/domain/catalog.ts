import type { PayloadOf } from '@shop/contracts';
import type { Tx } from '@shop/db';
import { upsertCatalogEntry } from '../db/catalog.queries';

/**
 * `product.upserted` → the SKU is sellable while active. `occurredAt` (the event's) orders catalog news:
 * an older event than the one recorded changes nothing.
 */
export function recordProductUpserted(tx: Tx, product: PayloadOf<'product.upserted'>, occurredAt: string): Promise<boolean> {
  return upsertCatalogEntry(tx, { sku: product.sku, active: product.active, deleted: false, occurredAt });
}

/** `product.deleted` → checkout lines of the SKU are rejected as `unknown_product`, whatever its stock. */
export function recordProductDeleted(tx: Tx, product: PayloadOf<'product.deleted'>, occurredAt: string): Promise<boolean> {
  return upsertCatalogEntry(tx, { sku: product.sku, active: false, deleted: true, occurredAt });
}
