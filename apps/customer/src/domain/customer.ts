import { z } from 'zod';
import { EmailAddress, text } from '@shop/contracts';
import type { CustomerRow } from '../db/customers.queries';

/** E-mail addresses are compared case-insensitively, so they are stored lower-cased (`EmailAddress` does). */
const email = EmailAddress;
const name = text(200);

export const CreateCustomerBody = z.strictObject({ name, email });
export type CreateCustomerBody = z.infer<typeof CreateCustomerBody>;

export const UpdateCustomerBody = z
  .strictObject({ name: name.optional(), email: email.optional() })
  .refine((b) => b.name !== undefined || b.email !== undefined, { error: 'name or email is required' });
export type UpdateCustomerBody = z.infer<typeof UpdateCustomerBody>;

export const CustomerResource = z.object({
  customer_id: z.uuid(),
  name: z.string(),
  email: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type CustomerResource = z.infer<typeof CustomerResource>;

/** Maps a row to the wire shape, once, at the edge. */
export function toCustomerResource(row: CustomerRow): CustomerResource {
  return {
    customer_id: row.customerId,
    name: row.name,
    email: row.email,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
