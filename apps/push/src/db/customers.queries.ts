import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone). */
export async function customerExists(db: Client, customerId: string): Promise<boolean> {
  return (await db.pushCustomer.count({ where: { customerId, deletedAt: null } })) > 0;
}

/**
 * Records `customer.upserted` unless a later event for the customer is already recorded, atomically (two
 * deliveries racing cannot both insert): `updated_at` holds the `occurred_at` of the event it came from.
 * `customer.upserted` and `customer.deleted` travel on different subscriptions, so an upsert may be handled
 * after the deletion it preceded and must not make the customer known again; one that occurred after the
 * deletion (the customer created again with the same id, as seeding does) does. On a tie the deletion wins.
 */
export async function upsertCustomer(db: Client, customerId: string, occurredAt: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO push.customers (customer_id, updated_at) VALUES (${customerId}::uuid, ${occurredAt}::timestamptz)
    ON CONFLICT (customer_id) DO UPDATE SET deleted_at = NULL, updated_at = EXCLUDED.updated_at
    WHERE push.customers.updated_at < EXCLUDED.updated_at
      OR (push.customers.updated_at = EXCLUDED.updated_at AND push.customers.deleted_at IS NULL)`;
}

/**
 * Keeps a tombstone dated by the event and forgets every browser the customer subscribed, unless a later event
 * for the customer is already recorded (then the browsers belong to the customer as it now is). The record of
 * what was pushed stays.
 */
export async function deleteCustomer(db: Client, customerId: string, occurredAt: string): Promise<void> {
  const tombstoned = await db.$executeRaw`
    INSERT INTO push.customers (customer_id, deleted_at, updated_at)
    VALUES (${customerId}::uuid, ${occurredAt}::timestamptz, ${occurredAt}::timestamptz)
    ON CONFLICT (customer_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at
    WHERE push.customers.updated_at <= EXCLUDED.updated_at`;
  if (tombstoned > 0) await db.pushSubscription.deleteMany({ where: { customerId } });
}
