import { customerReadModel, type PrismaClient, type Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** The customers this service notifies, kept the way every service keeps them: their names and addresses too. */
export const notificationCustomers = customerReadModel({ schema: 'notification', keepsContact: true });

/** A customer as this service knows it; `deletedAt` set (and name and e-mail cleared) once deleted. */
export interface CustomerRow {
  customerId: string;
  name: string | null;
  email: string | null;
  deletedAt: Date | null;
  updatedAt: Date;
}

export async function findCustomer(db: Client, customerId: string): Promise<CustomerRow | null> {
  // Raw: asked for every notification, and a raw query skips the ORM's query planning.
  const rows = await db.$queryRaw<CustomerRow[]>`
    SELECT customer_id::text AS "customerId", name, email, deleted_at AS "deletedAt", updated_at AS "updatedAt"
    FROM notification.customers WHERE customer_id = ${customerId}::uuid`;
  return rows[0] ?? null;
}

export function findCustomers(db: Client, customerIds: string[]): Promise<CustomerRow[]> {
  return db.notificationCustomer.findMany({ where: { customerId: { in: customerIds } } });
}

/** True for a customer `customer.upserted` introduced and `customer.deleted` has not removed. */
export function isActiveCustomer(db: Client, customerId: string): Promise<boolean> {
  return notificationCustomers.isKnown(db, customerId);
}

/**
 * Serialises everything this service does for one customer within the calling transaction: creating
 * notifications, learning the address, forgetting the customer. Without it an `order.created` handled while
 * `customer.upserted` commits could park an e-mail as "waiting for the address" that nobody releases.
 */
export async function lockCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`notification.customer:${customerId}`}, 0))`;
}

/** A known customer by e-mail address (stored as the customer service sent it; compared case-insensitively). */
export function findCustomerByEmail(db: Client, email: string): Promise<CustomerRow | null> {
  return db.notificationCustomer.findFirst({ where: { email: { equals: email, mode: 'insensitive' }, deletedAt: null } });
}
