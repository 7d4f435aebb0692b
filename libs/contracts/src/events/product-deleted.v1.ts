import { z } from 'zod';
import { Sku } from './fields';

/** `product.deleted` v1: the SKU left the catalog; checkout lines for it are rejected as `unknown_product`. */
export const ProductDeletedV1 = z.object({
  sku: Sku,
});
export type ProductDeletedV1 = z.infer<typeof ProductDeletedV1>;
