import type { CustomerDeletedV1, CustomerUpsertedV1 } from '@shop/contracts';
import type { Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { lockCustomer, notificationCustomers } from '../db/customers.queries';
import { awaitingAddress, failAwaitingAddress, markEmailRequested } from '../db/notifications.queries';
import { requestEmail } from './notify';
import { renderNotification, type TemplateInput } from './templates';

/** Why an e-mail parked for a missing address fails when the customer is deleted. */
export const DELETED_BEFORE_ADDRESS = 'The customer was deleted before their e-mail address was known.';

/**
 * `customer.upserted` that occurred at `occurredAt`: remembers the customer and requests every e-mail that was
 * waiting for the address, rendered again now that the name is known. Returns how many it requested; none when
 * a later event for the customer was already recorded (a deletion the upsert preceded, handled first).
 */
export async function learnCustomer(tx: Tx, publish: PublishFn, customer: CustomerUpsertedV1, occurredAt: string): Promise<number> {
  await lockCustomer(tx, customer.customer_id);
  const applied = await notificationCustomers.upsert(tx, { customerId: customer.customer_id, name: customer.name, email: customer.email }, occurredAt);
  if (!applied) return 0;
  const parked = await awaitingAddress(tx, customer.customer_id);
  const at = new Date();
  for (const n of parked) {
    const input = n.details as TemplateInput;
    const rendered = renderNotification(input, { name: customer.name });
    await markEmailRequested(tx, n.notificationId, { recipient: customer.email, ...rendered.email, requestedAt: at });
    await requestEmail(tx, publish, { notificationId: n.notificationId, customerId: n.customerId, to: customer.email, input, rendered, at });
  }
  return parked.length;
}

/**
 * `customer.deleted` that occurred at `occurredAt`: forgets the customer's data and fails the e-mails that were
 * still waiting for an address. A deletion older than what is recorded (the customer created again since)
 * changes nothing, and finds no e-mail waiting: the upsert that created the customer again released them.
 */
export async function forgetCustomer(tx: Tx, customer: CustomerDeletedV1, occurredAt: string): Promise<void> {
  await lockCustomer(tx, customer.customer_id);
  await notificationCustomers.delete(tx, customer.customer_id, occurredAt);
  await failAwaitingAddress(tx, customer.customer_id, DELETED_BEFORE_ADDRESS);
}
