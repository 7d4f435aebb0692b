import { z } from 'zod';
import { StoredUnits } from '../fields';
import { Sku } from './fields';

/**
 * `stock.changed` v1: a SKU's `available` moved. `version` only grows per SKU, so a consumer keeps the
 * highest it has seen and ignores older ones (redeliveries and reorderings are harmless).
 */
export const StockChangedV1 = z.object({
  sku: Sku,
  available: StoredUnits,
  version: z.int().min(1),
});
export type StockChangedV1 = z.infer<typeof StockChangedV1>;
