import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AmountCents, CurrencyCode, LineQuantity, MAX_LINE_QUANTITY, Sku, StockRejectionReason, StockShortfallV1 } from '@shop/contracts';
import type { CartRow } from '../db/carts.queries';

/** DESIGN.md's cart statuses. */
export const CART_STATUSES = ['open', 'pending', 'ordered', 'stock-unavailable'] as const;
export type CartStatus = (typeof CART_STATUSES)[number];

/**
 * The most units of one SKU a cart line may hold (the contracts' line limit). A limit DESIGN.md does not set:
 * it keeps totals far from the 32-bit integer columns of carts and orders, and a shop front end never needs more.
 */
export { MAX_LINE_QUANTITY };

/** The largest total a cart may reach: orders store `total_cents` as a 32-bit integer. */
export const MAX_TOTAL_CENTS = 2_147_483_647;

/** The currency of a cart before its first line sets it. */
export const DEFAULT_CURRENCY = 'EUR';

export const AddItemBody = z.strictObject({
  product_sku: Sku,
  quantity: LineQuantity,
});
export type AddItemBody = z.infer<typeof AddItemBody>;

export const Rejection = z.object({ reason: StockRejectionReason, details: z.array(StockShortfallV1) });
export type Rejection = z.infer<typeof Rejection>;

export const CartItemResource = z.object({
  product_sku: z.string(),
  name: z.string(),
  quantity: z.int(),
  unit_price_cents: AmountCents,
});

export const CartResource = z.object({
  cart_id: z.uuid(),
  customer_id: z.uuid(),
  status: z.enum(CART_STATUSES),
  cart_locked: z.boolean(),
  items: z.array(CartItemResource),
  total_cents: AmountCents,
  currency: CurrencyCode,
  order_id: z.uuid().nullable(),
  rejection: Rejection.nullable(),
});
export type CartResource = z.infer<typeof CartResource>;

export const CheckoutAccepted = z.object({ cart_id: z.uuid(), request_id: z.uuid(), status: z.literal('pending') });
export type CheckoutAccepted = z.infer<typeof CheckoutAccepted>;

/** Σ quantity × unit price, in minor units. */
export function totalOf(items: readonly { quantity: number; unitPriceCents: number }[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

/** Maps a row to the wire shape, once, at the edge. */
export function toCartResource(row: CartRow): CartResource {
  const rejection = row.rejection === null ? null : Rejection.parse(row.rejection);
  return {
    cart_id: row.cartId,
    customer_id: row.customerId,
    status: row.status as CartStatus,
    cart_locked: row.cartLocked,
    items: row.items.map((i) => ({ product_sku: i.productSku, name: i.name, quantity: i.quantity, unit_price_cents: i.unitPriceCents })),
    total_cents: totalOf(row.items),
    currency: row.currency.trim(),
    order_id: row.orderId,
    rejection,
  };
}

// RFC 9562 name-based ids need a namespace of their own: this one is fixed for cart ids, forever.
const CART_ID_NAMESPACE = Buffer.from('5b0f7c0e8d9a4c1f9e2a6f3d1c7b8a90', 'hex');

/**
 * The id of a customer's `generation`-th cart (0 for the first), as a name-based UUID (version 5). A customer
 * without a cart is shown an empty cart under the id the cart will have once created, so `GET /cart` is
 * stable across reads without writing on a read.
 */
export function cartIdFor(customerId: string, generation: number): string {
  const hash = createHash('sha1').update(CART_ID_NAMESPACE).update(`${customerId.toLowerCase()}/${generation}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The empty, open cart a customer without one is shown. */
export function emptyCart(customerId: string): CartRow {
  const now = new Date();
  return {
    cartId: cartIdFor(customerId, 0),
    customerId,
    currentFor: customerId,
    status: 'open',
    cartLocked: false,
    currency: DEFAULT_CURRENCY,
    requestId: null,
    orderId: null,
    rejection: null,
    createdAt: now,
    updatedAt: now,
    items: [],
  };
}
