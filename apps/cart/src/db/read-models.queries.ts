import { customerReadModel, productReadModel, type PrismaClient, type Tx } from '@shop/db';

type Client = PrismaClient | Tx;

/** The cart's customers, kept the way every service keeps them; the name and address are kept but not used. */
export const cartCustomers = customerReadModel({ schema: 'cart', keepsContact: true });

/** The cart's copy of the catalog: new lines are priced from it, and only active entries may be added. */
export const cartProducts = productReadModel({ schema: 'cart' });

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

/** True for a customer `customer.upserted` introduced and no later `customer.deleted` removed (a tombstone). */
export function customerIsKnown(db: Client, customerId: string): Promise<boolean> {
  return cartCustomers.isKnown(db, customerId);
}
