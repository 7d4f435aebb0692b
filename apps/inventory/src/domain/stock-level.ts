import { z } from 'zod';
import { Sku } from '@shop/contracts';
import type { StockRow } from '../db/stock.queries';

/** PostgreSQL text cannot hold U+0000: such a SKU cannot exist, and is refused before the database. */
export function isStorableSku(sku: string): boolean {
  return !sku.includes('\u0000');
}

/** A catalog SKU (the contract's) that PostgreSQL can store. */
export const StockSku = Sku.refine(isStorableSku, { error: 'must not contain the character U+0000' });

// The column is a PostgreSQL INTEGER: a larger count would be a 500 at the write instead of a 422 here.
const units = z.int('must be a whole number of units').min(0, 'cannot be negative').max(2_147_483_647);

export const CreateStockBody = z.strictObject({ sku: StockSku, available: units });
export type CreateStockBody = z.infer<typeof CreateStockBody>;

/** `sku` may be sent (a client PUTting back what it read) but must be the path's. */
export const UpdateStockBody = z.strictObject({ sku: StockSku.optional(), available: units });
export type UpdateStockBody = z.infer<typeof UpdateStockBody>;

export const StockResource = z.object({
  sku: z.string(),
  /** Units that can still be sold. */
  available: z.int(),
  /** Units held by reservations whose order is not created yet. */
  reserved: z.int(),
  updated_at: z.iso.datetime(),
});
export type StockResource = z.infer<typeof StockResource>;

/** Maps a row to the wire shape, once, at the edge. */
export function toStockResource(row: StockRow): StockResource {
  return { sku: row.sku, available: row.available, reserved: row.reserved, updated_at: row.updatedAt.toISOString() };
}
