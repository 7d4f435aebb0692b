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

export async function upsertProduct(tx: Tx, product: CartProductRow): Promise<void> {
  const data = { name: product.name, priceCents: product.priceCents, currency: product.currency, active: product.active, updatedAt: new Date() };
  await tx.cartProduct.upsert({ where: { sku: product.sku }, create: { sku: product.sku, ...data }, update: data });
}

export async function deleteProduct(tx: Tx, sku: string): Promise<void> {
  await tx.cartProduct.deleteMany({ where: { sku } });
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
