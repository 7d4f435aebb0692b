import { z } from 'zod';
import { AmountCents, CurrencyCode, Sku, text } from '@shop/contracts';
import type { ProductView } from '../db/products.queries';

/** A catalog SKU (the contract's, which PostgreSQL can store). */
export const ProductSku = Sku;

const name = text(200);
const description = text(5000, 0);
// AmountCents stops at the 32-bit column: a larger price would be a 500 at the insert instead of a 422.
const priceCents = AmountCents;

export const CreateProductBody = z.strictObject({
  sku: ProductSku,
  name,
  description: description.default(''),
  price_cents: priceCents,
  currency: CurrencyCode.default('EUR'),
  active: z.boolean().default(true),
});
export type CreateProductBody = z.infer<typeof CreateProductBody>;

/**
 * Any subset of the writable fields, at least one. `sku` may be sent (a client PUTting back what it read)
 * but must be the path's: a product's SKU never changes.
 */
export const UpdateProductBody = z
  .strictObject({
    sku: ProductSku.optional(),
    name: name.optional(),
    description: description.optional(),
    price_cents: priceCents.optional(),
    currency: CurrencyCode.optional(),
    active: z.boolean().optional(),
  })
  .refine(({ sku: _sku, ...fields }) => Object.values(fields).some((v) => v !== undefined), {
    error: 'at least one of name, description, price_cents, currency, active is required',
  });
export type UpdateProductBody = z.infer<typeof UpdateProductBody>;

export const ProductResource = z.object({
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  price_cents: z.int(),
  currency: z.string(),
  active: z.boolean(),
  /** Units inventory last said can be sold; `null` until inventory has published any. */
  available: z.int().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ProductResource = z.infer<typeof ProductResource>;

/** The orders `GET /products` knows. */
export const PRODUCT_SORTS = ['name', 'price', '-price', 'newest'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** Maps a row to the wire shape, once, at the edge. */
export function toProductResource(row: ProductView): ProductResource {
  return {
    sku: row.sku,
    name: row.name,
    description: row.description,
    price_cents: row.priceCents,
    currency: row.currency,
    active: row.active,
    available: row.available,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
