import { randomUUID } from 'node:crypto';
import type { PayloadOf } from '@shop/contracts';
import { inTransaction, Prisma, type PrismaClient, type Tx } from '@shop/db';
import type { PublishFn } from '@shop/events';
import { fail } from '@shop/http';
import { notifyCartChanged } from '../db/cart-changes';
import { scheduleReask } from '../db/checkout-requests.queries';
import {
  countCarts,
  deleteCartItem,
  findCart,
  findShownCart,
  insertCurrentCartIfAbsent,
  lockCart,
  lockCurrentCart,
  updateCartRow,
  upsertCartItem,
  type CartRow,
} from '../db/carts.queries';
import { findProduct } from '../db/read-models.queries';
import { cartIdFor, emptyCart, MAX_LINE_QUANTITY, MAX_TOTAL_CENTS, totalOf, type AddItemBody, type CheckoutAccepted, type Rejection } from './cart';

/** What the cart use cases need: the database and the outbox. */
export interface CartStore {
  prisma: PrismaClient;
  publish: PublishFn;
}

/** What became of an event for a cart: applied, or ignored because the cart is not where the event expects it. */
export type TransitionOutcome = 'applied' | 'ignored';

function pendingConflict(): never {
  throw fail.conflict('The cart is being checked out (pending); it cannot change until the outcome is known.');
}

function orderedConflict(cart: CartRow): never {
  throw fail.conflict(`The cart was ordered (order ${cart.orderId}); adding an item starts a new cart.`);
}

/** The cart the customer sees: the current one, else the last ordered one, else an empty open cart. */
export async function getCart(prisma: PrismaClient, customerId: string): Promise<CartRow> {
  return (await findShownCart(prisma, customerId)) ?? emptyCart(customerId);
}

/** The customer's current cart, locked; a new one when there is none (the first, or the next after an order). */
async function lockOrCreateCurrentCart(tx: Tx, customerId: string): Promise<CartRow> {
  let cartId = await lockCurrentCart(tx, customerId);
  if (!cartId) {
    const id = cartIdFor(customerId, await countCarts(tx, customerId));
    // The name-based id is taken only if carts were ever removed behind our back; any fresh id does then.
    if (!(await insertCurrentCartIfAbsent(tx, id, customerId))) await insertCurrentCartIfAbsent(tx, randomUUID(), customerId);
    cartId = await lockCurrentCart(tx, customerId);
  }
  const cart = cartId ? await findCart(tx, cartId) : null;
  if (!cart) throw new Error(`no current cart for customer ${customerId} after creating one`);
  return cart;
}

/** The current cart, locked, for an edit or a checkout; refuses a pending cart and an ordered one. */
async function lockEditableCart(tx: Tx, customerId: string): Promise<CartRow | null> {
  const cartId = await lockCurrentCart(tx, customerId);
  if (!cartId) {
    const shown = await findShownCart(tx, customerId);
    if (shown?.status === 'ordered') orderedConflict(shown);
    return null;
  }
  const cart = await findCart(tx, cartId);
  if (cart?.status === 'pending') pendingConflict();
  return cart;
}

/** Editing a `stock-unavailable` cart returns it to `open` and clears the rejection (DESIGN.md). */
const reopened = { status: 'open', cartLocked: false, rejection: Prisma.DbNull } as const;

/** `POST /cart/items`: adds to the line of that SKU, or adds the line, at the catalog's current price. */
export async function addItem(store: CartStore, customerId: string, input: AddItemBody): Promise<CartRow> {
  return inTransaction(store.prisma, async (tx) => {
    const product = await findProduct(tx, input.product_sku);
    if (!product?.active) {
      throw fail.validation(`Product ${input.product_sku} is not in the catalog.`, [{ field: 'product_sku', message: 'unknown or unavailable product' }]);
    }
    const cart = await lockOrCreateCurrentCart(tx, customerId);
    if (cart.status === 'pending') pendingConflict();
    const others = cart.items.filter((i) => i.productSku !== product.sku);
    if (others.length && cart.currency !== product.currency) {
      throw fail.validation(`Product ${product.sku} is priced in ${product.currency}; this cart is in ${cart.currency}.`, [
        { field: 'product_sku', message: `priced in ${product.currency}, the cart in ${cart.currency}` },
      ]);
    }
    const quantity = (cart.items.find((i) => i.productSku === product.sku)?.quantity ?? 0) + input.quantity;
    if (quantity > MAX_LINE_QUANTITY) {
      throw fail.validation(`A cart line holds at most ${MAX_LINE_QUANTITY} units.`, [{ field: 'quantity', message: `the line would hold ${quantity} units` }]);
    }
    if (totalOf([...others, { quantity, unitPriceCents: product.priceCents }]) > MAX_TOTAL_CENTS) {
      throw fail.validation('The cart total would be too large.', [{ field: 'quantity', message: 'the cart total would be too large' }]);
    }
    await upsertCartItem(tx, cart.cartId, { productSku: product.sku, name: product.name, quantity, unitPriceCents: product.priceCents });
    await updateCartRow(tx, cart.cartId, { ...reopened, currency: product.currency });
    await notifyCartChanged(tx, customerId);
    return (await findCart(tx, cart.cartId))!;
  });
}

