import type { Prisma, Tx } from '@shop/db';
import type { PendingCheckoutTable, StoredRequest } from '@shop/service';

/** The NOTIFY channel that tells the re-ask loop a checkout was requested (delivered at commit). */
export const CHECKOUT_REQUESTS_CHANNEL = 'cart_checkout_requests';

/** Carts as the re-ask loop reads them: pending while the checkout's outcome is unknown. */
export const CART_CHECKOUTS: PendingCheckoutTable = { schema: 'cart', table: 'carts', key: 'cart_id' };

/** The order-requested payloads the carts were checked out with, as first published. */
export async function storedCheckoutRequests(tx: Tx, cartIds: string[]): Promise<StoredRequest[]> {
  const rows = await tx.cart.findMany({ where: { cartId: { in: cartIds } }, select: { cartId: true, orderRequest: true } });
  return rows.map((row: { cartId: string; orderRequest: Prisma.JsonValue }) => ({ key: row.cartId, payload: row.orderRequest, correlationId: row.cartId }));
}
