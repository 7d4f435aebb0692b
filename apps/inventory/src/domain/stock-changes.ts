import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import type { StockChange } from '../db/stock.queries';

/**
 * Publishes `stock.changed` for each SKU whose availability moved, in the transaction that moved it. The
 * ordering key is the SKU, and the version lets consumers drop news older than what they have.
 */
export async function publishStockChanges(tx: Tx, publish: PublishFn, changes: readonly StockChange[]): Promise<void> {
  for (const change of changes) {
    await publish(tx, 'stock.changed', { sku: change.sku, available: change.available, version: change.version }, { correlationId: change.sku });
  }
}
