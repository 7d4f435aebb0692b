import { z } from 'zod';
import { StorableString } from '../fields';

/** `customer.upserted` v1: the customer as it now is (consumers replace their copy). */
export const CustomerUpsertedV1 = z.object({
  customer_id: z.uuid(),
  name: StorableString.min(1),
  email: z.email(),
});
export type CustomerUpsertedV1 = z.infer<typeof CustomerUpsertedV1>;
