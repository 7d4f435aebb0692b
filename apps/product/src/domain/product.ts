import { z } from 'zod';
import { AmountCents, CurrencyCode, Sku } from '@shop/contracts';
import type { ProductView } from '../db/products.queries';

// The columns are PostgreSQL INTEGERs: a larger price would be a 500 at the insert instead of a 422 here.
const MAX_INT4 = 2_147_483_647;

/** PostgreSQL text cannot hold U+0000: such a value is refused here, not a 500 at the database. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000');
}
const storable = { error: 'must not contain the character U+0000' };

/** A catalog SKU (the contract's) that PostgreSQL can store. */
export const ProductSku = Sku.refine(isStorableText, storable);

const name = z.string().trim().min(1, 'must not be empty').max(200).refine(isStorableText, storable);
const description = z.string().trim().max(5000).refine(isStorableText, storable);
const priceCents = AmountCents.max(MAX_INT4);

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
