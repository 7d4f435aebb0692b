import { outboxChannel, outboxInsertCte } from '@shop/events';
import type { RunStatement, Statement, Tx } from '@shop/db';
import type { CartRow } from './carts.queries';
import { CART_CHANGES_CHANNEL } from './cart-changes';
import { CHECKOUT_REQUESTS_CHANNEL } from './checkout-requests.queries';

// The cart's hot paths, each ONE statement (the functions are in the migration 20261206000000_cart_one_round_trip).

/** A cart as `cart.cart_json` returns it. */
interface CartJson {
  cart_id: string;
  customer_id: string;
  current: boolean;
  status: string;
  cart_locked: boolean;
  currency: string;
  request_id: string | null;
  order_id: string | null;
  rejection: CartRow['rejection'];
  created_at: string;
  updated_at: string;
  version: number;
  items: { product_sku: string; name: string; quantity: number; unit_price_cents: number; added_at: string }[];
}

/** A cart row with what an unlocked read needs to write safely later: its version, and whether it is current. */
export interface VersionedCart extends CartRow {
  current: boolean;
  version: number;
}

function cartOf(json: CartJson): VersionedCart {
  return {
    cartId: json.cart_id,
    customerId: json.customer_id,
    currentFor: json.current ? json.customer_id : null,
    status: json.status,
    cartLocked: json.cart_locked,
    currency: json.currency,
    requestId: json.request_id,
    orderId: json.order_id,
    rejection: json.rejection,
    createdAt: new Date(json.created_at),
    updatedAt: new Date(json.updated_at),
    items: json.items.map((i) => ({ productSku: i.product_sku, name: i.name, quantity: i.quantity, unitPriceCents: i.unit_price_cents, addedAt: new Date(i.added_at) })),
    current: json.current,
    version: json.version,
  };
}

const SHOWN_CART: Statement = { name: 'cart_shown_cart', text: 'SELECT cart.shown_cart($1::uuid) AS cart' };

/** The cart the customer sees (current, else the newest), unlocked; null when the customer never had one. */
export async function readShownCart(run: RunStatement, customerId: string): Promise<VersionedCart | null> {
  const [row] = await run<{ cart: CartJson | null }>(SHOWN_CART, [customerId]);
  return row?.cart ? cartOf(row.cart) : null;
}

const ADD_ITEM: Statement = { name: 'cart_add_item', text: 'SELECT cart.add_item($1::uuid, $2, $3::int, $4::int, $5::bigint, $6::uuid) AS result' };

/** Why `cart.add_item` refused, with the facts it raised. */
export type AddItemRefusal =
  | { refusal: 'unknown_product'; sku: string }
  | { refusal: 'pending'; cart_id: string }
  | { refusal: 'currency_mismatch'; sku: string; product_currency: string; cart_currency: string }
  | { refusal: 'line_too_large'; quantity: number; max: number }
  | { refusal: 'total_too_large' };

const REFUSALS = new Set(['unknown_product', 'pending', 'currency_mismatch', 'line_too_large', 'total_too_large']);

/** The refusal a `cart.add_item` error carries (SQLSTATE P0001, its name as message), else undefined. */
export function addItemRefusalOf(err: unknown): AddItemRefusal | undefined {
  const e = err as { code?: unknown; message?: unknown; detail?: unknown };
  if (e?.code !== 'P0001' || typeof e.message !== 'string' || !REFUSALS.has(e.message)) return undefined;
  return { refusal: e.message, ...(typeof e.detail === 'string' ? JSON.parse(e.detail) : {}) } as AddItemRefusal;
}

/**
 * Adds `quantity` units of `sku` to the customer's current cart, in one statement; a cart is created when
 * there is none, named by `nameCart(generation)`. Throws the statement's refusals (see `addItemRefusalOf`).
 */
export async function addItemInOneStatement(
  run: RunStatement,
  input: { customerId: string; sku: string; quantity: number; maxLine: number; maxTotal: number },
  nameCart: (generation: number) => string,
): Promise<CartRow> {
  const values = (newCartId: string | null) => [input.customerId, input.sku, input.quantity, input.maxLine, input.maxTotal, newCartId];
  let [row] = await run<{ result: { cart?: CartJson; new_cart_generation?: number } }>(ADD_ITEM, values(null));
  if (row?.result.new_cart_generation !== undefined) {
    [row] = await run<{ result: { cart?: CartJson } }>(ADD_ITEM, values(nameCart(row.result.new_cart_generation)));
  }
  if (!row?.result.cart) throw new Error(`cart.add_item returned no cart for customer ${input.customerId}`);
  return cartOf(row.result.cart);
}

