import { isUniqueViolation, type PrismaClient } from '@shop/db';
import { DomainError, fail } from '@shop/http';
import {
  deleteCustomerRow,
  findCustomer,
  insertCustomer,
  listCustomerRows,
  updateCustomerRow,
  type CustomerRow,
} from '../db/customers.queries';
import type { CreateCustomerBody, UpdateCustomerBody } from './customer';

function emailTaken(email: string): DomainError {
  return fail.conflict(`A customer with e-mail ${email} already exists.`, { errors: [{ field: 'email', message: 'already in use' }] });
}

export async function createCustomer(prisma: PrismaClient, input: CreateCustomerBody): Promise<CustomerRow> {
  try {
    return await insertCustomer(prisma, input);
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

export async function updateCustomer(prisma: PrismaClient, customerId: string, input: UpdateCustomerBody): Promise<CustomerRow> {
  await getCustomer(prisma, customerId);
  try {
    return await updateCustomerRow(prisma, customerId, input);
  } catch (err) {
    if (isUniqueViolation(err)) throw emailTaken(input.email ?? '');
    if ((err as { code?: string }).code === 'P2025') throw fail.notFound(`Customer ${customerId} does not exist.`);
    throw err;
  }
}

export async function deleteCustomer(prisma: PrismaClient, customerId: string): Promise<void> {
  if (!(await deleteCustomerRow(prisma, customerId))) throw fail.notFound(`Customer ${customerId} does not exist.`);
}

export function listCustomers(
  prisma: PrismaClient,
  options: { limit: number; after?: { createdAt: Date; customerId: string }; email?: string },
): Promise<CustomerRow[]> {
  return listCustomerRows(prisma, options);
}
