import { inTransaction, isUniqueViolation, type PrismaClient, type Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { DomainError, fail } from '@shop/contracts';
import {
  deleteCustomerRow,
  findCustomer,
  insertCustomer,
  listCustomerRows,
  updateCustomerRow,
  type CustomerRow,
} from '../db/customers.queries';
import type { CreateCustomerBody, UpdateCustomerBody } from './customer';

/** What the customer use cases need: the database and the outbox. */
export interface CustomerStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

function emailTaken(email: string): DomainError {
  return fail.conflict(`A customer with e-mail ${email} already exists.`, { errors: [{ field: 'email', message: 'already in use' }] });
}

/** Every service that knows customers learns changes from this event, committed with the change itself. */
function publishUpserted(store: CustomerStore, tx: Tx, row: CustomerRow): Promise<string> {
  return store.publish(tx, 'customer.upserted', { customer_id: row.customerId, name: row.name, email: row.email }, { correlationId: row.customerId });
}

export async function createCustomer(store: CustomerStore, input: CreateCustomerBody & { customerId?: string }): Promise<CustomerRow> {
  try {
    return await inTransaction(store.prisma, async (tx) => {
      const row = await insertCustomer(tx, input);
      await publishUpserted(store, tx, row);
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken(input.email);
    throw err;
  }
}

export async function getCustomer(prisma: PrismaClient, customerId: string): Promise<CustomerRow> {
  const row = await findCustomer(prisma, customerId);
  if (!row) throw fail.notFound(`Customer ${customerId} does not exist.`);
  return row;
}

export async function updateCustomer(store: CustomerStore, customerId: string, input: UpdateCustomerBody): Promise<CustomerRow> {
  try {
    return await inTransaction(store.prisma, async (tx) => {
      if (!(await findCustomer(tx, customerId))) throw fail.notFound(`Customer ${customerId} does not exist.`);
      const row = await updateCustomerRow(tx, customerId, input);
      await publishUpserted(store, tx, row);
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken(input.email ?? '');
    throw err;
  }
}

export async function deleteCustomer(store: CustomerStore, customerId: string): Promise<void> {
  await inTransaction(store.prisma, async (tx) => {
    if (!(await deleteCustomerRow(tx, customerId))) throw fail.notFound(`Customer ${customerId} does not exist.`);
    await store.publish(tx, 'customer.deleted', { customer_id: customerId }, { correlationId: customerId });
  });
}

export function listCustomers(
  prisma: PrismaClient,
  options: { limit: number; after?: { createdAt: Date; customerId: string }; email?: string },
): Promise<CustomerRow[]> {
  return listCustomerRows(prisma, options);
}
