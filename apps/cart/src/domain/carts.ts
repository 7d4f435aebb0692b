import { randomUUID } from 'node:crypto';
import { fail, type PayloadOf } from '@shop/contracts';
import { inTransaction, Prisma, type PrismaClient, type RunStatement, type Tx } from '@shop/db';
import { envelopeOf, outboxValues, type PublishFn } from '@shop/events';
import { notifyCartChanged } from '../db/cart-changes';
import {
  addItemInOneStatement,
  addItemRefusalOf,
  markOrderedInOneStatement,
  markStockUnavailableInOneStatement,
  readShownCart,
  writeCheckout,
  type AddItemRefusal,
} from '../db/cart-statements';
import { deleteCartItem, findCart, findShownCart, lockCurrentCart, updateCartRow, type CartRow } from '../db/carts.queries';
import { cartIdFor, emptyCart, MAX_LINE_QUANTITY, MAX_TOTAL_CENTS, type AddItemBody, type CheckoutAccepted, type Rejection } from './cart';

/** What the cart use cases need: the database (Prisma, and one-statement hot paths) and the outbox. */
export interface CartStore {
  prisma: PrismaClient;
  run: RunStatement;
  publish: PublishFn;
}

/**
 * What became of a checkout's outcome event: `applied` (ending the checkout `seconds` after it was accepted),
 * or `ignored` because the cart is not where the event expects it.
 */
export type TransitionOutcome = { outcome: 'applied'; seconds: number } | { outcome: 'ignored' };

const transitionOf = (seconds: number | undefined): TransitionOutcome => (seconds === undefined ? { outcome: 'ignored' } : { outcome: 'applied', seconds });

function pendingConflict(): never {
  throw fail.conflict('The cart is being checked out (pending); it cannot change until the outcome is known.');
}

function orderedConflict(cart: CartRow): never {
  throw fail.conflict(`The cart was ordered (order ${cart.orderId}); adding an item starts a new cart.`);
}

/** The cart the customer sees: the current one, else the last ordered one, else an empty open cart. */
export async function getCart(store: Pick<CartStore, 'run'>, customerId: string): Promise<CartRow> {
  return (await readShownCart(store.run, customerId)) ?? emptyCart(customerId);
}

/** The current cart, locked, for an edit; refuses a pending cart and an ordered one. */
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

/** The refusal of an add as the problem the customer gets. */
function addItemProblem(refusal: AddItemRefusal): Error {
  switch (refusal.refusal) {
    case 'unknown_product':
      return fail.validation(`Product ${refusal.sku} is not in the catalog.`, [{ field: 'product_sku', message: 'unknown or unavailable product' }]);
    case 'pending':
      return fail.conflict('The cart is being checked out (pending); it cannot change until the outcome is known.');
    case 'currency_mismatch':
      return fail.validation(`Product ${refusal.sku} is priced in ${refusal.product_currency}; this cart is in ${refusal.cart_currency}.`, [
        { field: 'product_sku', message: `priced in ${refusal.product_currency}, the cart in ${refusal.cart_currency}` },
      ]);
    case 'line_too_large':
      return fail.validation(`A cart line holds at most ${MAX_LINE_QUANTITY} units.`, [{ field: 'quantity', message: `the line would hold ${refusal.quantity} units` }]);
    case 'total_too_large':
      return fail.validation('The cart total would be too large.', [{ field: 'quantity', message: 'the cart total would be too large' }]);
  }
}

/**
 * `POST /cart/items`: adds to the line of that SKU, or adds the line, at the catalog's current price. One
 * statement (`cart.add_item`): the product is looked up, the current cart locked (or created), the rules
 * checked and the line written together, so concurrent adds of one customer apply one at a time.
 */
export async function addItem(store: Pick<CartStore, 'run'>, customerId: string, input: AddItemBody): Promise<CartRow> {
  try {
    return await addItemInOneStatement(
      store.run,
      { customerId, sku: input.product_sku, quantity: input.quantity, maxLine: MAX_LINE_QUANTITY, maxTotal: MAX_TOTAL_CENTS },
      (generation) => cartIdFor(customerId, generation),
    );
  } catch (err) {
    const refusal = addItemRefusalOf(err);
    throw refusal ? addItemProblem(refusal) : err;
  }
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

/** How often a checkout reads the cart again when it changed between the read and the write. */
const CHECKOUT_ATTEMPTS = 10;

/**
 * `POST /cart/convert-to-order`: the cart becomes `pending` with a new `request_id`, and `order-requested`
 * goes to the outbox, in one statement. The cart is read first without a lock, the request built and
 * validated from it, and the write applies only if the cart is still the version read (an edit or another
 * checkout in between makes it read again), so one cart yields at most one request at a time, and the
 * request carries exactly the lines the cart had when it became pending.
 */
export async function checkout(store: CartStore, customerId: string): Promise<CheckoutAccepted> {
  for (let attempt = 1; attempt <= CHECKOUT_ATTEMPTS; attempt++) {
    const cart = await readShownCart(store.run, customerId);
    if (cart && !cart.current && cart.status === 'ordered') orderedConflict(cart);
    if (cart?.current && cart.status === 'pending') pendingConflict();
    if (!cart?.current || !cart.items.length) throw fail.validation('The cart is empty; add an item before checking out.');
    const requestId = randomUUID();
    const request: PayloadOf<'order-requested'> = {
      request_id: requestId,
      source: 'cart',
      cart_id: cart.cartId,
      customer_id: customerId,
      items: cart.items.map((i) => ({ product_sku: i.productSku, quantity: i.quantity, unit_price_cents: i.unitPriceCents })),
      currency: cart.currency.trim(),
      requested_at: new Date().toISOString(),
    };
    // The payload is kept as published: the re-ask loop publishes it again while no outcome arrives.
    const envelope = envelopeOf('cart', 'order-requested', request, cart.cartId);
    if (await writeCheckout(store.run, cart, { requestId, payload: request }, outboxValues(envelope))) {
      return { cart_id: cart.cartId, request_id: requestId, status: 'pending' };
    }
  }
  throw fail.conflict('The cart kept changing during the checkout; try again.');
}

/** `stock.rejected` for a cart: `stock-unavailable`, unlocked, with the rejection, so the customer can edit it. */
export async function markStockUnavailable(tx: Tx, event: PayloadOf<'stock.rejected'> & { cart_id: string }): Promise<TransitionOutcome> {
  // Only while the cart awaits exactly this request: events for an earlier attempt (the cart was rejected and
  // checked out again) or arriving after another outcome change nothing.
  const rejection: Rejection = { reason: event.reason, details: event.details };
  return transitionOf(await markStockUnavailableInOneStatement(tx, event.cart_id, event.request_id, rejection));
}

/**
 * `order.created` for a cart: `ordered`, stays locked, and stops being current, so the next add starts a new
 * cart. Only from `pending` with the same `request_id`: one cart, at most one order (invariant 5).
 */
export async function markOrdered(tx: Tx, event: PayloadOf<'order.created'> & { cart_id: string }): Promise<TransitionOutcome> {
  return transitionOf(await markOrderedInOneStatement(tx, event.cart_id, event.request_id, event.order_id));
}
