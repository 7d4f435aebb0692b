import type { PayloadOf } from '@shop/contracts';
import type { Tx } from '@shop/db';
import { upsertAvailability } from '../db/availability.queries';

/**
 * Keeps what inventory said a SKU's availability is. Versions only grow per SKU, so an older or repeated
 * `stock.changed` is ignored; a SKU the catalog does not list yet is kept too (stock may be created first).
 * True when the change was newer than what was stored.
 */
export function recordStockChange(tx: Tx, change: PayloadOf<'stock.changed'>): Promise<boolean> {
  return upsertAvailability(tx, change);
}
