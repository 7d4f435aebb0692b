import type { PrismaClient, Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** A catalog entry as the order service knows it from `product.upserted`. */
export interface OrderProductRow {
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export function findProducts(db: Client, skus: string[]): Promise<OrderProductRow[]> {
  return db.orderProduct.findMany({ where: { sku: { in: skus } } });
}

export async function upsertProduct(tx: Tx, product: OrderProductRow): Promise<void> {
  const data = { name: product.name, priceCents: product.priceCents, currency: product.currency, active: product.active, updatedAt: new Date() };
  await tx.orderProduct.upsert({ where: { sku: product.sku }, create: { sku: product.sku, ...data }, update: data });
}

export async function deleteProduct(tx: Tx, sku: string): Promise<void> {
  await tx.orderProduct.deleteMany({ where: { sku } });
}

export async function customerIsKnown(db: Client, customerId: string): Promise<boolean> {
  return (await db.orderCustomer.count({ where: { customerId } })) > 0;
}

export async function upsertCustomer(tx: Tx, customer: { customerId: string; name: string; email: string }): Promise<void> {
  const data = { name: customer.name, email: customer.email, updatedAt: new Date() };
  await tx.orderCustomer.upsert({ where: { customerId: customer.customerId }, create: { customerId: customer.customerId, ...data }, update: data });
}

export async function deleteCustomer(tx: Tx, customerId: string): Promise<void> {
  await tx.orderCustomer.deleteMany({ where: { customerId } });
}
