import { Prisma, type PrismaClient } from './client';
import { readModelTable } from './read-model-table';
import { quoteIdent } from './database-url';
import type { RunStatement, Statement } from './statement';
import type { Tx } from './transaction';

type Client = PrismaClient | Tx;

/** What `customer.upserted` says of a customer. */
export interface CustomerFacts {
  customerId: string;
  name: string;
  email: string;
}

export interface CustomerReadModelOptions {
  /** The service's PostgreSQL schema, which holds its `customers` table. A code constant, never input. */
  schema: string;
  /** Whether the table keeps the customer's `name` and `email` (push keeps neither: it needs only the id). */
  keepsContact: boolean;
}

/** A service's read model of customers, kept from `customer.upserted` and `customer.deleted`. */
export interface CustomerReadModel {
  /** True for a customer a `customer.upserted` introduced and no later `customer.deleted` removed. */
  isKnown(db: Client, customerId: string): Promise<boolean>;
  /** `isKnown` as one prepared statement through `run` (on the pool, no ORM): for a check made on every request. */
  isKnownNow(run: RunStatement, customerId: string): Promise<boolean>;
  /**
   * Records `customer.upserted` that occurred at `occurredAt`, unless an event as new for the customer is
   * already recorded (a deletion of the same moment wins). True when it applied: the customer is known now.
   */
  upsert(db: Client, customer: CustomerFacts, occurredAt: string): Promise<boolean>;
  /**
   * Records `customer.deleted` as a tombstone without personal data, dated by the event, unless a later event
   * for the customer is already recorded. True when it applied: the customer is unknown now.
   */
  delete(db: Client, customerId: string, occurredAt: string): Promise<boolean>;
}

/**
 * The one way every service keeps its customers. Each row's `updated_at` is the `occurred_at` of the event it
 * came from. `customer.upserted` and `customer.deleted` travel on different subscriptions (DESIGN.md orders
 * messages per topic only), so either may be handled first: an upsert older than a recorded deletion must not
 * make the customer known again, while one newer than it (the customer created again with its id, as the seed
 * does) must. Each event is one `INSERT … ON CONFLICT … DO UPDATE … WHERE`, so concurrent deliveries of both
 * topics serialise on the row and end with the newest event recorded, whatever the order they commit in.
 */
export function customerReadModel(options: CustomerReadModelOptions): CustomerReadModel {
  const table = readModelTable(options.schema, 'customers');
  const contact = options.keepsContact;
  const contactColumns = contact ? Prisma.raw('name, email, ') : Prisma.empty;
  const takeContact = contact ? Prisma.raw('name = EXCLUDED.name, email = EXCLUDED.email, ') : Prisma.empty;
  const clearContact = contact ? Prisma.raw('name = NULL, email = NULL, ') : Prisma.empty;
  const noContact = contact ? Prisma.raw('NULL, NULL, ') : Prisma.empty;
  const isKnownStatement: Statement = {
    name: `${options.schema}_customer_is_known`,
    text: `SELECT EXISTS (SELECT 1 FROM ${quoteIdent(options.schema)}.customers WHERE customer_id = $1::uuid AND deleted_at IS NULL) AS known`,
  };
  return {
    async isKnownNow(run, customerId) {
      const [row] = await run<{ known: boolean }>(isKnownStatement, [customerId]);
      return row?.known === true;
    },
    async isKnown(db, customerId) {
      const rows = await db.$queryRaw<{ known: boolean }[]>`
        SELECT EXISTS (SELECT 1 FROM ${table} WHERE customer_id = ${customerId}::uuid AND deleted_at IS NULL) AS known`;
      return rows[0]?.known === true;
    },
    async upsert(db, customer, occurredAt) {
      const values = contact ? Prisma.sql`${customer.name}, ${customer.email}, ` : Prisma.empty;
      const applied = await db.$executeRaw`
        INSERT INTO ${table} AS t (customer_id, ${contactColumns}deleted_at, updated_at)
        VALUES (${customer.customerId}::uuid, ${values}NULL, ${occurredAt}::timestamptz)
        ON CONFLICT (customer_id) DO UPDATE SET ${takeContact}deleted_at = NULL, updated_at = EXCLUDED.updated_at
        WHERE t.updated_at < EXCLUDED.updated_at OR (t.updated_at = EXCLUDED.updated_at AND t.deleted_at IS NULL)`;
      return applied > 0;
    },
    async delete(db, customerId, occurredAt) {
      const applied = await db.$executeRaw`
        INSERT INTO ${table} AS t (customer_id, ${contactColumns}deleted_at, updated_at)
        VALUES (${customerId}::uuid, ${noContact}${occurredAt}::timestamptz, ${occurredAt}::timestamptz)
        ON CONFLICT (customer_id) DO UPDATE SET ${clearContact}deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at
        WHERE t.updated_at <= EXCLUDED.updated_at`;
      return applied > 0;
    },
  };
}
