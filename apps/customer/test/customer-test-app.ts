import { testAppContext } from '@shop/service/test';
import type { TestDatabase } from '@shop/testing';
import { createApp } from '../src/app';
import { SEED_CUSTOMERS } from '../src/db/seed-data';

export const JOHN = SEED_CUSTOMERS[0].customerId;
export const JANE = SEED_CUSTOMERS[1].customerId;
/** A well-formed id no customer has. */
export const NOBODY = '6f1c9e11-7c5a-4a4e-9d3b-0b7f3c1e2f1a';

/** The customer app over a test database, with the seeded customers in it. */
export async function customerApp(db: TestDatabase): Promise<ReturnType<typeof createApp>> {
  await db.pool.query(
    `INSERT INTO customer.customers (customer_id, name, email)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
    [SEED_CUSTOMERS.map((c) => c.customerId), SEED_CUSTOMERS.map((c) => c.name), SEED_CUSTOMERS.map((c) => c.email)],
  );
  return createApp(testAppContext('customer', db));
}

/** Every customer row, in a stable order: compare before and after a refused request. */
export async function customersTable(db: TestDatabase): Promise<unknown[]> {
  const { rows } = await db.pool.query('SELECT * FROM customer.customers ORDER BY customer_id');
  return rows;
}
