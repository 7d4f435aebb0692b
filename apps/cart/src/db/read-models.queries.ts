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

export async function customerIsKnown(db: Client, customerId: string): Promise<boolean> {
  return (await db.cartCustomer.count({ where: { customerId } })) > 0;
}

export async function upsertCustomer(tx: Tx, customer: { customerId: string; name: string; email: string }): Promise<void> {
  const data = { name: customer.name, email: customer.email, updatedAt: new Date() };
  await tx.cartCustomer.upsert({ where: { customerId: customer.customerId }, create: { customerId: customer.customerId, ...data }, update: data });
}

export async function deleteCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.cartCustomer.deleteMany({ where: { customerId } });
}
