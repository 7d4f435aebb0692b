import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

export async function customerExists(db: Client, customerId: string): Promise<boolean> {
  return (await db.pushCustomer.count({ where: { customerId } })) > 0;
}

/** Inserts or refreshes a known customer, atomically (two deliveries racing cannot both insert). */
export async function upsertCustomer(db: Client, customerId: string): Promise<void> {
  await db.$executeRaw`INSERT INTO push.customers (customer_id) VALUES (${customerId}::uuid)
    ON CONFLICT (customer_id) DO UPDATE SET updated_at = now()`;
}

/** Forgets a customer and every browser it subscribed; the record of what was pushed stays. */
export async function deleteCustomer(db: Client, customerId: string): Promise<void> {
  await db.pushSubscription.deleteMany({ where: { customerId } });
  await db.pushCustomer.deleteMany({ where: { customerId } });
}
