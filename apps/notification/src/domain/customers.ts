import type { CustomerDeletedV1, CustomerUpsertedV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { lockCustomer, tombstoneCustomer, upsertCustomer } from '../db/customers.queries';
import { awaitingAddress, failAwaitingAddress, markEmailRequested } from '../db/notifications.queries';
import { requestEmail } from './notify';
import { renderNotification, type TemplateInput } from './templates';

/** Why an e-mail parked for a missing address fails when the customer is deleted. */
export const DELETED_BEFORE_ADDRESS = 'The customer was deleted before their e-mail address was known.';

/**
 * `customer.upserted`: remembers the customer and requests every e-mail that was waiting for the address,
 * rendered again now that the name is known. Returns how many it requested; nothing for a deleted customer.
 */
export async function learnCustomer(tx: Tx, publish: PublishFn, customer: CustomerUpsertedV1): Promise<number> {
  await lockCustomer(tx, customer.customer_id);
  const row = await upsertCustomer(tx, { customerId: customer.customer_id, name: customer.name, email: customer.email });
  if (!row?.email) return 0;
  const parked = await awaitingAddress(tx, customer.customer_id);
  const at = new Date();
  for (const n of parked) {
    const input = n.details as TemplateInput;
    const rendered = renderNotification(input, { name: row.name });
    await markEmailRequested(tx, n.notificationId, { recipient: row.email, ...rendered.email, requestedAt: at });
    await requestEmail(tx, publish, { notificationId: n.notificationId, customerId: n.customerId, to: row.email, input, rendered, at });
  }
  return parked.length;
}

/** `customer.deleted`: forgets the customer's data and fails the e-mails that were still waiting for an address. */
export async function forgetCustomer(tx: Tx, customer: CustomerDeletedV1): Promise<void> {
  await lockCustomer(tx, customer.customer_id);
  await tombstoneCustomer(tx, customer.customer_id);
  await failAwaitingAddress(tx, customer.customer_id, DELETED_BEFORE_ADDRESS);
}