/** `DELETE /cart/items/:product_sku`. */
export async function removeItem(store: CartStore, customerId: string, productSku: string): Promise<CartRow> {
  return inTransaction(store.prisma, async (tx) => {
    const cart = await lockEditableCart(tx, customerId);
    if (!cart?.items.some((i) => i.productSku === productSku)) throw fail.notFound(`The cart has no line for ${productSku}.`);
    await deleteCartItem(tx, cart.cartId, productSku);
    await updateCartRow(tx, cart.cartId, reopened);
    await notifyCartChanged(tx, customerId);
    return (await findCart(tx, cart.cartId))!;
  });
}

/**
 * `POST /cart/convert-to-order`: locks the cart (`pending`, a new `request_id`) and writes `order-requested`
 * to the outbox in the same transaction. The row lock makes concurrent checkouts of one cart queue up; each
 * after the first finds it pending and is refused, so one cart yields at most one request at a time.
 */
export async function checkout(store: CartStore, customerId: string): Promise<CheckoutAccepted> {
  return inTransaction(store.prisma, async (tx) => {
    const cart = await lockEditableCart(tx, customerId);
    if (!cart?.items.length) throw fail.validation('The cart is empty; add an item before checking out.');
    const requestId = randomUUID();
    const request: PayloadOf<'order-requested'> = {
      request_id: requestId,
      source: 'cart',
      cart_id: cart.cartId,
      customer_id: customerId,
      items: cart.items.map((i) => ({ product_sku: i.productSku, quantity: i.quantity, unit_price_cents: i.unitPriceCents })),
      currency: cart.currency,
      requested_at: new Date().toISOString(),
    };
    // The payload is kept as published: the re-ask loop publishes it again while no outcome arrives.
    await updateCartRow(tx, cart.cartId, { status: 'pending', cartLocked: true, requestId, rejection: Prisma.DbNull, orderRequest: request });
    await store.publish(tx, 'order-requested', request, { correlationId: cart.cartId });
    await scheduleReask(tx, cart.cartId);
    await notifyCartChanged(tx, customerId);
    return { cart_id: cart.cartId, request_id: requestId, status: 'pending' };
  });
}

/**
 * The cart is still waiting for the outcome of exactly this request. Events for an earlier attempt (the cart
 * was rejected and checked out again) or arriving after another outcome change nothing.
 */
async function lockAwaiting(tx: Tx, cartId: string, requestId: string): Promise<CartRow | null> {
  const cart = await lockCart(tx, cartId);
  return cart?.status === 'pending' && cart.requestId === requestId ? cart : null;
}

/** `stock.rejected` for a cart: `stock-unavailable`, unlocked, with the rejection, so the customer can edit it. */
export async function markStockUnavailable(tx: Tx, event: PayloadOf<'stock.rejected'> & { cart_id: string }): Promise<TransitionOutcome> {
  const cart = await lockAwaiting(tx, event.cart_id, event.request_id);
  if (!cart) return 'ignored';
  const rejection: Rejection = { reason: event.reason, details: event.details };
  await updateCartRow(tx, cart.cartId, { status: 'stock-unavailable', cartLocked: false, rejection });
  await notifyCartChanged(tx, cart.customerId);
  return 'applied';
}

/**
 * `order.created` for a cart: `ordered`, stays locked, and stops being current, so the next add starts a new
 * cart. Only from `pending` with the same `request_id`: one cart, at most one order (invariant 5).
 */
export async function markOrdered(tx: Tx, event: PayloadOf<'order.created'> & { cart_id: string }): Promise<TransitionOutcome> {
  const cart = await lockAwaiting(tx, event.cart_id, event.request_id);
  if (!cart) return 'ignored';
  await updateCartRow(tx, cart.cartId, { status: 'ordered', cartLocked: true, orderId: event.order_id, currentFor: null });
  await notifyCartChanged(tx, cart.customerId);
  return 'applied';
}
