import type { PrismaClient, Tx } from '@shop/db';
import { Prisma } from '@shop/db';

type Client = PrismaClient | Tx;

/** One line of a cart as Prisma returns it. */
export interface CartItemRow {
  productSku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  addedAt: Date;
}

/** A cart with its lines, oldest line first. */
export interface CartRow {
  cartId: string;
  customerId: string;
  currentFor: string | null;
  status: string;
  cartLocked: boolean;
  currency: string;
  requestId: string | null;
  orderId: string | null;
  rejection: Prisma.JsonValue | null;
  createdAt: Date;
  updatedAt: Date;
  items: CartItemRow[];
}

const withItems = { items: { orderBy: [{ addedAt: 'asc' }, { productSku: 'asc' }] } } satisfies Prisma.CartInclude;

export function findCart(db: Client, cartId: string): Promise<CartRow | null> {
  return db.cart.findUnique({ where: { cartId }, include: withItems });
}

/** The cart the customer sees: the current one, else the newest (an ordered cart stays visible until the next add). */
export async function findShownCart(db: Client, customerId: string): Promise<CartRow | null> {
  return (
    (await db.cart.findUnique({ where: { currentFor: customerId }, include: withItems })) ??
    (await db.cart.findFirst({ where: { customerId }, orderBy: [{ createdAt: 'desc' }, { cartId: 'desc' }], include: withItems }))
  );
}

/**
 * Locks the customer's current cart row (`FOR UPDATE`) for the rest of the transaction and returns its id.
 * Every edit, checkout and event that moves a cart takes this lock first, so they apply one at a time.
 */
export async function lockCurrentCart(tx: Tx, customerId: string): Promise<string | null> {
  const rows = await tx.$queryRaw<{ cart_id: string }[]>`
    SELECT cart_id::text FROM cart.carts WHERE current_for = ${customerId}::uuid FOR UPDATE`;
  return rows[0]?.cart_id ?? null;
}

export async function deleteCartItem(tx: Tx, cartId: string, productSku: string): Promise<void> {
  await tx.cartItem.delete({ where: { cartId_productSku: { cartId, productSku } } });
}

export async function updateCartRow(
  tx: Tx,
  cartId: string,
  data: {
    status?: string;
    cartLocked?: boolean;
    currency?: string;
    requestId?: string;
    orderId?: string;
    currentFor?: null;
    rejection?: Prisma.InputJsonValue | typeof Prisma.DbNull;
    orderRequest?: Prisma.InputJsonValue;
  },
): Promise<void> {
  // `version` counts every change: a checkout writes only if the cart is still the version it read.
  await tx.cart.update({ where: { cartId }, data: { ...data, updatedAt: new Date(), version: { increment: 1 } } });
}
