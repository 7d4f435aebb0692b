import type { PrismaClient } from './client';
import { readModelTable } from './read-model-table';
import type { Tx } from './transaction';

type Client = PrismaClient | Tx;

/** What `product.upserted` says of a catalog entry that a service keeps. */
export interface ProductFacts {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface ProductReadModelOptions {
  /** The service's PostgreSQL schema, which holds its `products` table. A code constant, never input. */
  schema: string;
}

/** A service's read model of the catalog, kept from `product.upserted` and `product.deleted`. */
export interface ProductReadModel {
  /**
   * Records `product.upserted` that occurred at `occurredAt`, replacing the entry whole, unless an event as new
   * for the SKU is already recorded (a deletion of the same moment wins). True when it applied.
   */
  upsert(db: Client, product: ProductFacts, occurredAt: string): Promise<boolean>;
  /**
   * Records `product.deleted` as an inactive tombstone dated by the event, unless a later event for the SKU is
   * already recorded. True when it applied. A SKU never seen before gets placeholders (its SKU as name, no
   * price) that are never sold, as the tombstone is inactive.
   */
  delete(db: Client, sku: string, occurredAt: string): Promise<boolean>;
}

/**
 * The one way every service keeps the catalog, with the rules of `customerReadModel`: `updated_at` is the
 * `occurred_at` of the event the row came from, the newest event wins whichever is handled first (the two
 * topics travel on different subscriptions), a deletion wins a tie, and one atomic statement per event.
 */
export function productReadModel(options: ProductReadModelOptions): ProductReadModel {
  const table = readModelTable(options.schema, 'products');
  return {
    async upsert(db, product, occurredAt) {
      const applied = await db.$executeRaw`
        INSERT INTO ${table} AS t (sku, name, price_cents, currency, active, deleted_at, updated_at)
        VALUES (${product.sku}, ${product.name}, ${product.priceCents}, ${product.currency}, ${product.active}, NULL, ${occurredAt}::timestamptz)
        ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency,
          active = EXCLUDED.active, deleted_at = NULL, updated_at = EXCLUDED.updated_at
        WHERE t.updated_at < EXCLUDED.updated_at OR (t.updated_at = EXCLUDED.updated_at AND t.deleted_at IS NULL)`;
      return applied > 0;
    },
    async delete(db, sku, occurredAt) {
      const applied = await db.$executeRaw`
        INSERT INTO ${table} AS t (sku, name, price_cents, currency, active, deleted_at, updated_at)
        VALUES (${sku}, ${sku}, 0, 'EUR', false, ${occurredAt}::timestamptz, ${occurredAt}::timestamptz)
        ON CONFLICT (sku) DO UPDATE SET active = false, deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at
        WHERE t.updated_at <= EXCLUDED.updated_at`;
      return applied > 0;
    },
  };
}
