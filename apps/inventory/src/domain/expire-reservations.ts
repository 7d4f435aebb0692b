import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { expireDue } from '../db/expiry.queries';
import { applyStockDeltas, lockStock } from '../db/stock.queries';
import { publishStockChanges } from './stock-changes';

/** How the sweeper expires reservations. */
export interface ExpirySettings {
  /** How long past `expires_at` an uncommitted reservation is still left alone (an order may be on its way). */
  graceSeconds: number;
  /** Reservations expired per transaction: bounds how long one sweep holds the stock rows it returns units to. */
  batchSize: number;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One sweep, inside the caller's transaction: expires up to `batchSize` open reservations past
 * `expires_at` + grace (status `expired`), puts their units back in `available` and publishes `stock.changed`
 * for each SKU, all in that transaction, so a crash in between leaves the reservations open and the units
 * held, never one without the other. Claims skip rows another sweeper or an order event holds, so running it
 * in parallel never returns units twice. Resolves with how many it expired.
 *
 * Locks: the claimed reservation rows first, then the stock rows in the fixed order of `lockStock`, as
 * `order.created` and `order.cancelled` do; reserving locks only stock rows. No cycle, so no deadlock.
 */
export async function expireReservations(tx: Tx, publish: PublishFn, settings: ExpirySettings): Promise<number> {
  const { expired, units } = await expireDue(tx, settings.graceSeconds, settings.batchSize);
  if (expired === 0) return 0;
  await lockStock(tx, units.map((u) => u.sku).sort(byteOrder));
  // A SKU whose stock record is gone gets nothing back (as for a release): its record cannot be deleted while
  // reservations are open, so this happens only to units an admin removed on purpose.
  const changes = await applyStockDeltas(
    tx,
    units.map((u) => ({ sku: u.sku, available: u.quantity, reserved: -u.quantity })),
  );
  await publishStockChanges(tx, publish, changes);
  return expired;
}
