import { z } from 'zod';

/** `customer.deleted` v1: the customer is no longer known. */
export const CustomerDeletedV1 = z.object({
  customer_id: z.uuid(),
});
export type CustomerDeletedV1 = z.infer<typeof CustomerDeletedV1>;
