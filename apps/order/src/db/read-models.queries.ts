import { customerReadModel, productReadModel, type PrismaClient, type Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** The order service's customers, kept the way every service keeps them; the name and address are kept but not used. */
export const orderCustomers = customerReadModel({ schema: 'order', keepsContact: true });

/** The order service's copy of the catalog: buy-now prices and the names of order lines come from it. */
export const orderProducts = productReadModel({ schema: 'order' });

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

/** True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone). */
export function customerIsKnown(db: Client, customerId: string): Promise<boolean> {
  return orderCustomers.isKnown(db, customerId);
}
