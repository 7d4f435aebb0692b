import { inTransaction, isUniqueViolation, type PrismaClient } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { fail } from '@shop/contracts';
import { hasOpenReservations } from '../db/reservations.queries';
import { deleteStockRow, findStock, insertStock, listStockRows, lockStock, setStockAvailable, type StockRow } from '../db/stock.queries';
import { publishStockChanges } from './stock-changes';

/** What the stock use cases need: the database and the outbox. */
export interface StockStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

function notFound(sku: string) {
  return fail.notFound(`SKU ${sku} has no stock record.`);
}

/**
 * Creates a SKU's stock record (the SKU need not be in the catalog yet) and publishes its first
 * `stock.changed`. A SKU that already has a record is a `conflict`.
 */
export async function createStock(store: StockStore, input: { sku: string; available: number }): Promise<StockRow> {
  try {
    return await inTransaction(store.prisma, async (tx) => {
      const row = await insertStock(tx, input.sku, input.available);
      await publishStockChanges(tx, store.publish, [{ sku: row.sku, available: row.available, version: Number(row.version) }]);
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw fail.conflict(`SKU ${input.sku} already has a stock record; change it with PUT.`, { errors: [{ field: 'sku', message: 'already has a stock record' }] });
    }
    throw err;
  }
}

export async function getStock(prisma: PrismaClient, sku: string): Promise<StockRow> {
  const row = await findStock(prisma, sku);
  if (!row) throw notFound(sku);
  return row;
}

export function listStock(prisma: PrismaClient, options: { limit: number; afterSku?: string }): Promise<StockRow[]> {
  return listStockRows(prisma, options);
}

/**
 * Sets the units that can be sold (a stock count, a delivery) and publishes `stock.changed`. Reservations
 * already made keep their units: `reserved` is not touched.
 */
export async function setStockLevel(store: StockStore, sku: string, available: number): Promise<StockRow> {
  return inTransaction(store.prisma, async (tx) => {
    const row = await setStockAvailable(tx, sku, available);
    if (!row) throw notFound(sku);
    await publishStockChanges(tx, store.publish, [{ sku: row.sku, available: row.available, version: Number(row.version) }]);
    return row;
  });
}

/**
 * Deletes a SKU's stock record, refused (`conflict`) while a reservation holds units of it. The stock row
 * lock makes the check and the delete one step against reservations, which take the same lock. Publishes
 * `stock.changed` with `available: 0`; checkouts of the SKU are then rejected as `unknown_product`.
 */
export async function deleteStock(store: StockStore, sku: string): Promise<void> {
  await inTransaction(store.prisma, async (tx) => {
    if ((await lockStock(tx, [sku])).length === 0) throw notFound(sku);
    if (await hasOpenReservations(tx, sku)) {
      throw fail.conflict(`SKU ${sku} has open reservations; it can be deleted once their orders are created or cancelled.`);
    }
    const deleted = await deleteStockRow(tx, sku);
    if (!deleted) throw notFound(sku);
    await publishStockChanges(tx, store.publish, [{ sku, available: 0, version: deleted.version }]);
  });
}
