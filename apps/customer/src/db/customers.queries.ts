import type { PrismaClient, Tx } from '@shop/db';

/** A customer row as Prisma returns it. */
export interface CustomerRow {
  customerId: string;
  name: string;
  email: string;
  createdAt: Date;
  updatedAt: Date;
}

type Client = PrismaClient | Tx;

export function findCustomer(db: Client, customerId: string): Promise<CustomerRow | null> {
  return db.customer.findUnique({ where: { customerId } });
}

export async function customerExists(db: Client, customerId: string): Promise<boolean> {
  return (await db.customer.count({ where: { customerId } })) > 0;
}

export function insertCustomer(db: Client, data: { customerId?: string; name: string; email: string }): Promise<CustomerRow> {
  return db.customer.create({ data });
}

export function updateCustomerRow(db: Client, customerId: string, data: { name?: string; email?: string }): Promise<CustomerRow> {
  return db.customer.update({ where: { customerId }, data: { ...data, updatedAt: new Date() } });
}

export async function deleteCustomerRow(db: Client, customerId: string): Promise<boolean> {
  return (await db.customer.deleteMany({ where: { customerId } })).count > 0;
}

/** Oldest first, keyset-paged on (created_at, customer_id); fetches `limit + 1` to know if more follow. */
export function listCustomerRows(
  db: Client,
  options: { limit: number; after?: { createdAt: Date; customerId: string }; email?: string },
): Promise<CustomerRow[]> {
  const { after } = options;
  return db.customer.findMany({
    where: {
      ...(options.email ? { email: options.email } : {}),
      ...(after
        ? { OR: [{ createdAt: { gt: after.createdAt } }, { createdAt: after.createdAt, customerId: { gt: after.customerId } }] }
        : {}),
    },
    orderBy: [{ createdAt: 'asc' }, { customerId: 'asc' }],
    take: options.limit + 1,
  });
}
