import { z } from 'zod';
import { AvailableUnits, Sku } from '@shop/contracts';
import type { StockRow } from '../db/stock.queries';

/** A catalog SKU (the contract's, which PostgreSQL can store). */
export const StockSku = Sku;

// The column is a PostgreSQL INTEGER that releases add back to: see MAX_AVAILABLE for why 10⁹.
const units = AvailableUnits;

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
