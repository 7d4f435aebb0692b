import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A customer as this service knows it; `deletedAt` set (and name and e-mail cleared) once deleted. */
export interface CustomerRow {
  customerId: string;
  name: string | null;
  email: string | null;
  deletedAt: Date | null;
  updatedAt: Date;
}

export function findCustomer(db: Client, customerId: string): Promise<CustomerRow | null> {
  return db.notificationCustomer.findUnique({ where: { customerId } });
}

export function findCustomers(db: Client, customerIds: string[]): Promise<CustomerRow[]> {
  return db.notificationCustomer.findMany({ where: { customerId: { in: customerIds } } });
}

/** True for a customer `customer.upserted` introduced and `customer.deleted` has not removed. */
export async function isActiveCustomer(db: Client, customerId: string): Promise<boolean> {
  return (await db.notificationCustomer.count({ where: { customerId, deletedAt: null } })) > 0;
}

/**
 * Serialises everything this service does for one customer within the calling transaction: creating
 * notifications, learning the address, forgetting the customer. Without it an `order.created` handled while
 * `customer.upserted` commits could park an e-mail as "waiting for the address" that nobody releases.
 */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`notification.customer:${customerId}`}, 0))`;
}

/**
 * Stores the customer as the event describes it; returns null, changing nothing, for a deleted customer:
 * `customer.upserted` and `customer.deleted` travel on different subscriptions, so an upsert may be handled
 * after the deletion it preceded, and customer ids are never reused.
 */
export async function upsertCustomer(tx: Tx, customer: { customerId: string; name: string; email: string }): Promise<CustomerRow | null> {
  const rows = await tx.$queryRaw<{ customer_id: string }[]>`
    INSERT INTO notification.customers (customer_id, name, email, updated_at)
    VALUES (${customer.customerId}::uuid, ${customer.name}, ${customer.email}, now())
    ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, updated_at = now()
      WHERE notification.customers.deleted_at IS NULL
    RETURNING customer_id::text`;
  return rows.length ? findCustomer(tx, customer.customerId) : null;
}

/** Keeps a tombstone with no personal data, so later events for the customer fail at once. */
export async function tombstoneCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO notification.customers (customer_id, name, email, deleted_at, updated_at)
    VALUES (${customerId}::uuid, NULL, NULL, now(), now())
    ON CONFLICT (customer_id) DO UPDATE SET name = NULL, email = NULL,
      deleted_at = COALESCE(notification.customers.deleted_at, now()), updated_at = now()`;
}

/** A known customer by e-mail address (stored as the customer service sent it; compared case-insensitively). */
export function findCustomerByEmail(db: Client, email: string): Promise<CustomerRow | null> {
  return db.notificationCustomer.findFirst({ where: { email: { equals: email, mode: 'insensitive' }, deletedAt: null } });
}
