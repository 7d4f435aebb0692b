import { customerReadModel, type PrismaClient, type Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** The customers push knows, kept the way every service keeps them; by id alone, as it sends them nothing by name. */
export const pushCustomers = customerReadModel({ schema: 'push', keepsContact: false });

/** True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone). */
export function customerExists(db: Client, customerId: string): Promise<boolean> {
  return pushCustomers.isKnown(db, customerId);
}

/**
 * Keeps a tombstone dated by the event and forgets every browser the customer subscribed, unless a later event
 * for the customer is already recorded (then the browsers belong to the customer as it now is). The record of
 * what was pushed stays.
 */
export async function deleteCustomer(tx: Tx, customerId: string, occurredAt: string): Promise<void> {
  if (await pushCustomers.delete(tx, customerId, occurredAt)) await tx.pushSubscription.deleteMany({ where: { customerId } });
}
