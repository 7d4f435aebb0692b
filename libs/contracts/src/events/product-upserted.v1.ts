import { z } from 'zod';
import { StorableString } from '../fields';
import { AmountCents, CurrencyCode, Sku } from './fields';

/** `product.upserted` v1: the whole catalog entry as it now is (consumers replace their copy). */
export const ProductUpsertedV1 = z.object({
  sku: Sku,
  name: StorableString.min(1),
  description: StorableString,
  price_cents: AmountCents,
  currency: CurrencyCode,
  active: z.boolean(),
});
export type ProductUpsertedV1 = z.infer<typeof ProductUpsertedV1>;
