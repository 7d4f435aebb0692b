import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A catalog entry as the cart knows it from `product.upserted`. */
export interface CartProductRow {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export function findProduct(db: Client, sku: string): Promise<CartProductRow | null> {
  return db.cartProduct.findUnique({ where: { sku } });
}

/**
 * Records a catalog event unless a later one is already recorded: `updated_at` holds the `occurred_at` of the
 * event it came from. `product.upserted` and `product.deleted` travel on different subscriptions, so either
 * may be handled after the other (DESIGN.md orders messages per topic only).
 */
export async function upsertProduct(tx: Tx, product: CartProductRow, occurredAt: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO cart.products (sku, name, price_cents, currency, active, updated_at)
    VALUES (${product.sku}, ${product.name}, ${product.priceCents}, ${product.currency}, ${product.active}, ${occurredAt}::timestamptz)
    ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency,
      active = EXCLUDED.active, updated_at = EXCLUDED.updated_at
    WHERE cart.products.updated_at <= EXCLUDED.updated_at`;
}

/**
 * `product.deleted`, kept as an inactive entry (a tombstone) dated by the event, so an earlier upsert handled
 * after it cannot revive the SKU. The placeholders of a SKU never seen before are never sold.
 */
export async function deleteProduct(tx: Tx, sku: string, occurredAt: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO cart.products (sku, name, price_cents, currency, active, updated_at)
    VALUES (${sku}, ${sku}, 0, 'EUR', false, ${occurredAt}::timestamptz)
    ON CONFLICT (sku) DO UPDATE SET active = false, updated_at = EXCLUDED.updated_at
    WHERE cart.products.updated_at <= EXCLUDED.updated_at`;
}

/** True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone). */
export async function customerIsKnown(db: Client, customerId: string): Promise<boolean> {
  return (await db.cartCustomer.count({ where: { customerId, deletedAt: null } })) > 0;
}

/**
 * Records `customer.upserted` unless a later event for the customer is already recorded: `updated_at` holds the
 * `occurred_at` of the event it came from. `customer.upserted` and `customer.deleted` travel on different
 * subscriptions, so an upsert may be handled after the deletion it preceded and must not make the customer known
 * again; one that occurred after the deletion (the customer created again with the same id, as seeding does)
 * does. On a tie the deletion wins.
 */
export async function upsertCustomer(tx: Tx, customer: { customerId: string; name: string; email: string }, occurredAt: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO cart.customers (customer_id, name, email, updated_at)
    VALUES (${customer.customerId}::uuid, ${customer.name}, ${customer.email}, ${occurredAt}::timestamptz)
    ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, deleted_at = NULL, updated_at = EXCLUDED.updated_at
    WHERE cart.customers.updated_at < EXCLUDED.updated_at
      OR (cart.customers.updated_at = EXCLUDED.updated_at AND cart.customers.deleted_at IS NULL)`;
}

/**
 * `customer.deleted`, kept as a tombstone with no personal data, dated by the event, unless a later event for the
 * customer is already recorded. A deletion handled before the customer was ever seen leaves a tombstone too.
 */
export async function deleteCustomer(tx: Tx, customerId: string, occurredAt: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO cart.customers (customer_id, name, email, deleted_at, updated_at)
    VALUES (${customerId}::uuid, NULL, NULL, ${occurredAt}::timestamptz, ${occurredAt}::timestamptz)
    ON CONFLICT (customer_id) DO UPDATE SET name = NULL, email = NULL, deleted_at = EXCLUDED.deleted_at, updated_at = EXCLUDED.updated_at
    WHERE cart.customers.updated_at <= EXCLUDED.updated_at`;
}