const CHECKOUT: Statement = {
  name: 'cart_checkout',
  text: `WITH locked AS (
      UPDATE cart.carts
         SET status = 'pending', cart_locked = true, request_id = $3::uuid, rejection = NULL, order_request = $4::jsonb,
             asked_at = now(), reask_count = 0, updated_at = now(), version = version + 1
       WHERE cart_id = $1::uuid AND version = $2::int AND current_for IS NOT NULL AND status IN ('open', 'stock-unavailable')
      RETURNING customer_id),
    ${outboxInsertCte('published', 'cart', [{ first: 5, guard: 'locked' }])}
    SELECT pg_notify('${outboxChannel('cart')}', '')::text AS relay, pg_notify('${CHECKOUT_REQUESTS_CHANNEL}', '')::text AS reask,
           pg_notify('${CART_CHANGES_CHANNEL}', customer_id::text)::text AS streams
      FROM locked`,
};

/**
 * The checkout's write, given the cart as read at `version`: pending with the request, the re-ask schedule
 * started, `order-requested` in the outbox, and the notices for the relay, the re-ask loop and the cart's
 * streams, all in one statement, and only if the cart is still the current, editable one at that version.
 * False when it changed meanwhile (nothing written): the caller reads it again.
 */
export async function writeCheckout(run: RunStatement, cart: { cartId: string; version: number }, request: { requestId: string; payload: unknown }, outbox: readonly string[]): Promise<boolean> {
  const rows = await run(CHECKOUT, [cart.cartId, cart.version, request.requestId, JSON.stringify(request.payload), ...outbox]);
  return rows.length > 0;
}

// The checkout's age when it ends, for checkout_duration_seconds: from its order-requested's `requested_at`.
const CHECKOUT_SECONDS = `EXTRACT(EPOCH FROM now() - (order_request->>'requested_at')::timestamptz)::float8`;

/** Runs a transition of a pending cart that notifies its customer's stream; the checkout's seconds, undefined when not applied. */
async function endCheckout(tx: Tx, update: string, values: unknown[]): Promise<number | undefined> {
  const rows = await tx.$queryRawUnsafe<{ seconds: number | null }[]>(
    `WITH moved AS (${update} RETURNING customer_id, ${CHECKOUT_SECONDS} AS seconds),
     notified AS (SELECT pg_notify('${CART_CHANGES_CHANNEL}', customer_id::text) FROM moved)
     SELECT seconds FROM moved, (SELECT count(*) FROM notified) n`,
    ...values,
  );
  const row = rows[0];
  return row ? (row.seconds ?? 0) : undefined;
}

/**
 * `stock.rejected` for the request the cart awaits: `stock-unavailable`, unlocked, with the rejection. The
 * seconds since the checkout when applied, undefined when the cart awaits no such request.
 */
export function markStockUnavailableInOneStatement(tx: Tx, cartId: string, requestId: string, rejection: unknown): Promise<number | undefined> {
  return endCheckout(
    tx,
    `UPDATE cart.carts SET status = 'stock-unavailable', cart_locked = false, rejection = $3::jsonb, updated_at = now(), version = version + 1
      WHERE cart_id = $1::uuid AND status = 'pending' AND request_id = $2::uuid`,
    [cartId, requestId, JSON.stringify(rejection)],
  );
}

/**
 * `order.created` for the request the cart awaits: `ordered`, still locked, no longer current. The seconds
 * since the checkout when applied, undefined when the cart awaits no such request.
 */
export function markOrderedInOneStatement(tx: Tx, cartId: string, requestId: string, orderId: string): Promise<number | undefined> {
  return endCheckout(
    tx,
    `UPDATE cart.carts SET status = 'ordered', cart_locked = true, order_id = $3::uuid, current_for = NULL, updated_at = now(), version = version + 1
      WHERE cart_id = $1::uuid AND status = 'pending' AND request_id = $2::uuid`,
    [cartId, requestId, orderId],
  );
}
